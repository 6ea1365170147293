package io.shmq.transport.libzmq.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * Push/pull throughput between two JVMs (or two C processes), not a test: nothing asserts a time. For each case a
 * child process binds a pull socket and receives {@code count} messages; this process connects a push socket and
 * sends them; the child reports the rate from message {@code count / 10} to the last (the first tenth warms up).
 *
 * <p>Cases, each at 64 B and 4 KiB: the libzmq provider over tcp and ipc; the C library itself ({@code zmqperf.c}
 * from the test resources, compiled here with gcc against libzmq.so.5; skipped when gcc is missing) over tcp and
 * ipc; the JeroMQ provider over tcp; plain JeroMQ (its own API, no shmq code) over tcp. The shmq providers send a
 * new message per send ({@code createMessage}, fill 8 bytes, send), as FairMQ devices do; plain JeroMQ and C send a
 * fresh frame per message too.
 *
 * <p>Run (after {@code ./shmq mvn -o -pl transport.libzmq -am install -DskipTests}), from {@code transport.libzmq}:
 * <pre>
 * ../shmq mvn -o -q dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java --enable-native-access=ALL-UNNAMED -cp target/test-classes:target/classes:$(cat target/cp.txt) \
 *     io.shmq.transport.libzmq.internal.ZmqPushPullBench [count [size...]]
 * </pre>
 */
public final class ZmqPushPullBench {
    private static final int[] SIZES = {64, 4096};

    private ZmqPushPullBench() {
    }

    /**
     * @param args {@code [count [size...]]} (default 2 000 000 at 64 and 4096 B) for the parent;
     *             {@code pull IMPL ADDRESS COUNT} for the child
     */
    public static void main(final String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("pull")) {
            pull(args[1], args[2], Long.parseLong(args[3]));
            return;
        }
        final long count = args.length > 0 ? Long.parseLong(args[0]) : 2_000_000;
        final int[] sizes = args.length > 1
                ? java.util.Arrays.stream(args, 1, args.length).mapToInt(Integer::parseInt).toArray() : SIZES;
        final Path dir = Files.createTempDirectory("zmqbench");
        final Path perf = compileC(dir);
        final List<String> rows = new ArrayList<>();
        for (final int size : sizes) {
            for (final String scheme : List.of("tcp", "ipc")) {
                rows.add(row("libzmq provider", scheme, size, run("libzmq", address(scheme, dir), count, size)));
                if (perf != null) {
                    rows.add(row("C libzmq (zmqperf)", scheme, size, runC(perf, address(scheme, dir), count, size)));
                    rows.add(row("libzmq provider -> C", scheme, size,
                            run("libzmq", address(scheme, dir), count, size, perf)));
                    rows.add(row("C -> libzmq provider", scheme, size,
                            runCSender(perf, address(scheme, dir), count, size)));
                }
            }
            rows.add(row("JeroMQ provider", "tcp", size, run("jeromq", address("tcp", dir), count, size)));
            rows.add(row("plain JeroMQ", "tcp", size, run("plain", address("tcp", dir), count, size)));
        }
        try (var files = Files.list(dir)) {
            for (final Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
        }
        Files.deleteIfExists(dir);
        System.out.println();
        System.out.println("| sender -> receiver (two processes) | scheme | size | msgs/s |");
        System.out.println("|---|---|---:|---:|");
        rows.forEach(System.out::println);
    }

    private static String row(final String what, final String scheme, final int size, final double rate) {
        return String.format("| %s | %s | %d B | %,.0f |", what, scheme, size, rate);
    }

    private static String address(final String scheme, final Path dir) {
        return scheme.equals("ipc") ? "ipc://" + dir.resolve("s" + System.nanoTime()) : TestAddresses.freeTcp();
    }

    private static Path compileC(final Path dir) throws IOException, InterruptedException {
        final Path source = dir.resolve("zmqperf.c");
        try (InputStream in = ZmqPushPullBench.class.getResourceAsStream("/zmqperf.c")) {
            Files.copy(in, source);
        }
        final Path binary = dir.resolve("zmqperf");
        try {
            final Process gcc = new ProcessBuilder("gcc", "-O2", "-o", binary.toString(), source.toString(),
                    "-l:libzmq.so.5").inheritIO().start();
            if (gcc.waitFor() == 0) {
                return binary;
            }
        } catch (final IOException e) {
            System.err.println("no gcc: the C library's rate is left out (" + e.getMessage() + ")");
        }
        return null;
    }

    private static double runC(final Path perf, final String address, final long count, final int size)
            throws IOException, InterruptedException {
        final Process receiver = new ProcessBuilder(perf.toString(), "pull", address, Long.toString(count),
                Integer.toString(size)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        final BufferedReader out = reader(receiver);
        awaitReady(out);
        final Process sender = new ProcessBuilder(perf.toString(), "push", address, Long.toString(count),
                Integer.toString(size)).inheritIO().start();
        final double rate = rate(out, receiver);
        sender.waitFor(60, TimeUnit.SECONDS);
        return rate;
    }

    /** The C library sends, a libzmq provider JVM receives: the provider's receive side alone. */
    private static double runCSender(final Path perf, final String address, final long count, final int size)
            throws IOException, InterruptedException {
        final Process receiver = javaReceiver("libzmq", address, count);
        final BufferedReader out = reader(receiver);
        awaitReady(out);
        final Process sender = new ProcessBuilder(perf.toString(), "push", address, Long.toString(count),
                Integer.toString(size)).inheritIO().start();
        final double rate = rate(out, receiver);
        sender.waitFor(60, TimeUnit.SECONDS);
        return rate;
    }

    private static Process javaReceiver(final String impl, final String address, final long count)
            throws IOException {
        return new ProcessBuilder(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                ZmqPushPullBench.class.getName(), "pull", impl, address, Long.toString(count)))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static double run(final String impl, final String address, final long count, final int size)
            throws Exception {
        return run(impl, address, count, size, null);
    }

    /** {@code impl} sends from this JVM; the receiver is a child JVM of the same impl, or the C program. */
    private static double run(final String impl, final String address, final long count, final int size,
                              final Path cReceiver) throws Exception {
        final Process receiver = cReceiver == null ? javaReceiver(impl, address, count)
                : new ProcessBuilder(cReceiver.toString(), "pull", address, Long.toString(count),
                        Integer.toString(size)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        final BufferedReader out = reader(receiver);
        awaitReady(out);
        if (impl.equals("plain")) {
            try (ZContext context = new ZContext(1)) {
                final ZMQ.Socket push = context.createSocket(org.zeromq.SocketType.PUSH);
                push.connect(address);
                for (long i = 0; i < count; i++) {
                    final byte[] frame = new byte[size];
                    frame[0] = (byte) i;
                    push.send(frame, 0);
                }
                final double rate = rate(out, receiver);
                push.close();
                return rate;
            }
        }
        try (TransportFactory factory = transport(impl).createFactory(FactoryConfig.of("bench-push", "bench"));
             Socket push = factory.createSocket(io.shmq.transport.api.SocketType.PUSH, "push")) {
            push.connect(address);
            for (long i = 0; i < count; i++) {
                try (Message message = factory.createMessage(size)) {
                    message.data().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, i);
                    if (push.send(message, 60_000) != size) {
                        throw new IllegalStateException("send failed at " + i);
                    }
                }
            }
            return rate(out, receiver);
        }
    }

    private static Transport transport(final String impl) {
        return ServiceLoader.load(Transport.class).stream().map(ServiceLoader.Provider::get)
                .filter(t -> t.kind() == TransportKind.ZEROMQ)
                .filter(t -> (t instanceof LibzmqTransport) == impl.equals("libzmq")).findFirst().orElseThrow();
    }

    private static BufferedReader reader(final Process process) {
        return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    private static void awaitReady(final BufferedReader out) throws IOException {
        String line;
        while ((line = out.readLine()) != null && !line.equals("READY")) {
            System.out.println("  receiver: " + line);
        }
    }

    private static double rate(final BufferedReader out, final Process receiver) throws IOException,
            InterruptedException {
        String line;
        double rate = Double.NaN;
        while ((line = out.readLine()) != null) {
            if (line.startsWith("RATE ")) {
                rate = Double.parseDouble(line.substring(5));
            }
        }
        receiver.waitFor(60, TimeUnit.SECONDS);
        return rate;
    }

    /** The child: binds a pull socket of {@code impl}, receives {@code count} messages, prints the rate. */
    private static void pull(final String impl, final String address, final long count) {
        final long from = count / 10;
        long start = 0;
        if (impl.equals("plain")) {
            try (ZContext context = new ZContext(1)) {
                final ZMQ.Socket pull = context.createSocket(org.zeromq.SocketType.PULL);
                pull.bind(address);
                System.out.println("READY");
                for (long i = 0; i < count; i++) {
                    if (i == from) {
                        start = System.nanoTime();
                    }
                    pull.recv(0);
                }
                System.out.printf("RATE %.0f%n", (count - from) / ((System.nanoTime() - start) / 1e9));
                pull.close();
            }
            return;
        }
        try (TransportFactory factory = transport(impl).createFactory(FactoryConfig.of("bench-pull", "bench"));
             Socket pull = factory.createSocket(io.shmq.transport.api.SocketType.PULL, "pull");
             Message message = factory.createMessage()) {
            pull.setReceiveHighWaterMark(Integer.getInteger("bench.rcvhwm", Socket.DEFAULT_HIGH_WATER_MARK));
            pull.bind(address);
            System.out.println("READY");
            long sum = 0;
            for (long i = 0; i < count; i++) {
                if (i == from) {
                    start = System.nanoTime();
                }
                final long before = System.nanoTime();
                final long result = pull.receive(message, 60_000);
                if (result < 0) {
                    throw new IllegalStateException("receive failed at " + i + ": result=" + result + " after "
                            + (System.nanoTime() - before) / 1_000_000 + " ms");
                }
                sum += message.data().get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
            }
            System.out.printf("RATE %.0f%n", (count - from) / ((System.nanoTime() - start) / 1e9));
            if (sum == 42) {
                System.out.println("(sum " + sum + ")");
            }
        }
    }
}
