package io.shmq.bench;

import io.shmq.transport.api.TransportKind;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * The systems a two-JVM run can measure, each with the same roles (send and receive; request and reply where the
 * system has a round trip) and the JVM flags its children need. An address is what both JVMs of one run agree on: a
 * session name for shared memory, a {@code tcp://127.0.0.1:port} for zeromq, the media driver's directory for Aeron.
 */
enum Peer {
    /** shmq's shared-memory provider. */
    SHMEM("shmq shmem", List.of(), Address.SESSION,
            (address, size) -> ShmqPeer.sender(TransportKind.SHMEM, address, "ipc://stream", size),
            (address, size) -> ShmqPeer.receiver(TransportKind.SHMEM, address, "ipc://stream", size),
            (address, size) -> ShmqPeer.requester(TransportKind.SHMEM, address, "ipc://rtt", size),
            (address, rounds) -> ShmqPeer.reply(TransportKind.SHMEM, address, "ipc://rtt", rounds)),
    /** shmq's zeromq provider over tcp. */
    ZEROMQ("shmq zeromq tcp", List.of(), Address.TCP,
            (address, size) -> ShmqPeer.sender(TransportKind.ZEROMQ, "compare", address, size),
            (address, size) -> ShmqPeer.receiver(TransportKind.ZEROMQ, "compare", address, size), null, null),
    /** Plain JeroMQ over tcp. */
    JEROMQ("JeroMQ tcp", List.of(), Address.TCP, JeroMqPeer::sender, JeroMqPeer::receiver, null, null),
    /** Aeron IPC with an embedded media driver. */
    AERON("Aeron IPC", AeronPeer.JVM_FLAGS, Address.DIRECTORY, AeronPeer::sender, AeronPeer::receiver,
            AeronPeer::requester, AeronPeer::reply),
    /**
     * A yardstick, not in the compare's table: the least a stream over FFM does ({@link FfmRingPeer}), and a round
     * trip by value ({@link FfmRoundTripPeer}).
     */
    FFM_RING("FFM ring (yardstick)", List.of(), Address.DIRECTORY, FfmRingPeer::sender, FfmRingPeer::receiver,
            (address, size) -> FfmRoundTripPeer.requester(FfmRoundTripPeer.BY_VALUE, address, size),
            (address, rounds) -> FfmRoundTripPeer.reply(FfmRoundTripPeer.BY_VALUE, address, rounds)),
    /** The same yardsticks with the payload in a block and only its offset in the ring ({@link FfmRefPeer}). */
    FFM_REF("FFM reference ring (yardstick)", List.of(), Address.DIRECTORY, FfmRefPeer::sender, FfmRefPeer::receiver,
            (address, size) -> FfmRoundTripPeer.requester(FfmRoundTripPeer.BY_REFERENCE, address, size),
            (address, rounds) -> FfmRoundTripPeer.reply(FfmRoundTripPeer.BY_REFERENCE, address, rounds));

    /** Opens one side of a run at an address, for messages of a size. */
    @FunctionalInterface
    interface Opener<T> {
        T open(String address, long size);
    }

    /** The replying side of round trips: answers {@code rounds} requests, then returns. */
    @FunctionalInterface
    interface Replier {
        void reply(String address, long rounds);
    }

    /** What an address is. */
    private enum Address { SESSION, TCP, DIRECTORY }

    private final String label;
    private final List<String> jvmFlags;
    private final Address address;
    private final Opener<Stream.Sender> sender;
    private final Opener<Stream.Receiver> receiver;
    private final Opener<RoundTrips.Requester> requester;
    private final Replier replier;

    Peer(final String label, final List<String> jvmFlags, final Address address, final Opener<Stream.Sender> sender,
         final Opener<Stream.Receiver> receiver, final Opener<RoundTrips.Requester> requester,
         final Replier replier) {
        this.label = label;
        this.jvmFlags = jvmFlags;
        this.address = address;
        this.sender = sender;
        this.receiver = receiver;
        this.requester = requester;
        this.replier = replier;
    }

    /** @return the name tables and charts show */
    String label() {
        return label;
    }

    /** @return the flags this system's JVMs need on top of the inherited ones */
    List<String> jvmFlags() {
        return jvmFlags;
    }

    Stream.Sender sender(final String at, final long size) {
        return sender.open(at, size);
    }

    /** Opens the receiving side (which binds, runs the media driver or creates the file, unless the sender binds). */
    Stream.Receiver receiver(final String at, final long size) {
        return receiver.open(at, size);
    }

    RoundTrips.Requester requester(final String at, final long size) {
        if (requester == null) {
            throw new UnsupportedOperationException("no round trip for " + label);
        }
        return requester.open(at, size);
    }

    void reply(final String at, final long rounds) {
        if (replier == null) {
            throw new UnsupportedOperationException("no round trip for " + label);
        }
        replier.reply(at, rounds);
    }

    /**
     * @param scratch a directory the caller deletes after the run (Aeron's driver directory goes below it)
     * @return an address no other run uses (over tcp a port that was free a moment ago)
     */
    String freshAddress(final Path scratch) throws IOException {
        return switch (address) {
            case SESSION -> "compare-" + UUID.randomUUID().toString().substring(0, 8);
            case DIRECTORY -> Files.createTempDirectory(scratch, "aeron-").toString();
            case TCP -> {
                try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                    yield "tcp://127.0.0.1:" + socket.getLocalPort();
                }
            }
        };
    }
}
