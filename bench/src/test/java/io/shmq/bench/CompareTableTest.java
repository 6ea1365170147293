package io.shmq.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The compare table's ratios and verdicts, on made-up numbers. */
class CompareTableTest {
    private static CompareRun.Row row(final String system, final String pattern, final long size,
                                      final Map<String, Double> values) {
        final CompareRun.Case kase = new CompareRun.Case(system, pattern, size, List.of(), List.of());
        return new CompareRun.Row(kase, 3, 0, values, values.getOrDefault("steady", Double.NaN),
                values.getOrDefault("steady", Double.NaN));
    }

    private static final List<CompareRun.Row> ROWS = List.of(
            row(CompareRun.SHMEM, CompareRun.PUSH_PULL, 64, Map.of("whole", 5e6, "steady", 9e6)),
            row(Peer.AERON.label(), CompareRun.PUSH_PULL, 64, Map.of("whole", 10e6, "steady", 16e6)),
            row(CompareRun.SHMEM, CompareRun.PUSH_PULL, 16 << 20, Map.of("whole", 1e6, "steady", 8e6)),
            row(CompareRun.SHMEM, CompareRun.REQ_REP, 64, Map.of("p50", 500.0, "p99", 6000.0)),
            row(Peer.AERON.label(), CompareRun.REQ_REP, 64, Map.of("p50", 400.0, "p99", 900.0)),
            row(Peer.ZEROMQ.label(), CompareRun.PUSH_PULL, 64, Map.of("steady", 2e6)),
            row(Peer.JEROMQ.label(), CompareRun.PUSH_PULL, 64, Map.of("steady", 1e6)));

    @Test
    void shouldJudgeTheSmallMessageTargets() {
        assertEquals(List.of("steady >= 8 M/s met", ">= 0.5x Aeron met", "whole >= 0.7x steady missed"),
                CompareTable.targets(ROWS, ROWS.get(0)));
    }

    @Test
    void shouldJudgeTheZeroCopyTargetAgainstTheSmallMessages() {
        assertEquals(List.of("steady >= 0.8x 64 B met"), CompareTable.targets(ROWS, ROWS.get(2)));
    }

    @Test
    void shouldJudgeTheRoundTripAgainstAeronAndFiveMicroseconds() {
        assertEquals(List.of("p50 <= Aeron missed", "p99 < 5 us missed"), CompareTable.targets(ROWS, ROWS.get(3)));
    }

    @Test
    void shouldJudgeTheProviderAgainstPlainJeroMq() {
        assertEquals(List.of(">= JeroMQ met"), CompareTable.targets(ROWS, ROWS.get(5)));
    }

    @Test
    void shouldPrintRatiosToEachPeer() {
        final String table = CompareTable.markdown(ROWS);
        assertTrue(table.contains("| 0.56x |"), table); // shmem 64 B steady / Aeron's
        assertTrue(table.contains("p50 1.25x"), table);
        assertTrue(table.contains("| 2.00x |"), table); // zeromq provider / JeroMQ
    }

    @Test
    void shouldWriteOneCsvLinePerRowWithEveryColumn() {
        final String[] lines = CompareTable.csv(ROWS).split("\n");
        assertEquals(ROWS.size() + 1, lines.length);
        final int columns = lines[0].split(",").length;
        for (final String line : lines) {
            assertEquals(columns, line.replaceAll("\"[^\"]*\"", "x").split(",", -1).length, line);
        }
    }

    @Test
    void shouldReadAResultLineAndTakeMedians() {
        assertEquals(Map.of("count", 10.0, "whole", 1.5, "steady", 2.0),
                CompareRun.parse("count=10 whole=1.5 steady=2.0"));
        assertEquals(2.0, CompareRun.median(new double[] {3, 1, 2}));
        assertEquals(2.5, CompareRun.median(new double[] {4, 1, 3, 2, Double.NaN}));
        assertTrue(Double.isNaN(CompareRun.median(new double[0])));
    }
}
