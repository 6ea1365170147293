package io.shmq.transport.api;

import java.time.Duration;
import java.util.Objects;

/**
 * What a shared-memory factory does when a managed segment has no room for a message: FairMQ's
 * {@code bad-alloc-max-attempts} / {@code bad-alloc-attempt-interval}. The default throws
 * {@link MessageBadAllocException} at once; a bounded policy retries a fixed number of times, sleeping
 * {@code interval} between attempts, then throws. There is no endless retry.
 *
 * @param maxAttempts how many times allocation is tried in all, at least 1
 * @param interval    the pause between two attempts, not negative
 */
public record AllocationRetryPolicy(int maxAttempts, Duration interval) {
    /** Try once and throw {@link MessageBadAllocException} if there is no room (FairMQ's default). */
    public static final AllocationRetryPolicy THROW = new AllocationRetryPolicy(1, Duration.ZERO);

    /** Validates the policy. */
    public AllocationRetryPolicy {
        Objects.requireNonNull(interval, "interval");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1: maxAttempts=" + maxAttempts);
        }
        if (interval.isNegative()) {
            throw new IllegalArgumentException("interval must not be negative: interval=" + interval);
        }
    }

    /**
     * @param maxAttempts how many times allocation is tried in all
     * @param interval    the pause between two attempts
     * @return a bounded retry policy
     */
    public static AllocationRetryPolicy retry(final int maxAttempts, final Duration interval) {
        return new AllocationRetryPolicy(maxAttempts, interval);
    }
}
