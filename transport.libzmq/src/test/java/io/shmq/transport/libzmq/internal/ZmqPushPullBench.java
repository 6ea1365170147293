package io.shmq.transport.libzmq.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;
import io.shmq.transport.testkit.TestAddresses;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * Push/pull throughput between two processes, not a test: nothing asserts a time. For each case a receiver process
 * binds a pull socket and receives {@code count} messages, a sender process connects a push socket and sends them;
 * the receiver reports two rates: steady, from message {@code count / 2} to the last (the first half warms up), and
 * whole, from the first message to the last (the sender's JIT warm-up included). Both sides
 * are fresh processes (JVMs, or the C program {@code zmqperf.c} from the test resources, compiled here with gcc
 * against libzmq.so.5; the C cases are skipped when gcc is missing), so no case inherits another's JIT profile.
 *
 * <p>Cases, at every size: the libzmq provider over tcp and ipc; the C library itself over tcp and ipc; the
 * provider sending to C and C sending to the provider; the JeroMQ provider over tcp; plain JeroMQ (its own API, no
 * shmq code) over tcp. The shmq providers send a new message per send ({@code createMessage}, fill 8 bytes, send,
 * close), as FairMQ devices do; plain JeroMQ and C send a fresh frame per message too. The cases run in rounds,
 * interleaved (every case once per round), and the table shows each case's median over the rounds, its range, and
 * the ratios the issue asks about: the provider to C, and the JeroMQ provider to plain JeroMQ.
 *
 * <p>Run from {@code transport.libzmq}, after a reactor build of the test classes and their class path:
 * <pre>
 * cd .. &amp;&amp; ./shmq mvn -o -q -pl transport.libzmq -am -DskipTests package dependency:build-classpath \
 *     -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test &amp;&amp; cd transport.libzmq
 * java --enable-native-access=ALL-UNNAMED -cp target/test-classes:target/classes:$(cat target/cp.txt) \
 *     io.shmq.transport.libzmq.internal.ZmqPushPullBench [rounds [size:count...]]
 * </pre>
 * Default: 3 rounds of {@code 64:10000000 4096:2000000} (about 2 s a case at 64 B). {@code -Dbench.cases=a,b} keeps only the cases whose key
 * (see {@link #CASES}) is listed; {@code -Dbench.senderJvm="..."} and {@code -Dbench.receiverJvm="..."} add JVM
 * options to the Java senders or receivers (e.g. a JFR recording).
 */
public final class ZmqPushPullBench {
    /** key -> sender impl, receiver impl, scheme; impl is libzmq, jeromq, plain (JeroMQ's API) or c. */
    static final Map<String, String[]> CASES = new LinkedHashMap<>();

    static {
        CASES.put("lz-tcp", new String[] {"libzmq", "libzmq", "tcp"});
        CASES.put("c-tcp", new String[] {"c", "c", "tcp"});
        CASES.put("lz-c-tcp", new String[] {"libzmq", "c", "tcp"});
        CASES.put("c-lz-tcp", new String[] {"c", "libzmq", "tcp"});
        CASES.put("lz-ipc", new String[] {"libzmq", "libzmq", "ipc"});
        CASES.put("c-ipc", new String[] {"c", "c", "ipc"});
        CASES.put("lz-c-ipc", new String[] {"libzmq", "c", "ipc"});
        CASES.put("c-lz-ipc", new String[] {"c", "libzmq", "ipc"});
        CASES.put("jeromq-tcp", new String[] {"jeromq", "jeromq", "tcp"});
        CASES.put("plain-tcp", new String[] {"plain", "plain", "tcp"});
    }

    private static final Map<String, String> NAMES = Map.of(
            "libzmq", "libzmq provider", "c", "C", "jeromq", "JeroMQ provider", "plain", "plain JeroMQ");

    private ZmqPushPullBench() {
    }

    /**
     * @param args {@code [rounds [size:count...]]} for the parent; {@code pull IMPL ADDRESS COUNT} or
     *             {@code push IMPL ADDRESS COUNT SIZE} for a child
     */
    public static void main(final String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("pull")) {
            pull(args[1], args[2], Long.parseLong(args[3]));
            return;
        }
        if (args.length > 0 && args[0].equals("push")) {
            push(args[1], args[2], Long.parseLong(args[3]), Integer.parseInt(args[4]));
            return;
        }
        final int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        final List<String> specs = args.length > 1 ? Arrays.asList(args).subList(1, args.length)
                : List.of("64:10000000", "4096:2000000");
        final String only = System.getProperty("bench.cases");
        final List<String> keys = CASES.keySet().stream()
                .filter(k -> only == null || Arrays.asList(only.split(",")).contains(k)).toList();
        final Path dir = Files.createTempDirectory("zmqbench");
        try {
            final Path perf = compileC(dir);
            final Map<String, List<Double>> steady = new LinkedHashMap<>();
            final Map<String, List<Double>> whole = new LinkedHashMap<>();
            for (int round = 1; round <= rounds; round++) {
                for (final String spec : specs) {
                    final int size = Integer.parseInt(spec.substring(0, spec.indexOf(':')));
                    final long count = Long.parseLong(spec.substring(spec.indexOf(':') + 1));
                    for (final String key : keys) {
                        final String[] c = CASES.get(key);
                        if ((c[0].equals("c") || c[1].equals("c")) && perf == null) {
                            continue;
                        }
                        final double[] rate = run(c[0], c[1], address(c[2], dir), count, size, perf);
                        steady.computeIfAbsent(key + "@" + size, k -> new ArrayList<>()).add(rate[0]);
                        whole.computeIfAbsent(key + "@" + size, k -> new ArrayList<>()).add(rate[1]);
                        System.out.printf("round %d: %-10s %5d B steady %,12.0f whole %,12.0f msgs/s%n", round, key,
                                size, rate[0], rate[1]);
                    }
                }
            }
            print(rounds, specs, keys, steady, whole);
        } finally {
            try (var files = Files.list(dir)) {
                for (final Path file : files.toList()) {
                    Files.deleteIfExists(file);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private static void print(final int rounds, final List<String> specs, final List<String> keys,
                              final Map<String, List<Double>> steady, final Map<String, List<Double>> whole) {
        System.out.println();
        System.out.println("Medians of " + rounds + " interleaved rounds, msgs/s: steady = from message count/2 to "
                + "the last, whole = from the first message to the last (warm-up included); ratio: to C -> C over the "
                + "same scheme for libzmq rows, to plain JeroMQ for the JeroMQ provider");
        System.out.println();
        System.out.println("| sender -> receiver (two processes) | scheme | size | steady (median) | min-max | ratio "
                + "| whole (median) | ratio |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|");
        for (final String spec : specs) {
            final int size = Integer.parseInt(spec.substring(0, spec.indexOf(':')));
            for (final String key : keys) {
                final List<Double> list = steady.get(key + "@" + size);
                if (list == null) {
                    continue;
                }
                final String[] c = CASES.get(key);
                final String base = c[0].equals("jeromq") ? "plain-tcp" : c[0].equals("plain") ? null
                        : c[0].equals("c") && c[1].equals("c") ? null : "c-" + c[2];
                final List<Double> wholeList = whole.get(key + "@" + size);
                System.out.printf("| %s -> %s | %s | %d B | %,.0f | %,.0f-%,.0f | %s | %,.0f | %s |%n",
                        NAMES.get(c[0]), NAMES.get(c[1]), c[2], size, median(list), min(list), max(list),
                        ratio(list, base == null ? null : steady.get(base + "@" + size)), median(wholeList),
                        ratio(wholeList, base == null ? null : whole.get(base + "@" + size)));
            }
        }
    }

    /** @return the ratio of the two medians, or an empty cell without a base */
    private static String ratio(final List<Double> values, final List<Double> base) {
        return base == null ? "" : String.format("%.2f", median(values) / median(base));
    }

    private static double median(final List<Double> values) {
        final double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double min(final List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    private static double max(final List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
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

    /**
     * One case: starts the receiver, waits until it bound, starts the sender, reads the receiver's rate, then closes
     * the sender's stdin, which lets it disconnect (a sender stays connected until the receiver has everything: see
     * the README on libzmq 4.3.4 and disconnecting senders).
     */
    private static double[] run(final String senderImpl, final String receiverImpl, final String address,
                              final long count, final int size, final Path perf) throws IOException,
            InterruptedException {
        final Process receiver = start(receiverImpl, perf, "pull", address, count, size)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        final BufferedReader out = reader(receiver);
        String line;
        while ((line = out.readLine()) != null && !line.equals("READY")) {
            System.out.println("  receiver: " + line);
        }
        final Process sender = start(senderImpl, perf, "push", address, count, size)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        double[] rate = {Double.NaN, Double.NaN};
        while ((line = out.readLine()) != null) {
            if (line.startsWith("RATE ")) {
                final String[] fields = line.split(" ");
                rate = new double[] {Double.parseDouble(fields[1]), Double.parseDouble(fields[2])};
            } else {
                System.out.println("  receiver: " + line);
            }
        }
        receiver.waitFor(60, TimeUnit.SECONDS);
        sender.getOutputStream().close();
        if (!sender.waitFor(60, TimeUnit.SECONDS)) {
            sender.destroyForcibly();
        }
        return rate;
    }

    private static ProcessBuilder start(final String impl, final Path perf, final String role, final String address,
                                        final long count, final int size) {
        if (impl.equals("c")) {
            return new ProcessBuilder(perf.toString(), role, address, Long.toString(count), Integer.toString(size));
        }
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        final String extra = System.getProperty(role.equals("push") ? "bench.senderJvm" : "bench.receiverJvm");
        if (extra != null && !extra.isBlank()) {
            command.addAll(Arrays.asList(extra.trim().split("\\s+")));
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), ZmqPushPullBench.class.getName(), role,
                impl, address, Long.toString(count)));
        if (role.equals("push")) {
            command.add(Integer.toString(size));
        }
        return new ProcessBuilder(command);
    }

    private static Transport transport(final String impl) {
        return ServiceLoader.load(Transport.class).stream().map(ServiceLoader.Provider::get)
                .filter(t -> t.kind() == TransportKind.ZEROMQ)
                .filter(t -> (t instanceof LibzmqTransport) == impl.equals("libzmq")).findFirst().orElseThrow();
    }

    private static BufferedReader reader(final Process process) {
        return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Blocks until the parent closes stdin: the receiver has everything, the sender may disconnect. */
    private static void awaitParent() throws IOException {
        while (System.in.read() >= 0) {
            // nothing: only the end of the stream matters
        }
    }

    /** A sending child: connects a push socket of {@code impl} and sends {@code count} messages of {@code size}. */
    private static void push(final String impl, final String address, final long count, final int size)
            throws IOException {
        if (impl.equals("plain")) {
            try (ZContext context = new ZContext(1)) {
                final ZMQ.Socket push = context.createSocket(org.zeromq.SocketType.PUSH);
                push.connect(address);
                for (long i = 0; i < count; i++) {
                    final byte[] frame = new byte[size];
                    frame[0] = (byte) i;
                    push.send(frame, 0);
                }
                awaitParent();
                push.close();
            }
            return;
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
            awaitParent();
        }
    }

    /**
     * Prints the receiver's two rates, as the C receiver does: {@code RATE steady whole}, msgs/s. Steady: from message
     * {@code count / 2} to the last (the first half warms up: JIT compilation, the peers' first batches). Whole: from
     * the first message received to the last, the sender's warm-up included.
     */
    private static void printRates(final long count, final long first, final long middle, final long end) {
        System.out.printf("RATE %.0f %.0f%n", (count - 1 - count / 2) / ((end - middle) / 1e9),
                (count - 1) / ((end - first) / 1e9));
    }

    /** A receiving child: binds a pull socket of {@code impl}, receives {@code count} messages, prints the rate. */
    private static void pull(final String impl, final String address, final long count) {
        final long half = count / 2;
        long first = 0;
        long middle = 0;
        if (impl.equals("plain")) {
            try (ZContext context = new ZContext(1)) {
                final ZMQ.Socket pull = context.createSocket(org.zeromq.SocketType.PULL);
                pull.bind(address);
                System.out.println("READY");
                for (long i = 0; i < count; i++) {
                    pull.recv(0);
                    if (i == 0) {
                        first = System.nanoTime();
                    } else if (i == half) {
                        middle = System.nanoTime();
                    }
                }
                printRates(count, first, middle, System.nanoTime());
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
                final long result = pull.receive(message, 60_000);
                if (i == 0) {
                    first = System.nanoTime();
                } else if (i == half) {
                    middle = System.nanoTime();
                }
                if (result < 0) {
                    throw new IllegalStateException("receive failed at " + i + ": result=" + result);
                }
                sum += message.data().get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
            }
            printRates(count, first, middle, System.nanoTime());
            if (sum == 42) {
                System.out.println("(sum " + sum + ")");
            }
        }
    }
}
