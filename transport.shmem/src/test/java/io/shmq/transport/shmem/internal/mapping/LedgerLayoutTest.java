package io.shmq.transport.shmem.internal.mapping;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The one release store that publishes a ledger entry writes its state and id as the two 4-byte fields. */
class LedgerLayoutTest {
    @Test
    void shouldWriteTheStateIdWordAsItsFields() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment memory = arena.allocate(LedgerLayout.bytes(3), 64);
            for (final int[] c : new int[][] {{LedgerLayout.MANAGED, 0}, {LedgerLayout.REGION, 0xFFFF},
                    {LedgerLayout.FREE, -1}, {0x7654_3210, 0x1234_5678}}) {
                memory.fill((byte) 0x5A);
                LedgerLayout.STATE_ID_H.setRelease(memory, LedgerLayout.stateIdOffset(1),
                        LedgerLayout.stateId(c[0], c[1]));
                assertEquals(c[0], (int) LedgerLayout.STATE_H.get(memory, LedgerLayout.entry(1)));
                assertEquals(c[1], (int) LedgerLayout.ID_H.get(memory, LedgerLayout.entry(1)));
                assertEquals(0x5A5A_5A5A_5A5A_5A5AL, (long) LedgerLayout.HANDLE_H.get(memory, LedgerLayout.entry(1)),
                        "the word ends where the handle begins");
                assertEquals(0x5A5A_5A5A, (int) LedgerLayout.STATE_H.get(memory, LedgerLayout.entry(0)),
                        "entry 0 untouched");
            }
        }
    }

    /** The entry handles at {@code entry(i)} reach the fields of entry i of the diagram: 40-byte entries at 65,600. */
    @Test
    void shouldPinTheEntryOffsets() {
        assertEquals(65_600, LedgerLayout.ENTRIES_OFFSET);
        assertEquals(40, LedgerLayout.ENTRY.byteSize());
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment memory = arena.allocate(LedgerLayout.bytes(3), 64);
            final long base = 65_600 + 2 * 40;
            assertEquals(base, LedgerLayout.entry(2));
            LedgerLayout.STATE_H.set(memory, LedgerLayout.entry(2), 0x11);
            LedgerLayout.ID_H.set(memory, LedgerLayout.entry(2), 0x22);
            LedgerLayout.HANDLE_H.set(memory, LedgerLayout.entry(2), 0x33L);
            LedgerLayout.SIZE_H.set(memory, LedgerLayout.entry(2), 0x44L);
            LedgerLayout.HINT_H.set(memory, LedgerLayout.entry(2), 0x55L);
            LedgerLayout.SHARED_H.set(memory, LedgerLayout.entry(2), 0x66L);
            assertEquals(0x11, memory.get(ValueLayout.JAVA_INT, base));
            assertEquals(0x22, memory.get(ValueLayout.JAVA_INT, base + 4));
            assertEquals(0x33L, memory.get(ValueLayout.JAVA_LONG, base + 8));
            assertEquals(0x44L, memory.get(ValueLayout.JAVA_LONG, base + 16));
            assertEquals(0x55L, memory.get(ValueLayout.JAVA_LONG, base + 24));
            assertEquals(0x66L, memory.get(ValueLayout.JAVA_LONG, base + 32));
            assertEquals(base, LedgerLayout.stateIdOffset(2));
        }
    }
}
