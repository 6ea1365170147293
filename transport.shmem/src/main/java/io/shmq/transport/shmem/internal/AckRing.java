package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.RegionBlock;
import io.shmq.transport.api.SharedMemoryException;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

import static io.shmq.transport.shmem.internal.AckRingLayout.HINT_H;
import static io.shmq.transport.shmem.internal.AckRingLayout.OFFSET_H;
import static io.shmq.transport.shmem.internal.AckRingLayout.RECORDS_OFFSET;
import static io.shmq.transport.shmem.internal.AckRingLayout.SEQUENCE_H;
import static io.shmq.transport.shmem.internal.AckRingLayout.SIZE_H;

/**
 * A view of a region's acknowledgement ring ({@link AckRingLayout}): any process {@link #offer}s released blocks,
 * the creator {@link #drain}s them. The mapping belongs to the caller's arena.
 */
final class AckRing {
    /** Records per ring; FairMQ batches up to 256 acknowledgements, the ring holds many batches. */
    static final int DEFAULT_CAPACITY = 8192;
    private static final long FULL_TIMEOUT_NANOS = 5_000_000_000L;

    private final MemorySegment memory;
    private final long mask;
    private final long capacity;

    AckRing(final MemorySegment memory) {
        this.memory = memory;
        this.capacity = (int) AckRingLayout.CAPACITY_H.get(memory, 0L);
        this.mask = capacity - 1;
    }

    /** Formats a fresh ring in {@code memory} (of {@link AckRingLayout#bytes} bytes). */
    static AckRing format(final MemorySegment memory, final int capacity) {
        AckRingLayout.MAGIC_H.set(memory, 0L, AckRingLayout.MAGIC);
        AckRingLayout.CAPACITY_H.set(memory, 0L, capacity);
        for (long i = 0; i < capacity; i++) {
            SEQUENCE_H.set(memory, RECORDS_OFFSET, i, i);
        }
        AckRingLayout.VERSION_H.setRelease(memory, 0L, AckRingLayout.VERSION);
        return new AckRing(memory);
    }

    /** Checks the header of an attached ring. */
    static AckRing check(final MemorySegment memory, final String what) {
        final long magic = (long) AckRingLayout.MAGIC_H.get(memory, 0L);
        final int version = (int) AckRingLayout.VERSION_H.getAcquire(memory, 0L);
        final int capacity = (int) AckRingLayout.CAPACITY_H.get(memory, 0L);
        if (magic != AckRingLayout.MAGIC || version != AckRingLayout.VERSION || Integer.bitCount(capacity) != 1
                || memory.byteSize() < AckRingLayout.bytes(capacity)) {
            throw new SharedMemoryException("not an acknowledgement ring of this version: " + what + ", magic="
                    + Long.toHexString(magic) + " (expected " + Long.toHexString(AckRingLayout.MAGIC) + "), version="
                    + version + " (expected " + AckRingLayout.VERSION + "), capacity=" + capacity);
        }
        return new AckRing(memory);
    }

    /**
     * Publishes one acknowledgement. Waits (spin, then park) while the ring is full, at most 5 s.
     *
     * @throws SharedMemoryException when the creator does not drain the ring in time
     */
    void offer(final long offset, final long size, final long hint) {
        final long deadline = System.nanoTime() + FULL_TIMEOUT_NANOS;
        int round = 0;
        while (true) {
            final long position = (long) AckRingLayout.TAIL_H.getVolatile(memory, 0L);
            final long index = position & mask;
            final long sequence = (long) SEQUENCE_H.getAcquire(memory, RECORDS_OFFSET, index);
            if (sequence == position) {
                if (AckRingLayout.TAIL_H.compareAndSet(memory, 0L, position, position + 1)) {
                    OFFSET_H.set(memory, RECORDS_OFFSET, index, offset);
                    SIZE_H.set(memory, RECORDS_OFFSET, index, size);
                    HINT_H.set(memory, RECORDS_OFFSET, index, hint);
                    SEQUENCE_H.setRelease(memory, RECORDS_OFFSET, index, position + 1);
                    return;
                }
            } else if (sequence < position) {
                // full: the creator has not consumed the record of the previous lap yet
                if (System.nanoTime() - deadline > 0) {
                    throw new SharedMemoryException("acknowledgement ring full for 5 s: capacity=" + capacity
                            + ", tail=" + position + " (is the region's creator alive?)");
                }
                if (++round > 100) {
                    LockSupport.parkNanos(100_000L);
                } else {
                    Thread.onSpinWait();
                }
            }
        }
    }

    /**
     * Moves up to {@code max} acknowledgements into {@code out}. Single consumer: the creator only.
     *
     * @return how many were moved
     */
    int drain(final List<RegionBlock> out, final int max) {
        long head = (long) AckRingLayout.HEAD_H.get(memory, 0L);
        int count = 0;
        while (count < max) {
            final long index = head & mask;
            if ((long) SEQUENCE_H.getAcquire(memory, RECORDS_OFFSET, index) != head + 1) {
                break;
            }
            final long offset = (long) OFFSET_H.get(memory, RECORDS_OFFSET, index);
            final long size = (long) SIZE_H.get(memory, RECORDS_OFFSET, index);
            if (offset >= 0 && size >= 0) {
                out.add(new RegionBlock(offset, size, (long) HINT_H.get(memory, RECORDS_OFFSET, index)));
            }
            SEQUENCE_H.setRelease(memory, RECORDS_OFFSET, index, head + capacity);
            head++;
            count++;
        }
        AckRingLayout.HEAD_H.setRelease(memory, 0L, head);
        return count;
    }
}
