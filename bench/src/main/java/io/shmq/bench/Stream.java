package io.shmq.bench;

/**
 * A one-way stream of numbered messages between two JVMs, measured the same way for every system compared: the
 * sender writes the sequence number into the first and last 8 bytes of each payload and sends for a fixed time from
 * its first send attempt, then one message numbered {@link #END}; the receiver checks both numbers of every payload
 * and notes the time of every {@code stride}-th message, so that the whole run and its second half can be told apart.
 * The stride starts at 1 and doubles whenever the marks fill their fixed array (every other mark is kept), so the
 * receiver's bookkeeping costs the same at every size and rate: a bounded array and a clock read for at most
 * {@link Trace#MARKS} / 2 messages per doubling, whatever the run's length.
 */
final class Stream {
    /** The sequence number of the message that ends a stream (not counted). */
    static final long END = -1;

    /** The sending side of one system: sends one message numbered {@code seq}, blocking while the peer is behind. */
    interface Sender extends AutoCloseable {
        void send(long seq) throws Exception;
    }

    /** The receiving side of one system: receives until {@code trace} says the stream has ended. */
    interface Receiver extends AutoCloseable {
        void receiveAll(Trace trace) throws Exception;
    }

    private Stream() {
    }

    /**
     * Sends 0, 1, 2, ... until {@code durationNanos} have passed since the first send attempt (or {@code maxCount}
     * were sent), then {@link #END}.
     *
     * @return the {@link System#nanoTime()} of the first send attempt (the clock is the machine's monotonic clock,
     *         the same in both JVMs)
     */
    static long sendFor(final Sender sender, final long size, final long durationNanos, final long maxCount)
            throws Exception {
        final long clockMask = size >= 64 << 10 ? 0 : 63; // read the clock every message when messages are large
        final long start = System.nanoTime();
        final long deadline = start + durationNanos;
        for (long seq = 0; seq < maxCount; seq++) {
            sender.send(seq);
            if ((seq & clockMask) == 0 && System.nanoTime() - deadline >= 0) {
                break;
            }
        }
        sender.send(END);
        return start;
    }

    /**
     * The receiver's record of a stream: the count, a time mark every {@code stride} messages (the stride doubling as
     * the marks fill, {@link #MARKS} at most) and the end.
     */
    static final class Trace {
        /** The most marks kept; when full, every other one is dropped and the stride doubles. */
        static final int MARKS = 1 << 13;
        /** Fewer messages than this have no steady part. */
        static final int MIN_STEADY = 16;
        private final java.util.function.LongSupplier clock;
        private final long[] marks = new long[MARKS];
        private long stride = 1; // a power of two
        private int marked;
        private long count;
        private long end;
        private boolean done;
        private volatile String abandoned;

        Trace() {
            this(System::nanoTime);
        }

        /** @param clock the time of a mark and of the end, in nanoseconds (a test's own clock) */
        Trace(final java.util.function.LongSupplier clock) {
            this.clock = clock;
        }

        /**
         * Takes one received message.
         *
         * @param first the number in the payload's first 8 bytes
         * @param last  the number in its last 8 bytes
         */
        void accept(final long first, final long last) {
            if (first == END) {
                end = clock.getAsLong();
                done = true;
                return;
            }
            if (first != count || last != count) {
                throw new IllegalStateException("wrong payload: expected=" + count + " first=" + first + " last="
                        + last);
            }
            if ((count & (stride - 1)) == 0) {
                // Mark i is message i * stride, so a full array means count == MARKS * stride: keep the even marks
                // and double the stride, and this message is still on it.
                if (marked == MARKS) {
                    for (int i = 0; i < MARKS / 2; i++) {
                        marks[i] = marks[2 * i];
                    }
                    marked = MARKS / 2;
                    stride *= 2;
                }
                marks[marked++] = clock.getAsLong();
            }
            count++;
        }

        /**
         * Marks the stream as given up (from any thread), e.g. when the sender's JVM exited before the end: a
         * receiver that waits calls {@link #checkNotAbandoned()} between short waits and stops.
         */
        void abandon(final String reason) {
            abandoned = reason;
        }

        /** @throws IllegalStateException when the stream was {@linkplain #abandon abandoned} */
        void checkNotAbandoned() {
            final String reason = abandoned;
            if (reason != null) {
                throw new IllegalStateException("stream abandoned after " + count + " messages: " + reason);
            }
        }

        /** @return true once {@link #END} arrived */
        boolean done() {
            return done;
        }

        /**
         * @param firstSend the sender's first send attempt ({@link System#nanoTime()})
         * @return the whole run (first send attempt to the end) and its second half (from the mark nearest to the
         *         middle message to the end)
         */
        Rates rates(final long firstSend) {
            if (count < MIN_STEADY) {
                return new Rates(count, count * 1e9 / (end - firstSend), Double.NaN);
            }
            if (Boolean.getBoolean("shmq.bench.timeline")) { // where a cold start spends its time, to stderr
                final StringBuilder line = new StringBuilder("timeline (ms from the first send, per 10% of messages):");
                for (int tenth = 1; tenth <= 10; tenth++) {
                    final int index = (int) Math.min(count / stride - 1, count * tenth / 10 / stride);
                    line.append(String.format(java.util.Locale.ROOT, " %.0f", (marks[index] - firstSend) / 1e6));
                }
                line.append("; messages 64, 640, 6400, 64000 at");
                for (long at = 64; at <= 64000 && at / stride < count / stride; at *= 10) {
                    line.append(String.format(java.util.Locale.ROOT, " %.1f", (marks[(int) (at / stride)] - firstSend) / 1e6));
                }
                System.err.println(line);
            }
            final int middle = (int) (count / 2 / stride);
            final long after = count - 1 - (long) middle * stride; // messages received after the middle mark
            return new Rates(count, count * 1e9 / (end - firstSend), after * 1e9 / (end - marks[middle]));
        }
    }
}
