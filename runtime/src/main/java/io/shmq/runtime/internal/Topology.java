package io.shmq.runtime.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Socket;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The default devices: sampler -> processor 0..n-1 -> sink. Each processor has its own pair of addresses (the
 * shared-memory push/pull endpoints take one pusher and one puller each): the sampler's {@code data1} has one
 * sub-channel per processor, round robin, and the sink's {@code data2} one per processor. With no processor the
 * sampler pushes straight to the sink. Shared memory uses {@code shm://} endpoints named after the session; zeromq
 * uses loopback tcp on free ports.
 *
 * @param devices the device configurations: id -> (factory PID, channel entries in FairMQ syntax)
 */
record Topology(Map<String, Device> devices) {
    /**
     * @param pid      the factory PID
     * @param type     the device type
     * @param channels channel entries in FairMQ syntax
     */
    record Device(String pid, String type, List<String> channels) {
    }

    static Topology of(final String transport, final String session, final int processors, final int rateLogging) {
        return of(transport, session, processors, rateLogging, 0);
    }

    /**
     * @param msgSize the payload bytes of each message: over shared memory the high-water marks shrink below
     *                zeromq's 1000 when the rings of every link would hold more than half of a default segment
     *                ({@link #highWaterMark}); 0 keeps the default
     */
    static Topology of(final String transport, final String session, final int processors, final int rateLogging,
                       final long msgSize) {
        final int paths = Math.max(1, processors);
        final List<String> first = new ArrayList<>();
        final List<String> second = new ArrayList<>();
        for (int i = 0; i < paths; i++) {
            first.add(address(transport, session, "a" + i));
            second.add(processors == 0 ? first.get(i) : address(transport, session, "b" + i));
        }
        final int links = processors == 0 ? 1 : 2 * processors;
        final int hwm = transport.equals("shmem") ? highWaterMark(msgSize, links) : Socket.DEFAULT_HIGH_WATER_MARK;
        final String log = ",rateLogging=" + rateLogging + (hwm == Socket.DEFAULT_HIGH_WATER_MARK ? ""
                : ",sndBufSize=" + hwm + ",rcvBufSize=" + hwm);
        final Map<String, Device> devices = new LinkedHashMap<>();
        devices.put("sampler", new Device("io.shmq.devices.sampler", "sampler", List.of(
                "name=data1,type=push,method=bind" + log + ",address=" + String.join(";", first))));
        for (int i = 0; i < processors; i++) {
            devices.put("processor-" + i, new Device("io.shmq.devices.processor", "processor", List.of(
                    "name=data1,type=pull,method=connect" + log + ",address=" + first.get(i),
                    "name=data2,type=push,method=bind" + log + ",address=" + second.get(i))));
        }
        devices.put("sink", new Device("io.shmq.devices.sink", "sink", List.of(
                "name=data2,type=pull,method=connect" + log + ",address=" + String.join(";", second))));
        return new Topology(devices);
    }

    /**
     * The high-water mark that keeps {@code links} shared-memory links of messages of {@code msgSize} bytes within
     * half of a default segment (FairMQ #432: a count of 40-byte headers bounds no memory). A link holds what its
     * ring holds: the binder's send and receive marks together, rounded up to a power of two (transport.shmem's
     * README, Sockets, capacity), so the mark is half the largest power of two of messages that fit the link's share:
     * at most zeromq's 1000, at least 1. Counting one mark per link instead let 1000 messages of 1 MiB, or 64 of
     * 16 MiB, on a sampler's one link fill the whole segment (a ring of 2048 or 128 records), and the sampler's
     * allocation failed in the first second.
     */
    static int highWaterMark(final long msgSize, final int links) {
        if (msgSize <= 0) {
            return Socket.DEFAULT_HIGH_WATER_MARK;
        }
        final long fit = FactoryConfig.DEFAULT_SEGMENT_SIZE / 2 / links / msgSize; // messages a link may hold
        if (fit < 2) {
            return 1;
        }
        return (int) Math.min(Socket.DEFAULT_HIGH_WATER_MARK, Long.highestOneBit(fit) / 2);
    }

    private static String address(final String transport, final String session, final String name) {
        if (transport.equals("shmem")) {
            return "shm://" + session + "-" + name;
        }
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "tcp://127.0.0.1:" + s.getLocalPort();
        } catch (final IOException e) {
            throw new UncheckedIOException("no free tcp port on the loopback", e);
        }
    }
}
