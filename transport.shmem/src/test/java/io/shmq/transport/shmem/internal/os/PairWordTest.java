package io.shmq.transport.shmem.internal.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** A pair word stored as one 8-byte word is its two u32 fields, first at the lower address, and splits back. */
class PairWordTest {
    @Test
    void shouldBeTheTwoFieldsInMemoryAndSplitBack() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment memory = arena.allocate(16, 8);
            for (final long[] p : new long[][] {{1, 2}, {-1, 0}, {0, 0xFFFF_FFFFL}, {0x8000_0000L, 0x7FFF_FFFF},
                    {0x1_0000_0005L, 7}}) {
                final long word = PairWord.of(p[0], p[1]);
                memory.set(ValueLayout.JAVA_LONG, 8, word);
                assertEquals((int) p[0], memory.get(ValueLayout.JAVA_INT, 8), "first at the lower address");
                assertEquals((int) p[1], memory.get(ValueLayout.JAVA_INT, 12));
                assertEquals((int) p[0], PairWord.first(word));
                assertEquals((int) p[1], PairWord.second(word), "only the low 32 bits of each count");
            }
        }
    }
}
