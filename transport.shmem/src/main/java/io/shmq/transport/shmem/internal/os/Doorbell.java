package io.shmq.transport.shmem.internal.os;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.function.BooleanSupplier;

/**
 * A doorbell in shared memory: a 32-bit futex word that a waker increments, and a count of sleepers, so that a
 * waker makes the {@code FUTEX_WAKE} system call only when somebody sleeps. The one sleep protocol of the
 * shared-memory transport: register as a sleeper, read the word, check the condition once more (a ring between the
 * check and the sleep changes the word, so the futex returns at once), sleep, unregister. Rings (not empty, not full)
 * and the segment allocator (a block was freed) each have theirs; {@code futex_waitv} sleeps on several at once.
 */
public final class Doorbell {
    /**
     * Both words' one handle, (segment, offset): a static constant, so that the JIT inlines every access (a handle
     * held in a field is not constant, and each access through it is an out-of-line call).
     */
    private static final VarHandle WORD = ValueLayout.JAVA_INT.varHandle();

    private final MemorySegment memory;
    private final long bellOffset;
    private final long sleepersOffset;
    private final long address;
    /** Whether wakers may make their condition true with a release store ({@link #Doorbell(MemorySegment, long,
     * long, boolean)}). */
    private final boolean releaseWakers;

    /**
     * A doorbell whose wakers make their condition true with a volatile store or an atomic.
     *
     * @param memory         the mapping that holds both words
     * @param bellOffset     the byte offset in {@code memory} of the u32 futex word (naturally aligned), taken from
     *                       its structure's layout
     * @param sleepersOffset the byte offset of the u32 sleeper count (naturally aligned)
     */
    public Doorbell(final MemorySegment memory, final long bellOffset, final long sleepersOffset) {
        this(memory, bellOffset, sleepersOffset, false);
    }

    /**
     * @param releaseWakers true when wakers of a process registered for the global barrier make their condition true
     *                      with a release store ({@link Native#globalBarrierReady()}: no fence on their side): a
     *                      sleeper then issues the barrier between registering and checking ({@link
     *                      #fenceForWakers}), and sleeps at most {@link #UNFENCED_SLEEP_NANOS} when it cannot
     */
    public Doorbell(final MemorySegment memory, final long bellOffset, final long sleepersOffset,
                    final boolean releaseWakers) {
        this.memory = memory;
        this.bellOffset = bellOffset;
        this.sleepersOffset = sleepersOffset;
        this.address = memory.address() + bellOffset;
        this.releaseWakers = releaseWakers;
    }

    /**
     * The longest sleep on a bell of release wakers in a process that cannot issue the global barrier (no native
     * access, an old kernel): a waker's release store may then pass its read of the sleeper count unseen, and the
     * sleeper looks again after this.
     */
    public static final long UNFENCED_SLEEP_NANOS = 1_000_000L;

    /**
     * Rings: wakes every sleeper (they re-check their condition). The caller made its condition true with a volatile
     * write or an atomic before this (or, on a bell of release wakers, a release store); nobody sleeping, it costs
     * one volatile load and writes nothing. Race-free by the sleep protocol: a sleeper registers (an atomic add)
     * before it reads the word and checks the condition, the waker writes the condition before it reads the count,
     * so one of the two sees the other; a sleeper seen here gets the word changed and a wake, one not seen yet sees
     * the condition and does not sleep. A release store may pass the load of the count in the store buffer: there
     * the sleeper's global barrier between its registration and its check orders the waker's two ({@link
     * #fenceForWakers}).
     */
    public void ring() {
        if ((int) WORD.getVolatile(memory, sleepersOffset) > 0) {
            WORD.getAndAdd(memory, bellOffset, 1);
            Native.futexWakeAll(address);
        }
    }

    /** @return whether somebody sleeps on this bell now (a waker may skip work nobody waits for) */
    public boolean hasSleepers() {
        return (int) WORD.getAcquire(memory, sleepersOffset) > 0;
    }

    /**
     * Registers as a sleeper (with {@link #exit}) and returns the value to sleep on; the caller checks its condition
     * after this and before sleeping (for sleeping on several bells at once).
     */
    public int enter() {
        WORD.getAndAdd(memory, sleepersOffset, 1);
        return (int) WORD.getVolatile(memory, bellOffset);
    }

    /** Ends a registration of {@link #enter}. */
    public void exit() {
        WORD.getAndAdd(memory, sleepersOffset, -1);
    }

    /**
     * A sleeper that registered ({@link #enter}) calls this before it checks its condition once more: on a bell of
     * release wakers it issues the global barrier ({@link Native#globalBarrier}), so that a waker's publish and its
     * read of the sleeper count are seen in order by one of the two sides.
     *
     * @param nanos the sleep the caller means to take
     * @return the sleep to take: {@code nanos}, or at most {@link #UNFENCED_SLEEP_NANOS} without the barrier
     */
    public long fenceForWakers(final long nanos) {
        if (!releaseWakers || Native.globalBarrier()) {
            return nanos;
        }
        return Math.min(nanos, UNFENCED_SLEEP_NANOS);
    }

    /** @return the futex word's address */
    public long address() {
        return address;
    }

    /**
     * Sleeps until this bell rings, for at most {@code nanos}, unless {@code ready} holds after registering.
     *
     * @return false when it could not sleep on the futex (no native access): the caller parks instead
     */
    public boolean await(final BooleanSupplier ready, final long nanos) {
        final int value = enter();
        try {
            final long slice = fenceForWakers(nanos);
            return ready.getAsBoolean() || Native.futexWait(address, value, slice);
        } finally {
            exit();
        }
    }
}
