package io.shmq.transport.shmem.internal.mapping;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
                assertEquals(c[0], (int) LedgerLayout.STATE_H.get(memory, LedgerLayout.ENTRIES_OFFSET, 1L));
                assertEquals(c[1], (int) LedgerLayout.ID_H.get(memory, LedgerLayout.ENTRIES_OFFSET, 1L));
                assertEquals(0x5A5A_5A5A_5A5A_5A5AL, (long) LedgerLayout.HANDLE_H.get(memory,
                        LedgerLayout.ENTRIES_OFFSET, 1L), "the word ends where the handle begins");
                assertEquals(0x5A5A_5A5A, (int) LedgerLayout.STATE_H.get(memory, LedgerLayout.ENTRIES_OFFSET, 0L),
                        "entry 0 untouched");
            }
        }
    }
}
