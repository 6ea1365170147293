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

    @Test
    void shouldFindAnAlignedPairOfFourByteFieldsAndRefuseAnythingElse() {
        final java.lang.foreign.StructLayout layout = java.lang.foreign.MemoryLayout.structLayout(
                ValueLayout.JAVA_INT.withName("a"), ValueLayout.JAVA_INT.withName("b"),
                ValueLayout.JAVA_INT.withName("c"), ValueLayout.JAVA_INT.withName("d"),
                ValueLayout.JAVA_LONG.withName("e"));
        assertEquals(0, PairWord.offset(layout, "a", "b"));
        assertEquals(8, PairWord.offset(layout, "c", "d"));
        org.junit.jupiter.api.Assertions.assertThrows(ExceptionInInitializerError.class,
                () -> PairWord.offset(layout, "b", "c"), "not 8-aligned");
        org.junit.jupiter.api.Assertions.assertThrows(ExceptionInInitializerError.class,
                () -> PairWord.offset(layout, "a", "c"), "not adjacent");
        org.junit.jupiter.api.Assertions.assertThrows(ExceptionInInitializerError.class,
                () -> PairWord.offset(layout, "e", "a"), "not 4-byte fields");
    }
}
