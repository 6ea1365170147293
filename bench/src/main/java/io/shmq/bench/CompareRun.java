package io.shmq.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code compare}: shmq against its peers in one interleaved session on this machine. Every case runs in fresh
 * JVMs ({@link CompareCase}, which starts its other JVM); round 1 runs every case once, round 2 again in the
 * opposite order, and so on, so that a slow minute of a shared machine does not fall on one system only. Prints
 * one table (medians over the rounds, ratios to each peer, the targets met or missed), writes
 * {@code compare.csv} (the table), {@code compare-rounds.csv} (every round of every case), {@code compare.md} (what
 * was printed) and {@code compare.png} (rate against message size, log-log) into the output directory.
 *
 * <pre>
 *   compare [--quick] [--rounds N] [--seconds S] [--out DIR]
 * </pre>
 * FairMQ's C++ devices are measured when {@code FAIRMQ_BIN} names a directory with {@code fairmq-bsampler} and
 * {@code fairmq-sink} (see {@link FairMqRun}); the project never builds FairMQ.
 */
public final class CompareRun {
    static final String SHMEM = Peer.SHMEM.label();
    static final String SIDE_CHANNEL = "shmq side channel";
    static final String FAIRMQ = "FairMQ shmem";
    static final String PUSH_PULL = "push/pull";
    static final String REQ_REP = "req/rep";
    private static final long[] SHMEM_SIZES = {64, 4 << 10, 64 << 10, 1 << 20, 16 << 20};
    private static final long[] TCP_SIZES = {64, 4 << 10};
    private static final long[] SIDE_CHANNEL_SIZES = {64, 1 << 20};

    /** One measured thing: which system, which pattern, which size; how its case child is started. */
    record Case(String system, String pattern, long size, List<String> jvmFlags, List<String> args) {
        String name() {
            return system + " " + pattern + " " + SocketRun.human(size);
        }
    }

    /** One round of one case: the numbers of its RESULT line, empty when it failed. */
    record Sample(int round, Case kase, Map<String, Double> values, String error) {
        double get(final String key) {
            return values.getOrDefault(key, Double.NaN);
        }
    }

    /** How long and how often. */
    record Settings(int rounds, double seconds, long warmUp, long roundTrips, long sideChannelMessages,
                    long fairMqMessages, Path out, boolean quick) {
        static Settings parse(final String[] args) {
            boolean quick = false;
            Integer rounds = null;
            Double seconds = null;
            Path out = Path.of("bench", "target", "compare");
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--quick" -> quick = true;
                    case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                    case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                    case "--out" -> out = Path.of(args[++i]);
                    default -> throw new IllegalArgumentException("unknown option: " + args[i]
                            + " (compare [--quick] [--rounds N] [--seconds S] [--out DIR])");
                }
            }
            return quick ? new Settings(rounds == null ? 1 : rounds, seconds == null ? 0.5 : seconds, 5_000, 20_000,
                    100_000, 100_000, out, true)
                    // 1,000,000 round trips of warm-up (about 1 s), so the percentiles, like the streams' steady
                    // rates (the second half of 2 s), are measured after the first second, once C2 is mostly done.
                    : new Settings(rounds == null ? 3 : rounds, seconds == null ? 2.0 : seconds, 1_000_000, 200_000,
                    2_000_000, 1_000_000, out, false);
        }
    }

    /** The case JVM running now, for the shutdown hook. */
    private static volatile Process running;

    private CompareRun() {
    }

    /**
     * @param args see the class comment
     * @throws Exception when the output cannot be written
     */
    static void run(final String[] args) throws Exception {
        final Settings settings = Settings.parse(args);
        Files.createDirectories(settings.out());
        // Aeron's driver directories go below this one, in /dev/shm as shmq's files; removed at the end (and on ^C).
        final Path scratch = Files.createTempDirectory(Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm")
                : Path.of(System.getProperty("java.io.tmpdir")), "shmq-compare-");
        final Thread cleanup = new Thread(() -> {
            final Process child = running;
            if (child != null) { // ^C: the case's JVMs go too (a shmq session they leave is swept as stale later)
                child.descendants().forEach(ProcessHandle::destroy);
                child.destroy();
            }
            deleteTree(scratch);
        });
        Runtime.getRuntime().addShutdownHook(cleanup);
        final StringBuilder report = new StringBuilder();
        final String header = String.format(Locale.ROOT, "shmq bench compare, %s: %d round(s), %.1f s per stream case,"
                        + " %,d round trips after %,d warm-up; JDK %s, %d cores (%s), load average at start %s",
                Instant.now().truncatedTo(ChronoUnit.SECONDS), settings.rounds(), settings.seconds(),
                settings.roundTrips(), settings.warmUp(), System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors(), cpuModel(), loadAverage());
        System.out.println(header);
        report.append(header).append("\n\n");
        final List<Case> cases = cases(settings, scratch);
        final FairMqRun fairMq = FairMqRun.fromEnvironment();
        System.out.println(fairMq.status());
        report.append(fairMq.status()).append("\n\n");
        final List<Sample> samples = new ArrayList<>();
        final long start = System.nanoTime();
        try {
            for (int round = 1; round <= settings.rounds(); round++) {
                final List<Case> order = new ArrayList<>(cases);
                if (round % 2 == 0) {
                    java.util.Collections.reverse(order);
                }
                for (final Case kase : order) {
                    final Sample sample = runCase(round, kase);
                    samples.add(sample);
                    System.out.println(progress(settings, sample));
                }
                samples.addAll(fairMq.round(round, settings.fairMqMessages(), (sample) -> {
                    System.out.println(progress(settings, sample));
                }));
            }
        } finally {
            deleteTree(scratch);
            Runtime.getRuntime().removeShutdownHook(cleanup);
        }
        final List<Row> rows = summarise(cases, fairMq.cases(), samples);
        final String table = CompareTable.markdown(rows);
        final String footer = String.format(Locale.ROOT, "%d round(s) in %.0f s; load average at the end %s.",
                settings.rounds(), (System.nanoTime() - start) / 1e9, loadAverage());
        System.out.println();
        System.out.println(table);
        System.out.println(footer);
        report.append(table).append('\n').append(footer).append('\n');
        Files.writeString(settings.out().resolve("compare.md"), report);
        Files.writeString(settings.out().resolve("compare.csv"), CompareTable.csv(rows));
        Files.writeString(settings.out().resolve("compare-rounds.csv"), roundsCsv(samples));
        CompareChart.draw(rows, header, settings.out().resolve("compare.png"));
        System.out.println("wrote " + settings.out().resolve("compare.md") + ", compare.csv, compare-rounds.csv, "
                + "compare.png");
    }

    /** The cases of one round, in the order they run: per size every system, then tcp, then round trips. */
    static List<Case> cases(final Settings settings, final Path scratch) {
        final List<Case> cases = new ArrayList<>();
        final String nanos = Long.toString((long) (settings.seconds() * 1e9));
        for (final long size : SHMEM_SIZES) {
            cases.add(stream(Peer.SHMEM, size, nanos, scratch));
            cases.add(stream(Peer.AERON, size, nanos, scratch));
            if (Arrays.stream(SIDE_CHANNEL_SIZES).anyMatch(s -> s == size)) {
                final long messages = size >= 1 << 20 ? Math.max(1000, settings.sideChannelMessages() / 20)
                        : settings.sideChannelMessages();
                cases.add(new Case(SIDE_CHANNEL, "side channel", size, List.of(),
                        List.of("sidechannel", Long.toString(size), Long.toString(messages))));
            }
        }
        for (final long size : TCP_SIZES) {
            cases.add(stream(Peer.ZEROMQ, size, nanos, scratch));
            cases.add(stream(Peer.JEROMQ, size, nanos, scratch));
        }
        for (final Peer peer : List.of(Peer.SHMEM, Peer.AERON)) {
            cases.add(new Case(peer.label(), REQ_REP, 64, peer.jvmFlags(), List.of("rtt", peer.name(), "64",
                    Long.toString(settings.warmUp()), Long.toString(settings.roundTrips()), scratch.toString())));
        }
        return cases;
    }

    private static Case stream(final Peer peer, final long size, final String nanos, final Path scratch) {
        return new Case(peer.label(), PUSH_PULL, size, peer.jvmFlags(),
                List.of("stream", peer.name(), Long.toString(size), nanos, scratch.toString()));
    }

    private static Sample runCase(final int round, final Case kase) {
        try {
            final Process child = ChildJvm.start(kase.jvmFlags(), CompareCase.class, true,
                    kase.args().toArray(String[]::new));
            running = child;
            Map<String, Double> values = null;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    if (line.startsWith(CompareCase.RESULT)) {
                        values = parse(line.substring(CompareCase.RESULT.length()));
                    } else {
                        System.out.println("  " + line);
                    }
                }
            }
            ChildJvm.await(child, 600);
            if (values == null) {
                return new Sample(round, kase, Map.of(), "no RESULT line");
            }
            return new Sample(round, kase, values, null);
        } catch (IOException | InterruptedException | RuntimeException e) {
            return new Sample(round, kase, Map.of(), e.getMessage());
        }
    }

    static Map<String, Double> parse(final String line) {
        final Map<String, Double> values = new HashMap<>();
        for (final String pair : line.trim().split("\\s+")) {
            final int eq = pair.indexOf('=');
            values.put(pair.substring(0, eq), Double.parseDouble(pair.substring(eq + 1)));
        }
        return values;
    }

    private static String progress(final Settings settings, final Sample sample) {
        if (sample.error() != null) {
            return String.format(Locale.ROOT, "round %d/%d  %-40s FAILED: %s", sample.round(), settings.rounds(),
                    sample.kase().name(), sample.error());
        }
        final String rtt = Double.isNaN(sample.get("p50")) ? ""
                : String.format(Locale.ROOT, ", RTT p50 %.0f ns p99 %.0f ns", sample.get("p50"), sample.get("p99"));
        return String.format(Locale.ROOT, "round %d/%d  %-40s whole %s/s, steady %s (%,.0f messages)%s",
                sample.round(), settings.rounds(), sample.kase().name(), CompareTable.rate(sample.get("whole")),
                Double.isNaN(sample.get("steady")) ? "-" : CompareTable.rate(sample.get("steady")) + "/s",
                sample.get("count"), rtt);
    }

    /**
     * One line of the table: a case's medians over the rounds.
     *
     * @param kase    the case
     * @param rounds  rounds that produced numbers
     * @param failed  rounds that failed
     * @param medians median of each value over the rounds (count, whole, steady, p50 ...)
     * @param min     the lowest steady rate of a round
     * @param max     the highest
     */
    record Row(Case kase, int rounds, int failed, Map<String, Double> medians, double min, double max) {
        double get(final String key) {
            return medians.getOrDefault(key, Double.NaN);
        }
    }

    static List<Row> summarise(final List<Case> cases, final List<Case> more, final List<Sample> samples) {
        final List<Row> rows = new ArrayList<>();
        for (final Case kase : Stream.concat(cases.stream(), more.stream()).toList()) {
            final List<Sample> mine = samples.stream().filter(s -> s.kase().equals(kase)).toList();
            final List<Sample> good = mine.stream().filter(s -> s.error() == null).toList();
            final Map<String, Double> medians = new LinkedHashMap<>();
            for (final String key : List.of("count", "whole", "steady", "p50", "p90", "p99", "p999", "max")) {
                medians.put(key, median(good.stream().mapToDouble(s -> s.get(key)).toArray()));
            }
            final double[] steady = good.stream().mapToDouble(s -> s.get("steady")).filter(d -> !Double.isNaN(d))
                    .toArray();
            rows.add(new Row(kase, good.size(), mine.size() - good.size(), medians,
                    Arrays.stream(steady).min().orElse(Double.NaN), Arrays.stream(steady).max().orElse(Double.NaN)));
        }
        return rows;
    }

    static double median(final double[] values) {
        final double[] sorted = Arrays.stream(values).filter(d -> !Double.isNaN(d)).sorted().toArray();
        if (sorted.length == 0) {
            return Double.NaN;
        }
        final int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static String roundsCsv(final List<Sample> samples) {
        final StringBuilder csv = new StringBuilder(
                "round,system,pattern,size_bytes,count,whole_per_s,steady_per_s,p50_ns,p90_ns,p99_ns,p999_ns,max_ns,error\n");
        for (final Sample s : samples) {
            csv.append(s.round()).append(',').append(s.kase().system()).append(',').append(s.kase().pattern())
                    .append(',').append(s.kase().size());
            for (final String key : List.of("count", "whole", "steady", "p50", "p90", "p99", "p999", "max")) {
                csv.append(',').append(CompareTable.csvNumber(s.get(key)));
            }
            csv.append(',').append(s.error() == null ? "" : '"' + s.error().replace('"', '\'') + '"').append('\n');
        }
        return csv.toString();
    }

    /** @return the processor's model name (results differ a lot between machines of the same size), or "unknown CPU" */
    private static String cpuModel() {
        try {
            return cpuModel(Files.readString(Path.of("/proc/cpuinfo")));
        } catch (IOException e) {
            return cpuModel("");
        }
    }

    /** @return the first {@code model name} of a {@code /proc/cpuinfo} text, or "unknown CPU" */
    static String cpuModel(final String cpuinfo) {
        for (final String line : cpuinfo.split("\n")) {
            final int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals("model name")) {
                final String model = line.substring(colon + 1).trim().replaceAll("\\s+", " ");
                if (!model.isEmpty()) {
                    return model;
                }
            }
        }
        return "unknown CPU";
    }

    private static String loadAverage() {
        try {
            final String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static void deleteTree(final Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            System.err.println("compare: could not remove " + root + ": " + e.getMessage());
        }
    }
}
