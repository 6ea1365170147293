package io.shmq.bench;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Shared-memory sockets end to end between two JVMs of one session:
 * <ul>
 *   <li>push/pull throughput: the other JVM allocates each message, writes a sequence number into its first and last
 *   8 bytes and pushes it; this JVM pulls, reads both numbers (checking them) and frees the message. Messages/s
 *   measured at the receiver after a warm-up of as many messages.</li>
 *   <li>req/rep round trip: this JVM sends a 64-byte request and waits for the reply; the other JVM receives and
 *   sends the same message back. Median and p99 of the round trips after a warm-up.</li>
 * </ul>
 * Both sockets block (spin, then futex); the high-water marks are 256 so that 1 MiB messages in flight fit the
 * default 2 GiB segment.
 */
public final class SocketRun {
    private static final int HWM = 256;

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
            final double rate = pull(sizes[i], count);
            System.out.printf(Locale.ROOT, "| push/pull | %s | %d | %,.0f | %.2f |%n", human(sizes[i]), count, rate,
                    rate * sizes[i] / 1e9);
        }
        final long rounds = Math.max(1000, (long) (200_000 * scale));
        final long[] rtt = requestReply(64, rounds);
        System.out.println();
        System.out.println("| pattern | payload | round trips | median RTT ns | p99 RTT ns |");
        System.out.println("|---|---:|---:|---:|---:|");
        System.out.printf(Locale.ROOT, "| req/rep | 64 B | %d | %,d | %,d |%n", rounds, rtt[0], rtt[1]);
    }

    private static Process child(final String... args) throws Exception {
        final String[] command = new String[5 + args.length];
        command[0] = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        command[1] = "--enable-native-access=ALL-UNNAMED";
        command[2] = "-cp";
        command[3] = System.getProperty("java.class.path");
        command[4] = SocketRun.class.getName();
        System.arraycopy(args, 0, command, 5, args.length);
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static void await(final Process process) throws InterruptedException {
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("the other JVM did not finish");
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("the other JVM failed: exit=" + process.exitValue());
        }
    }

    private static double pull(final long size, final long count) throws Exception {
        final String session = "sockets-" + UUID.randomUUID().toString().substring(0, 8);
        // As many warm-up messages as measured ones: the pusher is a fresh JVM per size, and a warm-up of 200,000
        // messages (0.05-0.1 s) left the measured window slower and noisier than a longer one.
        final long warmUp = count;
        try (TransportFactory factory = Transports.transport(TransportKind.SHMEM)
                .createFactory(FactoryConfig.of("pull", session));
             Socket pull = factory.createSocket(SocketType.PULL, "pull");
             Message into = factory.createMessage()) {
            pull.setReceiveHighWaterMark(HWM);
            pull.setSendHighWaterMark(HWM);
            pull.bind("ipc://bench");
            final Process pusher = child("push", session, Long.toString(size), Long.toString(warmUp + count));
            long start = 0;
            for (long seq = 0; seq < warmUp + count; seq++) {
                if (seq == warmUp) {
                    start = System.nanoTime();
                }
                if (pull.receive(into, 60_000) != size) {
                    throw new IllegalStateException("receive failed at seq=" + seq);
                }
                final MemorySegment data = into.data();
                if (data.get(ValueLayout.JAVA_LONG_UNALIGNED, 0) != seq
                        || data.get(ValueLayout.JAVA_LONG_UNALIGNED, size - 8) != seq) {
                    throw new IllegalStateException("wrong payload at seq=" + seq);
                }
            }
            final long elapsed = System.nanoTime() - start;
            await(pusher);
            return count * 1e9 / elapsed;
        }
    }

    private static long[] requestReply(final long size, final long rounds) throws Exception {
        final String session = "sockets-" + UUID.randomUUID().toString().substring(0, 8);
        final long warmUp = Math.min(rounds, 50_000);
        final long[] samples = new long[(int) rounds];
        try (TransportFactory factory = Transports.transport(TransportKind.SHMEM)
                .createFactory(FactoryConfig.of("req", session));
             Socket req = factory.createSocket(SocketType.REQ, "req");
             Message into = factory.createMessage()) {
            req.bind("ipc://rtt");
            final Process replier = child("rep", session, Long.toString(warmUp + rounds));
            for (long i = 0; i < warmUp + rounds; i++) {
                final long start = System.nanoTime();
                try (Message request = factory.createMessage(size)) {
                    request.data().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, i);
                    if (req.send(request, 60_000) != size || req.receive(into, 60_000) != size) {
                        throw new IllegalStateException("round trip failed at i=" + i);
                    }
                }
                final long rtt = System.nanoTime() - start;
                if (into.data().get(ValueLayout.JAVA_LONG_UNALIGNED, 0) != i) {
                    throw new IllegalStateException("wrong reply at i=" + i);
                }
                if (i >= warmUp) {
                    samples[(int) (i - warmUp)] = rtt;
                }
            }
            await(replier);
        }
        Arrays.sort(samples);
        return new long[] {samples[samples.length / 2], samples[(int) (samples.length * 0.99)]};
    }

    /**
     * The other JVM: {@code push SESSION SIZE COUNT} or {@code rep SESSION ROUNDS}.
     *
     * @param args the role and its parameters
     */
    public static void main(final String[] args) {
        try (TransportFactory factory = Transports.transport(TransportKind.SHMEM)
                .createFactory(FactoryConfig.of(args[0], args[1]))) {
            if (args[0].equals("push")) {
                final long size = Long.parseLong(args[2]);
                final long count = Long.parseLong(args[3]);
                try (Socket push = factory.createSocket(SocketType.PUSH, "push")) {
                    push.setSendHighWaterMark(HWM);
                    push.connect("ipc://bench");
                    for (long seq = 0; seq < count; seq++) {
                        try (Message message = factory.createMessage(size)) {
                            final MemorySegment data = message.data();
                            data.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, seq);
                            data.set(ValueLayout.JAVA_LONG_UNALIGNED, size - 8, seq);
                            if (push.send(message, 60_000) != size) {
                                throw new IllegalStateException("send failed at seq=" + seq);
                            }
                        }
                    }
                }
            } else {
                final long rounds = Long.parseLong(args[2]);
                try (Socket rep = factory.createSocket(SocketType.REP, "rep"); Message message = factory.createMessage()) {
                    rep.connect("ipc://rtt");
                    for (long i = 0; i < rounds; i++) {
                        if (rep.receive(message, 60_000) < 0 || rep.send(message, 60_000) < 0) {
                            throw new IllegalStateException("reply failed at i=" + i);
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            e.printStackTrace();
            System.exit(1);
        }
    }

    private static String human(final long size) {
        if (size >= 1 << 20) {
            return (size >> 20) + " MiB";
        }
        if (size >= 1 << 10) {
            return (size >> 10) + " KiB";
        }
        return size + " B";
    }
}
