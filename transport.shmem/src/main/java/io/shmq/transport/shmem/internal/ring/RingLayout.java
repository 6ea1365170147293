package io.shmq.transport.shmem.internal.ring;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * What every {@link SequencedRing} shares, whatever its record: the cursor block, placed by each ring layout as its
 * field {@code cursors}, and the sequence word each record starts with. Native byte order; each cursor owns 128
 * bytes, so producers and consumers never write one cache line.
 *
 * <pre>
 *  cursors + 0    | tail u64 (next position to claim, CAS by producers)   | padding to 128 |
 *  cursors + 128  | head u64 (next position to read, CAS by consumers)    | padding to 256 |
 *  record + 0     | sequence u64 | (the ring's record body) ...                            |
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
    /** The record prefix alone. */
    public static final StructLayout RECORD_PREFIX = MemoryLayout.structLayout(SEQUENCE);

    /** (segment, cursorsOffset). */
    static final VarHandle TAIL_H = CURSORS.varHandle(groupElement("tail"));
    static final VarHandle HEAD_H = CURSORS.varHandle(groupElement("head"));
    /** (segment, recordOffset). */
    static final VarHandle SEQUENCE_H = RECORD_PREFIX.varHandle(groupElement("sequence"));

    private RingLayout() {
    }

    /**
     * Checks that a ring layout places the shared parts where {@link SequencedRing} reads them.
     *
     * @return the offset of {@code cursors} in {@code header}
     */
    static long checkShape(final StructLayout header, final StructLayout record) {
        if (record.byteOffset(groupElement("sequence")) != 0 || record.byteSize() % 8 != 0) {
            throw new IllegalStateException("a ring record must start with its sequence and be 8-aligned: " + record);
        }
        return header.byteOffset(groupElement("cursors"));
    }
}
