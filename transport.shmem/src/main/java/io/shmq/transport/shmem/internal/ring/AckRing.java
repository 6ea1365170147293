package io.shmq.transport.shmem.internal.ring;

import io.shmq.transport.api.RegionBlock;
import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.shmem.internal.os.Doorbell;
import io.shmq.transport.shmem.internal.os.FileHeaderLayout;
import io.shmq.transport.shmem.internal.os.IdleStrategy;
import java.lang.foreign.MemorySegment;
import java.util.List;

import static io.shmq.transport.shmem.internal.ring.AckRingLayout.HINT_H;
import static io.shmq.transport.shmem.internal.ring.AckRingLayout.OFFSET_H;
import static io.shmq.transport.shmem.internal.ring.AckRingLayout.RECORDS_OFFSET;
import static io.shmq.transport.shmem.internal.ring.AckRingLayout.SIZE_H;

/**
 * A view of a region's acknowledgement ring ({@link AckRingLayout}): any process {@link #offer}s released blocks,
 * the creator {@link #drain}s them. The mapping belongs to the caller's arena.
 */
public final class AckRing extends SequencedRing<AckRing.Ack> {
    /** Records per ring; FairMQ batches up to 256 acknowledgements, the ring holds many batches. */
    public static final int DEFAULT_CAPACITY = 8192;
    /** How long an offer waits for room before it gives up: the creator may be dead. */
    private static final long FULL_TIMEOUT_NANOS = 5_000_000_000L;
    /** How long a stuck record may hold the creator before it is skipped (see {@link SequencedRing}). */
    public static final long UNBLOCK_NANOS = 1_000_000_000L;
    private static final System.Logger LOG = System.getLogger(AckRing.class.getName());

    /** One acknowledgement as the ring holds it; another process may have written anything into it. */
    record Ack(long offset, long size, long hint) {
    }

    /** Rung on every publish: the creator's worker sleeps on it (with its other bells) while idle. */
    private final Doorbell published;

    private AckRing(final MemorySegment memory, final String what) {
        super(memory, AckRingLayout.CURSORS_OFFSET, RECORDS_OFFSET, AckRingLayout.RECORD.byteSize(),
                (int) AckRingLayout.CAPACITY_H.get(memory, 0L), UNBLOCK_NANOS, false, what);
        this.published = new Doorbell(memory, AckRingLayout.NOT_EMPTY_OFFSET, AckRingLayout.SLEEPERS_OFFSET);
    }

    /** @return the doorbell a publish rings */
    public Doorbell doorbell() {
        return published;
    }

    @Override
    protected void afterPublish() {
        published.ring();
    }

    /** Formats a fresh ring in {@code memory} (of {@link AckRingLayout#bytes} bytes, zero). */
    public static AckRing format(final MemorySegment memory, final int capacity, final String what) {
        FileHeaderLayout.format(memory, AckRingLayout.MAGIC);
        AckRingLayout.CAPACITY_H.set(memory, 0L, capacity);
        formatSequences(memory, RECORDS_OFFSET, AckRingLayout.RECORD.byteSize(), capacity);
        final AckRing ring = new AckRing(memory, what);
        FileHeaderLayout.signalReady(memory, AckRingLayout.VERSION);
        return ring;
    }

    /** Checks the header and the capacity of an attached ring. */
    public static AckRing check(final MemorySegment memory, final String what) {
        if (memory.byteSize() < RECORDS_OFFSET) {
            throw FileHeaderLayout.incompatible(what, "size", "at least " + RECORDS_OFFSET,
                    Long.toString(memory.byteSize()));
        }
        FileHeaderLayout.checkReady(memory, what, AckRingLayout.MAGIC, AckRingLayout.VERSION);
        return new AckRing(memory, what);
    }

    /**
     * Publishes one acknowledgement. Waits (the idle strategy: spin, then park) while the ring is full, at most 5 s;
     * claims again when the creator skipped its record after a stall of this thread (the record is then given back,
     * never written twice).
     *
     * @throws SharedMemoryException when the creator does not drain the ring in time
     */
    public void offer(final long offset, final long size, final long hint) {
        final long deadline = System.nanoTime() + FULL_TIMEOUT_NANOS;
        final IdleStrategy idle = new IdleStrategy(100, 0, 100_000L, 100_000L);
        while (true) {
            final long position = tryClaim();
            if (position < 0) {
                if (System.nanoTime() - deadline > 0) {
                    throw new SharedMemoryException("acknowledgement ring full for 5 s: capacity=" + capacity()
                            + " (is the region's creator alive?)");
                }
                idle.idle();
                continue;
            }
            final long record = record(position);
            OFFSET_H.set(memory, record, offset);
            SIZE_H.set(memory, record, size);
            HINT_H.set(memory, record, hint);
            if (publish(position)) {
                return;
            }
            LOG.log(System.Logger.Level.WARNING, "acknowledgement skipped by the region's creator after a stall of"
                    + " this thread; sent again: position=" + position + ", offset=" + offset + ", hint=" + hint);
        }
    }

    /**
     * Moves up to {@code max} acknowledgements into {@code out}. The creator only.
     *
     * @return how many records were taken: a record with a negative offset or size, and one skipped because its
     * producer died before publishing it, are counted (their message is released), not delivered
     */
    public int drain(final List<RegionBlock> out, final int max) {
        int count = 0;
        while (count < max) {
            final long skippedBefore = skipped();
            final Ack ack = poll();
            count += (int) (skipped() - skippedBefore);
            if (ack == null) {
                break;
            }
            count++;
            if (ack.offset() >= 0 && ack.size() >= 0) {
                out.add(new RegionBlock(ack.offset(), ack.size(), ack.hint()));
            }
        }
        return count;
    }

    @Override
    protected Ack readBody(final long record) {
        return new Ack((long) OFFSET_H.get(memory, record), (long) SIZE_H.get(memory, record),
                (long) HINT_H.get(memory, record));
    }
}
