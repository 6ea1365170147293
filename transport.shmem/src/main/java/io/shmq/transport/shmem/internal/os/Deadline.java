package io.shmq.transport.shmem.internal.os;

/**
 * The timeout of one blocking call (a send, a receive), whose clock starts at the call's first wait: a call that
 * goes through at its first look reads no clock. {@link System#nanoTime()} is not free (about 20 ns a read on this
 * project's VM, measured by JMH's {@code perfasm}: a fifth of a 64-byte send and receive, which read it four times),
 * and most calls of a busy socket never wait. The time the first look took (the same nanoseconds, or the few
 * microseconds of a contended claim) is not counted against the timeout.
 *
 * <p>Timeouts are FairMQ's: -1 waits for ever, 0 looks once, a positive value waits up to that many
 * milliseconds. Not thread-safe: one instance per waiting direction of a socket (as its {@link IdleStrategy}), reset
 * at the start of each call.
 */
public final class Deadline {
    private long timeoutNanos;
    private long at;
    private boolean started;

    /**
     * Starts a call of {@code timeoutMs} (-1, 0 or positive: the caller checked it); reads no clock.
     *
     * @return this
     */
    public Deadline reset(final long timeoutMs) {
        // Saturated: a timeout beyond about 292 years of nanoseconds waits as long as a long can count.
        this.timeoutNanos = timeoutMs < 0 ? -1
                : timeoutMs > Long.MAX_VALUE / 1_000_000L ? Long.MAX_VALUE : timeoutMs * 1_000_000L;
        this.started = false;
        return this;
    }

    /**
     * @return nanoseconds left, {@link Long#MAX_VALUE} without a timeout, 0 when the time is up (at once for a
     * timeout of 0); the first call of a timed wait starts the clock and returns the whole timeout
     */
    public long remaining() {
        if (timeoutNanos < 0) {
            return Long.MAX_VALUE;
        }
        if (timeoutNanos == 0) {
            return 0;
        }
        final long now = System.nanoTime();
        if (!started) {
            started = true;
            at = now + timeoutNanos;
            return timeoutNanos;
        }
        return Math.max(0, at - now);
    }

    /** @return whether the time is up (starts the clock as {@link #remaining()} does) */
    public boolean expired() {
        return remaining() == 0;
    }

    @Override
    public String toString() {
        return "Deadline[timeoutNanos=" + timeoutNanos + ", started=" + started + "]";
    }
}
