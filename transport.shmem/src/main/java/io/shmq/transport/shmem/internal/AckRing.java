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
    /**
     * How long a claimed but unpublished record may block the consumer before it is skipped: a producer that died
     * between claiming and publishing would otherwise stall the ring forever (Agrona's {@code unblock()}).
     */
    static final long UNBLOCK_NANOS = 1_000_000_000L;
    private static final System.Logger LOG = System.getLogger(AckRing.class.getName());

    private final MemorySegment memory;
    private final long mask;
    private final long capacity;
    /** Consumer-only state: the head position seen blocked, and since when. */
    private long stalledHead = -1;
    private long stalledSince;

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
                    // CAS, not a plain release store: the consumer may have unblocked (skipped) this record if this
                    // thread stalled for longer than UNBLOCK_NANOS; then the acknowledgement is lost, not corrupting.
                    if (!SEQUENCE_H.compareAndSet(memory, RECORDS_OFFSET, index, position, position + 1)) {
                        LOG.log(System.Logger.Level.WARNING, "acknowledgement skipped by the region's creator after"
                                + " a stall: position=" + position + ", offset=" + offset + ", hint=" + hint);
                    }
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
            final long sequence = (long) SEQUENCE_H.getAcquire(memory, RECORDS_OFFSET, index);
            if (sequence != head + 1) {
                if (sequence == head && (long) AckRingLayout.TAIL_H.getVolatile(memory, 0L) > head
                        && unblock(head, index)) {
                    head++;
                    count++;
                    continue;
                }
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

    /** @return true when the record at {@code head} was claimed but unpublished for too long and is now skipped */
    private boolean unblock(final long head, final long index) {
        final long now = System.nanoTime();
        if (stalledHead != head) {
            stalledHead = head;
            stalledSince = now;
            return false;
        }
        if (now - stalledSince < UNBLOCK_NANOS) {
            return false;
        }
        if (SEQUENCE_H.compareAndSet(memory, RECORDS_OFFSET, index, head, head + capacity)) {
            LOG.log(System.Logger.Level.WARNING, "skipped an acknowledgement record claimed but never published"
                    + " (producer died?): position=" + head);
            stalledHead = -1;
            return true;
        }
        return false;
    }
}
