package io.shmq.transport.shmem.internal.segment;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The one 8-byte load of a block's tag and generation reads what the two 4-byte fields hold. */
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
}
