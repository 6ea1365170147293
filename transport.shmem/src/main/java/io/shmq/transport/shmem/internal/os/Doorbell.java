package io.shmq.transport.shmem.internal.os;

import java.lang.foreign.MemorySegment;
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
    private final MemorySegment memory;
    private final long base;
    private final VarHandle bell;
    private final VarHandle sleepers;
    private final long address;

    /**
     * @param memory     the mapping that holds both words
     * @param base       the coordinate the handles take after the segment
     * @param bell       a VarHandle of the u32 futex word (naturally aligned), coordinates (segment, long)
     * @param sleepers   a VarHandle of the u32 sleeper count, coordinates (segment, long)
     * @param bellOffset the futex word's byte offset in {@code memory}
     */
    public Doorbell(final MemorySegment memory, final long base, final VarHandle bell, final VarHandle sleepers,
                    final long bellOffset) {
        this.memory = memory;
        this.base = base;
        this.bell = bell;
        this.sleepers = sleepers;
        this.address = memory.address() + bellOffset;
    }

    /**
     * Rings: wakes every sleeper (they re-check their condition). The caller made its condition true with a volatile
     * write or an atomic before this; nobody sleeping, it costs one volatile load and writes nothing. Race-free by
     * the sleep protocol: a sleeper registers (an atomic add) before it reads the word and checks the condition, the
     * waker writes the condition before it reads the count, so one of the two sees the other; a sleeper seen here
     * gets the word changed and a wake, one not seen yet sees the condition and does not sleep.
     */
    public void ring() {
        if ((int) sleepers.getVolatile(memory, base) > 0) {
            bell.getAndAdd(memory, base, 1);
            Native.futexWakeAll(address);
        }
    }

    /** @return whether somebody sleeps on this bell now (a waker may skip work nobody waits for) */
    public boolean hasSleepers() {
        return (int) sleepers.getAcquire(memory, base) > 0;
    }

    /**
     * Registers as a sleeper (with {@link #exit}) and returns the value to sleep on; the caller checks its condition
     * after this and before sleeping (for sleeping on several bells at once).
     */
    public int enter() {
        sleepers.getAndAdd(memory, base, 1);
        return (int) bell.getVolatile(memory, base);
    }

    /** Ends a registration of {@link #enter}. */
    public void exit() {
        sleepers.getAndAdd(memory, base, -1);
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
            return ready.getAsBoolean() || Native.futexWait(address, value, nanos);
        } finally {
            exit();
        }
    }
}
