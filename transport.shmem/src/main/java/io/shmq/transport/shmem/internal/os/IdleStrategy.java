package io.shmq.transport.shmem.internal.os;

import java.util.concurrent.locks.LockSupport;

/**
 * The one idle strategy of every wait loop of the provider (Agrona's {@code BackoffIdleStrategy}): spin, then yield,
 * then park, each park twice as long as the one before, from {@code minParkNanos} up to {@code maxParkNanos}. A loop
 * calls {@link #idle(int)} with the work it just did (work resets the strategy) or {@link #idle()} when it found
 * nothing; {@link #reset()} starts over. A blocking wait that sleeps on its own word (a futex) passes a
 * {@link Sleeper} that is called instead of parking.
 *
 * <p>Not thread-safe: one instance per waiting thread or per call.
 */
public final class IdleStrategy {
    /** A sleep of at most {@code nanos}: parking by default, a futex wait for the rings. */
    @FunctionalInterface
    public interface Sleeper {
        /** @param nanos the longest sleep this step of the strategy asks for */
        void sleep(long nanos);
    }

    private static final Sleeper PARK = LockSupport::parkNanos;

    private final int maxSpins;
    private final int maxYields;
    private final long minParkNanos;
    private final long maxParkNanos;
    private int spins;
    private int yields;
    private long parkNanos;

    /**
     * @param maxSpins     busy-spin rounds ({@link Thread#onSpinWait()}) before yielding
     * @param maxYields    {@link Thread#yield()} rounds before parking
     * @param minParkNanos the first park
     * @param maxParkNanos the longest park (doubling from the first)
     */
    public IdleStrategy(final int maxSpins, final int maxYields, final long minParkNanos, final long maxParkNanos) {
        if (maxSpins < 0 || maxYields < 0 || minParkNanos < 1 || maxParkNanos < minParkNanos) {
            throw new IllegalArgumentException("invalid idle strategy: maxSpins=" + maxSpins + ", maxYields="
                    + maxYields + ", minParkNanos=" + minParkNanos + ", maxParkNanos=" + maxParkNanos);
        }
        this.maxSpins = maxSpins;
        this.maxYields = maxYields;
        this.minParkNanos = minParkNanos;
        this.maxParkNanos = maxParkNanos;
        this.parkNanos = minParkNanos;
    }

    /** @return a strategy that only parks, always for {@code nanos} (a fixed poll interval) */
    public static IdleStrategy parking(final long nanos) {
        return new IdleStrategy(0, 0, nanos, nanos);
    }

    /** Starts over with spinning. */
    public void reset() {
        spins = 0;
        yields = 0;
        parkNanos = minParkNanos;
    }

    /** @param workCount the work the loop just did: positive resets the strategy, zero idles one step */
    public void idle(final int workCount) {
        if (workCount > 0) {
            reset();
        } else {
            idle(PARK);
        }
    }

    /** @return whether the strategy has passed its spin and yield rounds: the next idle sleeps */
    public boolean parking() {
        return spins >= maxSpins && yields >= maxYields;
    }

    /** @return whether the strategy is still in its spin phase (the next idle spins) */
    public boolean spinning() {
        return spins < maxSpins;
    }

    /** Idles one step, parking in the park phase. */
    public void idle() {
        idle(PARK);
    }

    /** Idles one step; in the park phase calls {@code sleeper} instead of parking. */
    public void idle(final Sleeper sleeper) {
        idle(1, sleeper);
    }

    /** Idles one step of up to {@code pauses} spin rounds as {@link #idle(int, Sleeper)}, parking in the park phase. */
    public void pause(final int pauses) {
        idle(pauses, PARK);
    }

    /**
     * Idles one step of up to {@code pauses} spin rounds at once, counted against the spin budget like as many
     * single steps (a backoff: fewer looks at a contended line, never a longer spin phase); past the spin phase, one
     * yield or one sleep as {@link #idle(Sleeper)}. So a waiter spins at most {@code maxSpins} pauses in all before
     * it yields, whatever its step: when another thread needs this core (more runnable threads than cores), the
     * core goes to it after about that many pauses.
     */
    public void idle(final int pauses, final Sleeper sleeper) {
        if (spins < maxSpins) {
            final int n = Math.min(pauses, maxSpins - spins);
            spins += n;
            for (int i = 0; i < n; i++) {
                Thread.onSpinWait();
            }
        } else if (yields < maxYields) {
            yields++;
            Thread.yield();
        } else {
            sleeper.sleep(parkNanos);
            parkNanos = Math.min(maxParkNanos, parkNanos << 1);
        }
    }

    @Override
    public String toString() {
        return "IdleStrategy[maxSpins=" + maxSpins + ", maxYields=" + maxYields + ", minParkNanos=" + minParkNanos
                + ", maxParkNanos=" + maxParkNanos + "]";
    }
}
