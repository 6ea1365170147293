package io.shmq.transport.shmem.internal.segment;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.Objects;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * A block cache: the free small blocks of one size class that one thread stripe of a factory keeps for itself, so
 * that allocating and freeing them touches no cache line another process writes. It lives in the factory's ledger
 * file (a sequence of {@link #CACHE}, one per size class and stripe), where a survivor finds it after the factory's
 * process died. Native byte order; written only by its stripe (under the stripe's monitor).
 *
 * <pre>
 *  0    | owner u32 (the tag its cached blocks carry: never 0) | count u32 (blocks[0, count) are cached)   |
 *  8    | capacity u32 | segmentId u32                                                                     |
 *  16   | blocks[124] u32 (block offset / 16)                                                      512 B   |
 * </pre>
 * A cached block is free ({@code FREE | SMALL}) and carries {@code owner} in its header's {@code tag} (a block on
 * the segment's class list carries 0). Entries at and above {@code count} are stale; a block is entered in
 * {@code blocks} before its tag says {@code owner}, so a survivor that releases every entry (deduplicated) whose
 * block is free and tagged {@code owner} returns exactly what the dead stripe had cached, wherever it was killed.
 */
public final class BlockCacheLayout {
    /** The most blocks one cache holds. */
    public static final int MAX_BLOCKS = 124;

    public static final StructLayout CACHE = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("owner"),
            ValueLayout.JAVA_INT.withName("count"),
            ValueLayout.JAVA_INT.withName("capacity"),
            ValueLayout.JAVA_INT.withName("segmentId"),
            MemoryLayout.sequenceLayout(MAX_BLOCKS, ValueLayout.JAVA_INT).withName("blocks"));

    /** One stripe's caches, one per size class. */
    public static final SequenceLayout STRIPE = MemoryLayout.sequenceLayout(SegmentLayout.CLASSES, CACHE);

    /**
     * Coordinates (segment, {@link #cache}(base, classIndex)): the fields of one cache at an offset computed here,
     * not a path through the stripe's sequence, whose index adapters cost about 40 ns an access in C1's code (the
     * code a stream runs for its first tens of thousands of messages) against 2-5 ns.
     */
    static final VarHandle OWNER_H = CACHE.varHandle(groupElement("owner"));
    static final VarHandle COUNT_H = CACHE.varHandle(groupElement("count"));
    static final VarHandle CAPACITY_H = CACHE.varHandle(groupElement("capacity"));
    static final VarHandle SEGMENT_ID_H = CACHE.varHandle(groupElement("segmentId"));
    /** Coordinates (segment, {@link #block}(base, classIndex, index)). */
    static final VarHandle BLOCK_H = ValueLayout.JAVA_INT.varHandle();

    private static final long CACHE_BYTES = CACHE.byteSize();
    private static final long BLOCKS_OFFSET = CACHE.byteOffset(groupElement("blocks"));
    private static final long BLOCK_BYTES = ValueLayout.JAVA_INT.byteSize();

    /** @return the offset of class {@code classIndex}'s cache in the stripe at {@code base} */
    static long cache(final long base, final int classIndex) {
        // The index check the stripe's sequence layout made (an intrinsic: free in compiled code).
        return base + Objects.checkIndex(classIndex, SegmentLayout.CLASSES) * CACHE_BYTES;
    }

    /** @return the offset of entry {@code index} (below {@link #MAX_BLOCKS}) of that cache's {@code blocks} */
    static long block(final long base, final int classIndex, final int index) {
        return cache(base, classIndex) + BLOCKS_OFFSET + Objects.checkIndex(index, MAX_BLOCKS) * BLOCK_BYTES;
    }

    private BlockCacheLayout() {
    }
}
