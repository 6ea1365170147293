package io.shmq.transport.shmem.internal.os;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A lock of this JVM for a structure that one thread takes nearly always and others rarely (a thread's stripe of
 * open messages: the factory's close, a message closed by another thread, the duty cycle's flush): after
 * {@link #BIAS_AFTER} acquisitions in a row by one thread, that thread takes and gives it back with no atomic and no
 * fence ({@link OwnerGuard}); another thread that wants it revokes the bias (a handshake with every thread: tens of
 * microseconds) and the lock is an ordinary CAS lock again until one thread has it {@link #BIAS_AFTER} times in a
 * row. A structure two threads share all the time therefore stays a CAS lock and never pays a revocation twice in
 * {@link #BIAS_AFTER} acquisitions.
 *
 * <p>The word: {@link #FREE}, {@link #LOCKED} (a CAS took it), or {@link #BIASED} (the owner takes it through the
 * guard). A revoker moves it from {@link #BIASED} to {@link #LOCKED} by CAS (so it holds the lock once the owner is
 * out), closes the guard, and waits for the owner to leave. Not reentrant.
 */
public final class BiasedLock {
    /** Acquisitions in a row by one thread after which the lock is biased to it. */
    static final int BIAS_AFTER = 4096;
    private static final int FREE = 0;
    private static final int LOCKED = 1;
    private static final int BIASED = 2;
    private static final int SPINS = 100;
    private static final int YIELDS = 100;
    private static final long PARK_NANOS = 50_000L;
    private static final VarHandle WORD;

    static {
        try {
            WORD = MethodHandles.lookup().findVarHandle(BiasedLock.class, "word", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused")
    private volatile int word;
    /** The thread the lock is biased to (written under the lock, before the word says {@link #BIASED}). */
    private volatile Thread owner;
    /** Created at the first bias; renewed at each next one. */
    private OwnerGuard guard;
    /** Whether the holder took the lock through the guard (written by the holder only). */
    private boolean heldBiased;
    /** The last thread that took the lock by CAS, and how many times in a row (under the lock). */
    private Thread last;
    private int runs;
    /** Revocations so far (under the lock). */
    private long revocations;

    /** Takes the lock: the owner of a bias with a few plain loads and stores, others by CAS (spin, yield, park). */
    public void lock() {
        if (owner == Thread.currentThread() && word == BIASED && guard.enter()) {
            heldBiased = true;
            return;
        }
        lockSlow();
    }

    private void lockSlow() {
        final Thread me = Thread.currentThread();
        IdleStrategy idle = null;
        while (true) {
            final int current = word;
            if (current == FREE && WORD.compareAndSet(this, FREE, LOCKED)) {
                break;
            }
            if (current == BIASED && WORD.compareAndSet(this, BIASED, LOCKED)) {
                revoke();
                break;
            }
            if (idle == null) {
                idle = waiting();
            }
            idle.idle();
        }
        if (last == me) {
            runs++;
        } else {
            last = me;
            runs = 1;
        }
    }

    /** The caller took the word from {@link #BIASED}: the owner's later takes fail, the one it is in (if any) ends. */
    private void revoke() {
        guard.revoke();
        owner = null;
        final IdleStrategy idle = waiting();
        while (guard.inside()) {
            idle.idle();
        }
        runs = 0;
        revocations++;
    }

    /** @return the wait of a contended take: the holder gives it back within microseconds, or is descheduled */
    private static IdleStrategy waiting() {
        return new IdleStrategy(SPINS, YIELDS, PARK_NANOS, PARK_NANOS);
    }

    /** Gives the lock back; the {@link #BIAS_AFTER}th acquisition in a row of one thread leaves it biased to it. */
    public void unlock() {
        if (heldBiased) {
            heldBiased = false;
            guard.exit();
            return;
        }
        if (runs >= BIAS_AFTER) {
            if (guard == null) {
                guard = new OwnerGuard();
            } else {
                guard.renew();
            }
            owner = last;
            WORD.setRelease(this, BIASED);
            return;
        }
        WORD.setRelease(this, FREE);
    }

    /** @return how many times another thread revoked a bias (for tests; read under the lock) */
    long revocations() {
        return revocations;
    }

    /** @return whether the lock is biased to a thread now (for tests) */
    boolean biased() {
        return word == BIASED;
    }
}
