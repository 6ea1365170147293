package io.shmq.transport.shmem.internal.segment;

import java.util.ArrayList;
import java.util.List;

/**
 * A test's look at every allocated block of a quiet segment (nothing allocates or frees meanwhile): the large
 * blocks along the physical chain and the small blocks of every chunk, with their holder words, so that a test that
 * finds memory missing can say which blocks hold it and who the holder word names.
 */
public final class HeapWalk {
    private HeapWalk() {
    }

    /** @return one line per allocated block: offset, size, small or large, reference count, holder word */
    public static List<String> live(final ManagedSegment segment) {
        final var memory = segment.memory();
        final long end = segment.size() & ~15L;
        final List<String> lines = new ArrayList<>();
        long block = SegmentLayout.HEAP_OFFSET;
        while (block < end - BlockLayout.MIN_LARGE) {
            final long sizeFlags = (long) BlockLayout.SIZE_FLAGS_H.get(memory, block);
            final long size = sizeFlags & ~BlockLayout.FLAGS;
            if (size < BlockLayout.MIN_LARGE || block + size > end) {
                lines.add("chain broken at " + block + ": sizeFlags=" + Long.toHexString(sizeFlags));
                break;
            }
            if ((sizeFlags & BlockLayout.CHUNK) != 0) {
                final int cls = (short) BlockLayout.CLASS_INDEX_H.get(memory, block);
                final long blockSize = 64L << cls;
                final long base = ManagedSegment.align(block + BlockLayout.HEADER_BYTES, ManagedSegment.MAX_ALIGNMENT);
                final long carved = Math.max(ManagedSegment.CHUNK_BYTES, 8 * blockSize) / blockSize;
                for (long small = base, i = 0; i < carved && small + blockSize <= block + size; small += blockSize, i++) {
                    final long flags = (long) BlockLayout.SIZE_FLAGS_H.get(memory, small);
                    if ((flags & BlockLayout.FREE) == 0) {
                        lines.add(describe(segment, small, "small " + blockSize));
                    }
                }
            } else if ((sizeFlags & BlockLayout.FREE) == 0) {
                lines.add(describe(segment, block, "large " + size));
            }
            block += size;
        }
        return lines;
    }

    private static String describe(final ManagedSegment segment, final long block, final String what) {
        final long holder = segment.holder(block);
        return "block " + block + " (" + what + "): refCount="
                + (int) BlockLayout.REF_COUNT_H.get(segment.memory(), block) + ", generation="
                + segment.generation(block) + ", holder=" + Holder.generation(holder) + "/"
                + Integer.toHexString(Holder.id(holder));
    }
}
