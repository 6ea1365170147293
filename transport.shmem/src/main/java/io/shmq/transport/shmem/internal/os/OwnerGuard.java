package io.shmq.transport.shmem.internal.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A flag that its owner raises and lowers with no fence and no atomic, and that another thread can wait out: the
 * asymmetric half of a Dekker protocol for a structure one thread uses all the time and another only rarely (a
 * socket's calls against its close from another thread, a thread's stripe of messages against the factory's close).
 * The owner's cost is a few plain loads and stores; the other side pays a handshake with every thread of the JVM.
 *
 * <p>How it works. While the flag is up, the owner reads a byte of a shared {@link Arena} ({@link #enter}); the
 * other side closes that arena ({@link #revoke}), then waits until the flag is down ({@link #inside}). Closing a
 * shared arena is the JVM's own asymmetric fence: it hand-shakes every thread (JEP 454's thread-local handshakes),
 * and an access that comes after a thread's handshake fails ({@code IllegalStateException}), so that no segment is
 * read after its memory is gone. Handshakes happen only at safepoint polls (or while a thread is blocked or in
 * native code), where the thread's stores of program order are all done and visible to the hand-shaking thread. So
 * an owner whose read succeeded had its handshake after it, and its flag was up before that handshake: the closer
 * sees it up after the close, and waits. An owner whose handshake came first fails its read and lowers the flag:
 * it has not entered. Nothing here rests on the order in which one poll-free stretch of the owner's code runs its
 * store and its load, nor on the hardware's store buffer.
 *
 * <p>The JVM's handshake has a side effect that {@link #enter} undoes: when the close finds the owner inside its
 * read of the token (interpreted or C1 code, mostly), HotSpot delivers the failure as an asynchronous exception and,
 * in JDK 25, sets the owner's interrupt flag while it installs it; the owner's next wait would then end in an
 * {@code InterruptedException} that nobody sent (measured on 25.0.3: 931 of 5,000 revocations under {@code -Xint},
 * 973 of 20,000 with C1 alone, 6 of 20,000 with C2, see {@code OwnerGuardTest}). So {@link #enter} reads the flag
 * before the token and, when the read fails, clears a flag that was not set before it. A real interrupt that comes
 * in the nanoseconds between that look and the failed read is lost with it; one that came before is kept.
 *
 * <p>One owner at a time (callers that share the guard concurrently break the flag). A revoked guard fails every
 * {@link #enter} until {@link #renew}. A revocation costs one arena close: tens of microseconds with every core busy.
 */
public final class OwnerGuard {
    private static final VarHandle INSIDE;

    static {
        try {
            INSIDE = MethodHandles.lookup().findVarHandle(OwnerGuard.class, "inside", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One byte of {@link #arena}, read by every {@link #enter}; closed by {@link #revoke}. */
    private volatile MemorySegment token;
    /** The arena of {@link #token}; replaced by {@link #renew}, under this guard's monitor. */
    private Arena arena;
    private boolean revoked;
    /** 1 while the owner is inside. */
    @SuppressWarnings("unused")
    private int inside;

    public OwnerGuard() {
        renew();
    }

    /**
     * The owner raises the flag.
     *
     * @return false when the guard is revoked (the flag is down again): the owner must not go on
     */
    public boolean enter() {
        INSIDE.setOpaque(this, 1);
        // Read before the token: a close that finds this thread inside the read delivers its failure as an
        // asynchronous exception, and HotSpot (JDK 25) sets the thread's interrupt flag when it installs one.
        final boolean interrupted = Thread.currentThread().isInterrupted();
        try {
            token.get(ValueLayout.JAVA_BYTE, 0);
            return true;
        } catch (IllegalStateException e) {
            INSIDE.setRelease(this, 0);
            if (!interrupted) {
                Thread.interrupted(); // the JVM's, not an interrupt of the program's: take it back
            }
            return false;
        }
    }

    /** The owner lowers the flag: what it did inside is visible to whoever then sees it down. */
    public void exit() {
        INSIDE.setRelease(this, 0);
    }

    /**
     * Fails every later {@link #enter}; an owner inside now stays inside until its {@link #exit} ({@link #inside}
     * tells). Returns at once when already revoked.
     */
    public synchronized void revoke() {
        if (revoked) {
            return;
        }
        revoked = true;
        while (true) {
            try {
                arena.close();
                return;
            } catch (IllegalStateException e) {
                // A JVM that refuses to close an arena while a thread accesses it: that access ends in nanoseconds.
                Thread.onSpinWait();
            }
        }
    }

    /** @return whether the owner is inside (after {@link #revoke}: until it leaves; it cannot come in again) */
    public boolean inside() {
        return (int) INSIDE.getAcquire(this) != 0;
    }

    /** Makes a revoked guard usable again (the caller excludes the owner until this returns); else does nothing. */
    public synchronized void renew() {
        if (arena != null && !revoked) {
            return;
        }
        arena = Arena.ofShared();
        token = arena.allocate(1);
        revoked = false;
    }
}
