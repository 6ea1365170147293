package io.shmq.bench;

import java.nio.file.Path;
import java.util.Locale;

/**
 * One case of {@code compare} in a fresh JVM (started by {@link CompareRun}): it holds the measuring side and starts
 * the other JVM itself, then prints one {@code RESULT key=value ...} line. Arguments:
 * <pre>
 *   stream PEER SIZE DURATION_NANOS SCRATCH_DIR       one-way stream for a fixed time
 *   rtt PEER SIZE WARM_UP ROUNDS SCRATCH_DIR          round trips
 *   sidechannel SIZE MESSAGES                         the side channel (SideChannelRun)
 * </pre>
 */
public final class CompareCase {
    /** The prefix of the line that carries a case's numbers. */
    static final String RESULT = "RESULT ";

    private CompareCase() {
    }

    /**
     * @param args see the class comment
     */
    public static void main(final String[] args) {
        try {
            final String line = switch (args[0]) {
                case "stream" -> {
                    final Peer peer = Peer.valueOf(args[1]);
                    final long size = Long.parseLong(args[2]);
                    yield rates(TwoJvm.stream(peer, peer.freshAddress(Path.of(args[4])), size,
                            Long.parseLong(args[3]), Long.MAX_VALUE));
                }
                case "rtt" -> {
                    final Peer peer = Peer.valueOf(args[1]);
                    final RoundTrips.Latency latency = TwoJvm.roundTrips(peer, peer.freshAddress(Path.of(args[5])),
                            Long.parseLong(args[2]), Long.parseLong(args[3]), Long.parseLong(args[4]));
                    yield rates(latency.rates()) + String.format(Locale.ROOT, " p50=%d p90=%d p99=%d p999=%d max=%d",
                            latency.p50(), latency.p90(), latency.p99(), latency.p999(), latency.max());
                }
                case "sidechannel" -> {
                    final long size = Long.parseLong(args[1]);
                    yield rates(SideChannelRun.produce(size, Long.parseLong(args[2]), SideChannelRun.batch(size)));
                }
                default -> throw new IllegalArgumentException("unknown case: " + args[0]);
            };
            System.out.println(RESULT + line);
            System.out.flush();
            System.exit(0); // a provider's non-daemon thread must not keep the case's JVM alive
        } catch (Exception e) {
            e.printStackTrace();
            System.exit(1);
        }
    }

    private static String rates(final Rates rates) {
        return String.format(Locale.ROOT, "count=%d whole=%.1f steady=%.1f", rates.count(), rates.whole(),
                rates.steady());
    }
}
