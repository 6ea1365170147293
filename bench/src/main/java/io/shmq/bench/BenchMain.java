package io.shmq.bench;

import java.util.Arrays;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs shmq's benchmarks and prints a table.
 *
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar            # the JMH micro-benchmarks
 *   java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar sidechannel [messages]  # two JVMs
 *   java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar sockets [scale]  # two JVMs, sockets
 *   java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar arrow [rows]  # Arrow tables, resolve
 *   java --enable-native-access=ALL-UNNAMED -jar bench/target/benchmarks.jar compare [--quick] [--rounds N]
 *        [--seconds S] [--out DIR]                  # shmq against Aeron IPC, JeroMQ (and FairMQ): table, CSV, PNG
 *   java -jar bench/target/benchmarks.jar jmh [JMH options]                              # JMH's own command line
 * </pre>
 */
public final class BenchMain {
    private BenchMain() {
    }

    /**
     * @param args empty for the micro-benchmarks, {@code sidechannel [messages]} for the two-JVM run, or
     *             {@code jmh} followed by JMH's options
     * @throws Exception when a benchmark fails
     */
    public static void main(final String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("jmh")) {
            org.openjdk.jmh.Main.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (args.length > 0 && args[0].equals("sidechannel")) {
            SideChannelRun.run(new long[] {64, 4096, 64 << 10, 1 << 20},
                    args.length > 1 ? Long.parseLong(args[1]) : 2_000_000L);
            return;
        }
        if (args.length > 0 && args[0].equals("arrow")) {
            ArrowRun.run(args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000);
            return;
        }
        if (args.length > 0 && args[0].equals("compare")) {
            CompareRun.run(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (args.length > 0 && args[0].equals("sockets")) {
            SocketRun.run(args.length > 1 ? Double.parseDouble(args[1]) : 1.0);
            return;
        }
        if (args.length > 0) {
            System.err.println("unknown benchmark: " + args[0]
                    + " (none for JMH, or one of: jmh, sidechannel, sockets, arrow, compare)");
            System.exit(2);
        }
        runMicroBenchmarks();
    }

    private static void runMicroBenchmarks() throws RunnerException {
        final Options options = new OptionsBuilder().include(MessageBenchmark.class.getSimpleName()).build();
        final var results = new Runner(options).run();
        System.out.println();
        System.out.println("| benchmark | ns/op | error (99.9%) |");
        System.out.println("|---|---:|---:|");
        for (final RunResult result : results) {
            final var primary = result.getPrimaryResult();
            System.out.printf("| %s | %.1f | %.1f |%n", result.getParams().getBenchmark().replaceFirst(".*\\.", ""),
                    primary.getScore(), primary.getScoreError());
        }
    }
}
