package io.shmq.transport.shmem.internal.os;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.function.BooleanSupplier;

/**
 * A doorbell in shared memory: a 32-bit futex word that a waker increments, and an armed word that a sleeper sets
 * and the waker that rings clears, so that a waker makes the {@code FUTEX_WAKE} system call only when somebody
 * armed it since the last ring, and once for them all. The one sleep protocol of the shared-memory
 * transport: arm, read the word, check the condition once more (a ring between the check and the sleep changes the
 * word, so the futex returns at once), sleep. A sleeper does not disarm: the ring that wakes it did, and one that
 * wakes by its timeout leaves the word armed for one needless wake at the next ring. Rings (not empty, not full) and
 * the segment allocator (a block was freed) each have theirs; {@code futex_waitv} sleeps on several at once.
 *
 * <p>Until 2026-12-04 the second word counted the sleepers, each taking itself off after its sleep: a waker then woke
 * on every ring until the woken thread had run and left (async-profiler had {@code futexWakeAll} at 15-46% of one side
 * of a 64 B stream in 3 of 5 runs); and a sleeper killed in its sleep stayed counted for good: one system call per ring
 * from then on (a 64 B stream through such a ring ran at a third of its rate), or, for an allocation killed while it
 * waited for room, every free of the session on the slow way for good (an allocate + free of 64 B took 1.9 us instead
 * of 50 ns; transport.shmem/README.md, Doorbells).
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
     * @param sleepersOffset the byte offset of the u32 armed word (naturally aligned)
     */
    public Doorbell(final MemorySegment memory, final long bellOffset, final long sleepersOffset) {
        this(memory, bellOffset, sleepersOffset, false);
    }

    /**
     * @param releaseWakers true when wakers of a process registered for the global barrier make their condition true
     *                      with a release store ({@link Native#globalBarrierReady()}: no fence on their side): a
     *                      sleeper then issues the barrier between arming and checking ({@link
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
     * access, an old kernel): a waker's release store may then pass its read of the armed word unseen, and the
     * sleeper looks again after this.
     */
    public static final long UNFENCED_SLEEP_NANOS = 1_000_000L;

    /**
     * Rings: wakes every sleeper (they re-check their condition). The caller made its condition true with a volatile
     * write or an atomic before this (or, on a bell of release wakers, a release store); nobody armed, it costs one
     * volatile load and writes nothing. Race-free by the sleep protocol: a sleeper arms (an atomic exchange) before it
     * reads the word and checks the condition, the waker writes the condition before it reads the armed word, so one
     * of the two sees the other; a sleeper seen here has its arming taken by this waker's exchange (of concurrent
     * wakers, one takes it and rings), then gets the word changed and a wake; one that arms after that exchange sees
     * the condition, which the exchange ordered before it. A release store may pass the load of the armed word in the
     * store buffer: there the sleeper's global barrier between its arming and its check orders the waker's two
     * ({@link #fenceForWakers}).
     */
    public void ring() {
        if ((int) WORD.getVolatile(memory, sleepersOffset) != 0
                && (int) WORD.getAndSet(memory, sleepersOffset, 0) != 0) {
            WORD.getAndAdd(memory, bellOffset, 1);
            Native.futexWakeAll(address);
        }
    }

    /**
     * @return whether somebody armed this bell since its last ring (a waker may skip work nobody waits for): a
     * sleeper that woke by its timeout still counts until the next ring
     */
    public boolean armed() {
        return (int) WORD.getAcquire(memory, sleepersOffset) != 0;
    }

    /**
     * Arms the bell and returns the value to sleep on; the caller checks its condition after this and before
     * sleeping (for sleeping on several bells at once). Nothing to undo after the sleep: the ring that wakes it
     * disarms.
     */
    public int enter() {
        WORD.getAndSet(memory, sleepersOffset, 1);
        return (int) WORD.getVolatile(memory, bellOffset);
    }

    /**
     * A sleeper that armed the bell ({@link #enter}) calls this before it checks its condition once more: on a bell of
     * release wakers it issues the global barrier ({@link Native#globalBarrier}), so that a waker's publish and its
     * read of the armed word are seen in order by one of the two sides.
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
     * Sleeps until this bell rings, for at most {@code nanos}, unless {@code ready} holds after arming.
     *
     * @return false when it could not sleep on the futex (no native access): the caller parks instead
     */
    public boolean await(final BooleanSupplier ready, final long nanos) {
        final int value = enter();
        final long slice = fenceForWakers(nanos);
        return ready.getAsBoolean() || Native.futexWait(address, value, slice);
    }
}
