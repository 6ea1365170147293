package io.shmq.transport.shmem.internal.ring;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * What every {@link SequencedRing} shares, whatever its record: the cursor block, placed by each ring layout as its
 * field {@code cursors}, and the two words each record starts with. Native byte order; each cursor owns 128
 * bytes, so producers and consumers never write one cache line.
 *
 * <pre>
 *  cursors + 0    | tail u64 (next position to claim, CAS by producers; unused by a single producer) | pad to 128 |
 *  cursors + 128  | head u64 (next position to read, CAS by consumers)    | padding to 256 |
 *  record + 0     | sequence u64 | claimer u64 | (the ring's record body) ...              |
 *
 *  sequence of the record at position p: p free for the producer of p | p + 1 published | p + capacity free for
 *           the next lap | ~p (negative) skipped unpublished: nobody claims it until its claimer is done with it
 *  claimer  (the claim tag of the producer that claimed it):
 *           bit 63        48 47          26 25                0
 *               | lap u16   | pid u22      | start token u26   |      0 = never claimed
 *           lap: the low 16 bits of p / capacity, so a tag names the lap it was written for
 *  single producer (the ring header says so): sequence p + 1 published, anything else not; consumers never
 *           release (room is the head), nothing is skipped, the claimer is not written
 * </pre>
 */
public final class RingLayout {
    /** The two cursors. */
    public static final StructLayout CURSORS = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("tail"),
            MemoryLayout.paddingLayout(120),
            ValueLayout.JAVA_LONG.withName("head"),
            MemoryLayout.paddingLayout(120));
    /** The first field of every record. */
    public static final MemoryLayout SEQUENCE = ValueLayout.JAVA_LONG.withName("sequence");
    /** The second field of every record: the claim tag. */
    public static final MemoryLayout CLAIMER = ValueLayout.JAVA_LONG.withName("claimer");
    /** The record prefix alone. */
    public static final StructLayout RECORD_PREFIX = MemoryLayout.structLayout(SEQUENCE, CLAIMER);

    /** (segment, cursorsOffset). */
    static final VarHandle TAIL_H = CURSORS.varHandle(groupElement("tail"));
    static final VarHandle HEAD_H = CURSORS.varHandle(groupElement("head"));
    /** (segment, recordOffset). */
    static final VarHandle SEQUENCE_H = RECORD_PREFIX.varHandle(groupElement("sequence"));
    static final VarHandle CLAIMER_H = RECORD_PREFIX.varHandle(groupElement("claimer"));

    private RingLayout() {
    }

    /**
     * Checks that a ring layout places the shared parts where {@link SequencedRing} reads them.
     *
     * @return the offset of {@code cursors} in {@code header}
     */
    static long checkShape(final StructLayout header, final StructLayout record) {
        if (record.byteOffset(groupElement("sequence")) != 0 || record.byteOffset(groupElement("claimer")) != 8
                || record.byteSize() % 8 != 0) {
            throw new IllegalStateException("a ring record must start with its sequence and claimer and be 8-aligned: "
                    + record);
        }
        return header.byteOffset(groupElement("cursors"));
    }
}
