package io.shmq.devices.internal;

import io.shmq.devices.ChannelSyntax;
import io.shmq.devices.DeviceConfig;
import io.shmq.devices.DeviceRunner;
import io.shmq.devices.DeviceState;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportKind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A short benchmark: a sampler and a sink in this JVM, push/pull over one address of {@code transport} in a
 * session of their own, {@code count} messages of {@code size} bytes. Used by {@code shmq:bench}.
 */
final class Bench {
    /** How long the benchmark may take at most. */
    static final long TIMEOUT_SECONDS = 120;

    private Bench() {
    }

    /**
     * @return one line with transport, size, count, time and rate, or why it did not finish
     * @throws InterruptedException when the calling thread is interrupted
     */
    static String run(final Transport transport, final long count, final long size) throws InterruptedException {
        // The sink binds and the sampler connects: with JeroMQ about one fresh loopback connection in 20 stalls in its
        // handshake until the provider's handshake interval (1 s) breaks it off; a connecting push keeps what it
        // queued for the peer and delivers it over the next connection, a binding push loses it with the broken
        // one (measured with fresh runs: binding, 4 of 200 runs of 2000 messages lost 1000 and timed out, and runs of
        // 900 lost all; connecting, 22 of 400 runs of 2000 took about 1.1 s and none lost anything).
        if (count < 1 || size < 0) {
            throw new IllegalArgumentException("bench needs count >= 1 and size >= 0: count=" + count + ", size="
                    + size);
        }
        final String tag = UUID.randomUUID().toString().substring(0, 8);
        final TransportKind kind = transport.kind();
        final String address = kind == TransportKind.SHMEM ? "shm://bench-" + tag : "tcp://127.0.0.1:" + freePort();
        final Map<String, String> options = Map.of("msg-size", String.valueOf(size), "max-iterations",
                String.valueOf(count));
        final DeviceConfig samplerConfig = new DeviceConfig("bench-sampler-" + tag, "bench-" + tag, kind,
                ChannelSyntax.parse("name=data1,type=push,method=connect,rateLogging=0,address=" + address, kind),
                options);
        final DeviceConfig sinkConfig = new DeviceConfig("bench-sink-" + tag, "bench-" + tag, kind,
                ChannelSyntax.parse("name=data2,type=pull,method=bind,rateLogging=0,address=" + address, kind),
                options);
        final SinkTask sinkTask = new SinkTask(sinkConfig);
        final long start = System.nanoTime();
        try (DeviceRunner sampler = new DeviceRunner(samplerConfig, "sampler", new SamplerTask(samplerConfig),
                line -> { });
             DeviceRunner sink = new DeviceRunner(sinkConfig, "sink", sinkTask, line -> { })) {
            sampler.transportAdded(transport, Map.of());
            sink.transportAdded(transport, Map.of());
            sampler.open();
            sink.open();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
            while (sinkTask.counters().get("received") < count && System.nanoTime() < deadline
                    && sink.status().state() != DeviceState.ERROR && sampler.status().state() != DeviceState.ERROR) {
                Thread.sleep(10);
            }
            final long received = sinkTask.counters().get("received");
            if (received < count) {
                return "bench: did not finish: transport=" + kind + ", received=" + received + " of count=" + count
                        + ", sampler=" + sampler.status().state() + " " + sampler.status().lastError() + ", sink="
                        + sink.status().state() + " " + sink.status().lastError();
            }
            final double seconds = (System.nanoTime() - start) / 1e9;
            return String.format(java.util.Locale.ROOT, "bench: transport=%s msg-size=%d B messages=%d errors=%d "
                    + "seconds=%.3f rate=%.0f msg/s (%.2f MB/s), start-up included", kind, size, received,
                    sinkTask.counters().get("errors"), seconds, received / seconds, received * size / seconds / 1e6);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (final IOException e) {
            throw new UncheckedIOException("no free tcp port on the loopback", e);
        }
    }
}
