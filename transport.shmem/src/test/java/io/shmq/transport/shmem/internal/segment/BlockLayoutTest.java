package io.shmq.transport.shmem.internal.segment;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The 8-byte words of a block header are its fields' bytes: the load of the tag and generation reads what the two
 * 4-byte fields hold, and the stores of an allocation write each field as its own store would.
 */
class BlockLayoutTest {
    @Test
    void shouldSplitTheTagGenerationWordIntoItsFields() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment memory = arena.allocate(2 * BlockLayout.LAYOUT.byteSize(), 16);
            final long block = BlockLayout.LAYOUT.byteSize();
            for (final int[] pair : new int[][] {{0x1234_5678, 1}, {-1, -2}, {0, 0xFFFF_FFFF}, {7, 0}}) {
                BlockLayout.TAG_H.set(memory, block, pair[0]);
                BlockLayout.GENERATION_H.set(memory, block, pair[1]);
                final long word = (long) BlockLayout.TAG_GENERATION_H.get(memory,
                        block + BlockLayout.TAG_GENERATION_OFFSET);
                assertEquals(pair[0], BlockLayout.tagOf(word));
                assertEquals(pair[1] & 0xFFFFFFFFL, BlockLayout.generationOf(word));
            }
        }
    }

    @Test
    void shouldWriteTheWordsOfAnAllocationAsTheirFields() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment memory = arena.allocate(2 * BlockLayout.LAYOUT.byteSize(), 16);
            final long block = BlockLayout.LAYOUT.byteSize();
            for (final long[] c : new long[][] {{1, 48, 0}, {1, 4096, 7}, {-1, 0xFFFF, -1}, {0x7654_3210, 64, 3}}) {
                memory.fill((byte) 0x5A);
                BlockLayout.COUNTS_H.set(memory, block + BlockLayout.COUNTS_OFFSET,
                        BlockLayout.counts((int) c[0], c[1], (int) c[2]));
                assertEquals((int) c[0], (int) BlockLayout.REF_COUNT_H.get(memory, block));
                assertEquals((short) c[1], (short) BlockLayout.USER_OFFSET_H.get(memory, block));
                assertEquals((short) c[2], (short) BlockLayout.CLASS_INDEX_H.get(memory, block));
                assertEquals(0x5A5A_5A5AL, (int) BlockLayout.TAG_H.get(memory, block) & 0xFFFFFFFFL,
                        "the word ends where tag begins");
            }
            for (final long[] t : new long[][] {{0x1234_5678, 1}, {-1, 0xFFFF_FFFFL}, {7, 0x8000_0000L}}) {
                BlockLayout.TAG_GENERATION_H.set(memory, block + BlockLayout.TAG_GENERATION_OFFSET,
                        BlockLayout.tagGeneration((int) t[0], t[1]));
                assertEquals((int) t[0], (int) BlockLayout.TAG_H.get(memory, block));
                assertEquals(t[1], (int) BlockLayout.GENERATION_H.get(memory, block) & 0xFFFFFFFFL);
            }
        }
    }
}
