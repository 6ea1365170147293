package io.shmq.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The table of {@code compare}: one row per case (medians over the rounds), the ratios to each peer at the same size
 * and the targets of issue 12 that a row carries, each "met" or "missed" with the number it was judged on.
 */
final class CompareTable {
    private static final String HEADER = "| system | case | size | rounds | whole run /s | steady /s (min-max) "
            + "| whole/steady | payload MB/s (steady) | RTT p50 / p90 / p99 / p99.9 ns | vs Aeron | vs JeroMQ | vs FairMQ "
            + "| target |";

    private CompareTable() {
    }

    static String markdown(final List<CompareRun.Row> rows) {
        final StringBuilder table = new StringBuilder(HEADER).append('\n')
                .append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (final CompareRun.Row row : rows) {
            final CompareRun.Case kase = row.kase();
            final String steady = Double.isNaN(row.get("steady")) ? "-" : rate(row.get("steady")) + " ("
                    + rate(row.min()) + "-" + rate(row.max()) + ")";
            table.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s "
                            + "| %s |%n", kase.system(), kase.pattern(), SocketRun.human(kase.size()),
                    row.failed() == 0 ? Integer.toString(row.rounds()) : row.rounds() + " (" + row.failed()
                            + " failed)", rate(row.get("whole")), steady, ratio(row.get("whole") / row.get("steady")),
                    kase.pattern().equals(CompareRun.REQ_REP) ? "" : number(row.get("steady") * kase.size() / 1e6),
                    latency(row), vsAeron(rows, row),
                    vsJeroMq(rows, row), vsFairMq(rows, row), String.join("; ", targets(rows, row))));
        }
        return table.toString();
    }

    static String csv(final List<CompareRun.Row> rows) {
        final StringBuilder csv = new StringBuilder("system,pattern,size_bytes,rounds,failed,whole_per_s,steady_per_s,"
                + "steady_min,steady_max,whole_over_steady,steady_mb_s,p50_ns,p90_ns,p99_ns,p999_ns,max_ns,vs_aeron,"
                + "vs_jeromq,vs_fairmq,target\n");
        for (final CompareRun.Row row : rows) {
            final CompareRun.Case kase = row.kase();
            final List<String> cells = new ArrayList<>(List.of(kase.system(), kase.pattern(),
                    Long.toString(kase.size()), Integer.toString(row.rounds()), Integer.toString(row.failed())));
            for (final double value : new double[] {row.get("whole"), row.get("steady"), row.min(), row.max(),
                    row.get("whole") / row.get("steady"), row.get("steady") * kase.size() / 1e6, row.get("p50"),
                    row.get("p90"), row.get("p99"), row.get("p999"), row.get("max")}) {
                cells.add(csvNumber(value));
            }
            cells.add(vsAeron(rows, row));
            cells.add(vsJeroMq(rows, row));
            cells.add(vsFairMq(rows, row));
            cells.add('"' + String.join("; ", targets(rows, row)) + '"');
            csv.append(String.join(",", cells)).append('\n');
        }
        return csv.toString();
    }

    static Optional<CompareRun.Row> find(final List<CompareRun.Row> rows, final String system, final String pattern,
                                         final long size) {
        return rows.stream().filter(r -> r.kase().system().equals(system) && r.kase().pattern().equals(pattern)
                && r.kase().size() == size).findFirst();
    }

    private static String vsAeron(final List<CompareRun.Row> rows, final CompareRun.Row row) {
        final String system = row.kase().system();
        if (!system.equals(CompareRun.SHMEM) && !system.equals(CompareRun.SIDE_CHANNEL)) {
            return "";
        }
        if (row.kase().pattern().equals(CompareRun.REQ_REP)) {
            return find(rows, Peer.AERON.label(), CompareRun.REQ_REP, row.kase().size())
                    .map(a -> "p50 " + ratio(row.get("p50") / a.get("p50"))).orElse("");
        }
        return find(rows, Peer.AERON.label(), CompareRun.PUSH_PULL, row.kase().size())
                .map(a -> ratio(row.get("steady") / a.get("steady"))).orElse("");
    }

    private static String vsJeroMq(final List<CompareRun.Row> rows, final CompareRun.Row row) {
        if (!row.kase().system().equals(Peer.ZEROMQ.label())) {
            return "";
        }
        return find(rows, Peer.JEROMQ.label(), CompareRun.PUSH_PULL, row.kase().size())
                .map(j -> ratio(row.get("steady") / j.get("steady"))).orElse("");
    }

    private static String vsFairMq(final List<CompareRun.Row> rows, final CompareRun.Row row) {
        if (!row.kase().system().equals(CompareRun.SHMEM) || !row.kase().pattern().equals(CompareRun.PUSH_PULL)) {
            return "";
        }
        return find(rows, CompareRun.FAIRMQ, CompareRun.PUSH_PULL, row.kase().size())
                .map(f -> "whole " + ratio(row.get("whole") / f.get("whole"))).orElse("");
    }

    /** The targets of issue 12 this row carries, each with its verdict. */
    static List<String> targets(final List<CompareRun.Row> rows, final CompareRun.Row row) {
        final List<String> targets = new ArrayList<>();
        final CompareRun.Case kase = row.kase();
        if (kase.system().equals(CompareRun.SHMEM) && kase.pattern().equals(CompareRun.PUSH_PULL)) {
            if (kase.size() == 64) {
                targets.add(verdict("steady >= 8 M/s", row.get("steady"), 8e6));
                find(rows, Peer.AERON.label(), CompareRun.PUSH_PULL, 64).ifPresent(a ->
                        targets.add(verdict(">= 0.5x Aeron", row.get("steady") / a.get("steady"), 0.5)));
                targets.add(verdict("whole >= 0.7x steady", row.get("whole") / row.get("steady"), 0.7));
            }
            if (kase.size() == 16 << 20) {
                find(rows, CompareRun.SHMEM, CompareRun.PUSH_PULL, 64).ifPresent(small ->
                        targets.add(verdict("steady >= 0.8x 64 B", row.get("steady") / small.get("steady"), 0.8)));
            }
            if (kase.size() >= 1 << 20) {
                find(rows, CompareRun.FAIRMQ, CompareRun.PUSH_PULL, kase.size()).ifPresent(f ->
                        targets.add(verdict("whole >= 2x FairMQ", row.get("whole") / f.get("whole"), 2)));
            }
        }
        if (kase.system().equals(CompareRun.SHMEM) && kase.pattern().equals(CompareRun.REQ_REP)) {
            find(rows, Peer.AERON.label(), CompareRun.REQ_REP, kase.size()).ifPresent(a ->
                    targets.add(verdict("p50 <= Aeron", a.get("p50") / row.get("p50"), 1)));
            targets.add(verdict("p99 < 5 us", 5000 / row.get("p99"), 1.0 + 1e-9));
        }
        if (kase.system().equals(Peer.ZEROMQ.label())) {
            find(rows, Peer.JEROMQ.label(), CompareRun.PUSH_PULL, kase.size()).ifPresent(j ->
                    targets.add(verdict(">= JeroMQ", row.get("steady") / j.get("steady"), 1)));
        }
        return targets;
    }

    /** @return "NAME met" when {@code value >= bound}, "NAME missed", or "NAME n/a" without a number */
    private static String verdict(final String name, final double value, final double bound) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return name + " n/a";
        }
        return name + (value >= bound ? " met" : " missed");
    }

    /** @return 8.12 M, 950 k, 312 */
    static String rate(final double perSecond) {
        if (Double.isNaN(perSecond)) {
            return "-";
        }
        if (perSecond >= 1e6) {
            return String.format(Locale.ROOT, "%.2f M", perSecond / 1e6);
        }
        if (perSecond >= 1e4) {
            return String.format(Locale.ROOT, "%.0f k", perSecond / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f", perSecond);
    }

    private static String ratio(final double ratio) {
        return Double.isNaN(ratio) || Double.isInfinite(ratio) ? "-" : String.format(Locale.ROOT, "%.2fx", ratio);
    }

    private static String number(final double value) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%,.0f", value);
    }

    private static String latency(final CompareRun.Row row) {
        if (Double.isNaN(row.get("p50"))) {
            return "";
        }
        return String.format(Locale.ROOT, "%,.0f / %,.0f / %,.0f / %,.0f", row.get("p50"), row.get("p90"),
                row.get("p99"), row.get("p999"));
    }

    static String csvNumber(final double value) {
        return Double.isNaN(value) || Double.isInfinite(value) ? "" : String.format(Locale.ROOT, "%.1f", value);
    }
}
