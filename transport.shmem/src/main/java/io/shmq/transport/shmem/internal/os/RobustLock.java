package io.shmq.transport.shmem.internal.os;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * A mutex in shared memory that survives the death of its owner. The lock word (a naturally aligned
 * {@code JAVA_LONG}) holds 0 when free, else the owner's {@link ProcessIdentity#lockWord()} (pid and start
 * token). Acquire is one CAS; under contention a waiter spins, then yields, then parks 50 µs at a time, and
 * checks every {@link #CHECK_INTERVAL_NANOS} whether the owner still lives. A dead owner's lock is stolen by CAS
 * (only one waiter wins) and the winner runs the structure's repair pass before it proceeds.
 *
 * <p>Bound: a process killed while it holds the lock blocks the others for at most about
 * {@code CHECK_INTERVAL_NANOS} (2 ms) plus the time of one {@code /proc} read and the repair pass (a walk of the
 * block chain: linear in the number of large blocks) after the kernel has reaped it. Not reentrant; threads of one
 * process share the owner word, so the lock only knows processes, not threads.
 */
public final class RobustLock {
    /** How often a waiter checks whether the owner lives. */
    static final long CHECK_INTERVAL_NANOS = 2_000_000L;
    private static final int SPINS = 200;
    private static final int YIELDS = 50;
    private static final long PARK_NANOS = 50_000L;

    /** The lock word's handle, (segment, offset): a static constant, so that the JIT inlines every access. */
    private static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle();

    private final MemorySegment memory;
    private final long offset;
    private final Runnable repair;

    /**
     * @param memory the mapping that holds the lock word
     * @param offset the byte offset of the naturally aligned u64 lock word, taken from its structure's layout
     * @param repair the check-and-repair pass run after stealing the lock from a dead owner
     */
    public RobustLock(final MemorySegment memory, final long offset, final Runnable repair) {
        this.memory = memory;
        this.offset = offset;
        this.repair = repair;
    }

    /** Takes the lock; steals it (and repairs) when the owner died. */
    public void lock() {
        final long me = ProcessIdentity.lockWord();
        if (WORD.compareAndSet(memory, offset, 0L, me)) {
            return;
        }
        final IdleStrategy idle = new IdleStrategy(SPINS, YIELDS, PARK_NANOS, PARK_NANOS);
        long nextCheck = System.nanoTime() + CHECK_INTERVAL_NANOS;
        while (true) {
            final long owner = (long) WORD.getAcquire(memory, offset);
            if (owner == 0) {
                if (WORD.compareAndSet(memory, offset, 0L, me)) {
                    return;
                }
                continue;
            }
            idle.idle();
            final long now = System.nanoTime();
            if (now - nextCheck >= 0) {
                nextCheck = now + CHECK_INTERVAL_NANOS;
                if (!ProcessIdentity.alive(owner) && WORD.compareAndSet(memory, offset, owner, me)) {
                    repair.run();
                    return;
                }
            }
        }
    }

    /** Releases the lock (release store). */
    public void unlock() {
        WORD.setRelease(memory, offset, 0L);
    }

    /** @return the current owner word, 0 when free (for diagnostics and tests) */
    public long owner() {
        return (long) WORD.getAcquire(memory, offset);
    }
}
