package io.shmq.bench;

import org.HdrHistogram.Histogram;

/**
 * Round-trip latency, measured the same way for every system: a warm-up, then one {@link Histogram} sample per round
 * trip (nanoseconds, 3 significant digits).
 */
final class RoundTrips {
    /** One system's requesting side: sends a request numbered {@code i} and waits for its reply. */
    interface Requester extends AutoCloseable {
        void roundTrip(long i) throws Exception;
    }

    /**
     * What a run measured.
     *
     * @param rates round trips per second over the whole run (warm-up included) and after the warm-up
     * @param p50   median round trip, ns
     * @param p90   90th percentile, ns
     * @param p99   99th percentile, ns
     * @param p999  99.9th percentile, ns
     * @param max   longest, ns
     */
    record Latency(Rates rates, long p50, long p90, long p99, long p999, long max) {
    }

    private RoundTrips() {
    }

    /**
     * @param requester the requesting side, connected
     * @param warmUp    round trips not sampled
     * @param rounds    round trips sampled after the warm-up
     * @return the rates and percentiles
     */
    static Latency measure(final Requester requester, final long warmUp, final long rounds) throws Exception {
        final Histogram histogram = new Histogram(3);
        final long first = System.nanoTime();
        long steadyStart = first;
        for (long i = 0; i < warmUp + rounds; i++) {
            final long start = System.nanoTime();
            if (i == warmUp) {
                steadyStart = start;
            }
            requester.roundTrip(i);
            if (i >= warmUp) {
                histogram.recordValue(System.nanoTime() - start);
            }
        }
        final long end = System.nanoTime();
        final Rates rates = new Rates(warmUp + rounds, (warmUp + rounds) * 1e9 / (end - first),
                rounds * 1e9 / (end - steadyStart));
        return new Latency(rates, histogram.getValueAtPercentile(50), histogram.getValueAtPercentile(90),
                histogram.getValueAtPercentile(99), histogram.getValueAtPercentile(99.9), histogram.getMaxValue());
    }
}
