package io.shmq.transport.shmem.internal.segment;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.PathElement.sequenceElement;

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

    /** Coordinates (segment, base, classIndex). */
    static final VarHandle OWNER_H = STRIPE.varHandle(sequenceElement(), groupElement("owner"));
    static final VarHandle COUNT_H = STRIPE.varHandle(sequenceElement(), groupElement("count"));
    static final VarHandle CAPACITY_H = STRIPE.varHandle(sequenceElement(), groupElement("capacity"));
    static final VarHandle SEGMENT_ID_H = STRIPE.varHandle(sequenceElement(), groupElement("segmentId"));
    /** Coordinates (segment, base, classIndex, index). */
    static final VarHandle BLOCK_H = STRIPE.varHandle(sequenceElement(), groupElement("blocks"), sequenceElement());

    private BlockCacheLayout() {
    }
}
