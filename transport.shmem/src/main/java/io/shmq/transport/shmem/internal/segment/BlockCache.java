package io.shmq.transport.shmem.internal.segment;

import java.lang.foreign.MemorySegment;

import static io.shmq.transport.shmem.internal.segment.BlockCacheLayout.BLOCK_H;
import static io.shmq.transport.shmem.internal.segment.BlockCacheLayout.CAPACITY_H;
import static io.shmq.transport.shmem.internal.segment.BlockCacheLayout.COUNT_H;
import static io.shmq.transport.shmem.internal.segment.BlockCacheLayout.OWNER_H;
import static io.shmq.transport.shmem.internal.segment.BlockCacheLayout.SEGMENT_ID_H;

/**
 * One thread stripe's block caches ({@link BlockCacheLayout}, one per size class) for one managed segment. Used
 * under the stripe's monitor only; {@link ManagedSegment} holds the protocol, this class the storage. The count of
 * each class is also kept in a field, so that the common path reads nothing back from the mapping.
 */
public final class BlockCache {
    /** Bytes a class's cache holds at most (then it gives half back to the segment). */
    static final long CACHE_BYTES = 256 * 1024;

    private final MemorySegment memory;
    private final long base;
    private final int owner;
    private final int[] counts = new int[SegmentLayout.CLASSES];
    private final int[] capacities = new int[SegmentLayout.CLASSES];

    /**
     * Formats the caches at {@code base} of {@code memory} (empty).
     *
     * @param owner the tag the cached blocks carry, never 0, unique to this stripe of this process
     */
    public BlockCache(final MemorySegment memory, final long base, final int owner, final int segmentId) {
        if (owner == 0) {
            throw new IllegalArgumentException("owner must not be 0");
        }
        this.memory = memory;
        this.base = base;
        this.owner = owner;
        for (int c = 0; c < SegmentLayout.CLASSES; c++) {
            capacities[c] = capacity(c);
            final long cache = BlockCacheLayout.cache(base, c);
            OWNER_H.set(memory, cache, owner);
            CAPACITY_H.set(memory, cache, capacities[c]);
            SEGMENT_ID_H.set(memory, cache, segmentId);
            COUNT_H.setRelease(memory, cache, 0);
        }
    }

    /** @return how many blocks of class {@code c} one cache holds: 256 KiB of them, between 32 and 124 */
    static int capacity(final int c) {
        return (int) Math.max(4, Math.min(BlockCacheLayout.MAX_BLOCKS, CACHE_BYTES >> (6 + c)));
    }

    int owner() {
        return owner;
    }

    int count(final int c) {
        return counts[c];
    }

    int capacityOf(final int c) {
        return capacities[c];
    }

    /** @return the block at {@code index} of class {@code c} */
    long block(final int c, final int index) {
        return ((int) BLOCK_H.get(memory, BlockCacheLayout.block(base, c, index)) & 0xFFFFFFFFL) << 4;
    }

    /** Enters {@code block} at {@code index} (at or above the count: not cached yet). */
    void enter(final int c, final int index, final long block) {
        BLOCK_H.set(memory, BlockCacheLayout.block(base, c, index), (int) (block >>> 4));
    }

    void setCount(final int c, final int count) {
        counts[c] = count;
        COUNT_H.setRelease(memory, BlockCacheLayout.cache(base, c), count);
    }

    /** @return bytes of free blocks cached here (for the factory's free memory) */
    public long cachedBytes() {
        long bytes = 0;
        for (int c = 0; c < SegmentLayout.CLASSES; c++) {
            bytes += (long) counts[c] << (6 + c);
        }
        return bytes;
    }

    /**
     * Reads the caches a dead stripe left at {@code base} of {@code memory} (its ledger file, mapped read-only).
     *
     * @param visitor gets each class's owner, class index and every entry (stale ones too: the segment checks them)
     */
    public static void read(final MemorySegment memory, final long base, final Visitor visitor) {
        for (int c = 0; c < SegmentLayout.CLASSES; c++) {
            final int owner = (int) OWNER_H.get(memory, BlockCacheLayout.cache(base, c));
            if (owner == 0) {
                continue;
            }
            final long[] blocks = new long[BlockCacheLayout.MAX_BLOCKS];
            for (int i = 0; i < blocks.length; i++) {
                blocks[i] = ((int) BLOCK_H.get(memory, BlockCacheLayout.block(base, c, i)) & 0xFFFFFFFFL) << 4;
            }
            visitor.visit(owner, c, (int) SEGMENT_ID_H.get(memory, BlockCacheLayout.cache(base, c)), blocks);
        }
    }

    /** What {@link #read} finds. */
    public interface Visitor {
        void visit(int owner, int classIndex, int segmentId, long[] blocks);
    }
}
