package io.shmq.bench;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Shared-memory sockets end to end between two JVMs of one session ({@link TwoJvm} with {@link Peer#SHMEM}):
 * <ul>
 *   <li>push/pull throughput: the other JVM allocates each message, writes a sequence number into its first and last
 *   8 bytes and pushes it; this JVM pulls, reads both numbers (checking them) and frees the message. Messages/s
 *   over the second half of the messages (the first half warms up the fresh JVMs).</li>
 *   <li>req/rep round trip: this JVM sends a 64-byte request and waits for the reply; the other JVM receives and
 *   sends the same message back. Median and p99 of the round trips after a warm-up.</li>
 * </ul>
 * Both sockets block (spin, then futex); the high-water marks are the sockets' default, 1000 (fewer from 1 MiB on,
 * {@code ShmqPeer.highWaterMark}), so that the messages in flight fit the default 2 GiB segment.
 */
public final class SocketRun {
    private SocketRun() {
    }

    /**
     * Runs both measurements and prints markdown tables.
     *
     * @param scale multiplies the default message counts
     * @throws Exception when the other JVM fails
     */
    static void run(final double scale) throws Exception {
        System.out.println("| pattern | payload | messages | msgs/s | payload GB/s |");
        System.out.println("|---|---:|---:|---:|---:|");
        final long[] sizes = {64, 4096, 64 << 10, 1 << 20};
        final long[] counts = {4_000_000, 2_000_000, 1_000_000, 200_000};
        for (int i = 0; i < sizes.length; i++) {
            final long count = Math.max(1000, (long) (counts[i] * scale));
            // As many warm-up messages as measured ones: the pusher is a fresh JVM per size, and a warm-up of 200,000
            // messages (0.05-0.1 s) left the measured window slower and noisier than a longer one.
            final double rate = TwoJvm.stream(Peer.SHMEM, Peer.SHMEM.freshAddress(Path.of(".")), sizes[i],
                    Long.MAX_VALUE, 2 * count).steady();
            System.out.printf(Locale.ROOT, "| push/pull | %s | %d | %,.0f | %.2f |%n", human(sizes[i]), count, rate,
                    rate * sizes[i] / 1e9);
        }
        final long rounds = Math.max(1000, (long) (200_000 * scale));
        final RoundTrips.Latency rtt = TwoJvm.roundTrips(Peer.SHMEM, Peer.SHMEM.freshAddress(Path.of(".")), 64,
                Math.min(rounds, 50_000), rounds);
        System.out.println();
        System.out.println("| pattern | payload | round trips | median RTT ns | p99 RTT ns |");
        System.out.println("|---|---:|---:|---:|---:|");
        System.out.printf(Locale.ROOT, "| req/rep | 64 B | %d | %,d | %,d |%n", rounds, rtt.p50(), rtt.p99());
    }

    /** @return 64 B, 4 KiB, 16 MiB */
    static String human(final long size) {
        if (size >= 1 << 20) {
            return (size >> 20) + " MiB";
        }
        if (size >= 1 << 10) {
            return (size >> 10) + " KiB";
        }
        return size + " B";
    }
}
