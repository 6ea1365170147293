package io.shmq.transport.shmem.internal.ring;

import io.shmq.transport.shmem.internal.os.FileHeaderLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * The acknowledgement ring of an unmanaged region ({@code shmq_<shmId>_rgq_<regionId>}): a {@link SequencedRing}
 * through which any process tells the region's creator which blocks were released; the creator is its only
 * consumer. Native byte order.
 *
 * <pre>
 *  0     | magic u64 | version u32 (FileHeaderLayout: written last) | capacity u32 (power of two) |
 *  16    | notEmpty u32 (futex: +1 per publish) | sleepers u32 (armed by the creator's worker)       | pad to 128 |
 *  128   | cursors (RingLayout): tail u64 | pad to 256 | head u64 | pad to 384                                 |
 *  384   | records[capacity] { sequence u64, claimer u64 (RingLayout), offset u64, size u64, hint u64 }  40 B each |
 * </pre>
 * The record protocol is {@link SequencedRing}'s: producers claim, write offset, size and hint, and publish; the
 * creator polls in batches and hands them to the region's callback.
 */
public final class AckRingLayout {
    /** "SHMQACK1" as a little-endian long. */
    public static final long MAGIC = 0x314B4341514D4853L;
    /** 3: the claim tag in every record; 4: the sleepers word is an armed flag ({@code Doorbell}). */
    public static final int VERSION = 4;

    public static final StructLayout HEADER = MemoryLayout.structLayout(
            FileHeaderLayout.MAGIC,
            FileHeaderLayout.VERSION,
            ValueLayout.JAVA_INT.withName("capacity"),
            ValueLayout.JAVA_INT.withName("notEmpty"),
            ValueLayout.JAVA_INT.withName("sleepers"),
            MemoryLayout.paddingLayout(104),
            RingLayout.CURSORS.withName("cursors"));

    public static final StructLayout RECORD = MemoryLayout.structLayout(
            RingLayout.SEQUENCE,
            RingLayout.CLAIMER,
            ValueLayout.JAVA_LONG.withName("offset"),
            ValueLayout.JAVA_LONG.withName("size"),
            ValueLayout.JAVA_LONG.withName("hint"));

    static final long CURSORS_OFFSET = RingLayout.checkShape(HEADER, RECORD);
    public static final long RECORDS_OFFSET = HEADER.byteSize();

    static final VarHandle CAPACITY_H = HEADER.varHandle(groupElement("capacity"));
    static final long NOT_EMPTY_OFFSET = HEADER.byteOffset(groupElement("notEmpty"));
    static final long SLEEPERS_OFFSET = HEADER.byteOffset(groupElement("sleepers"));
    /** (segment, recordOffset). */
    static final VarHandle OFFSET_H = RECORD.varHandle(groupElement("offset"));
    static final VarHandle SIZE_H = RECORD.varHandle(groupElement("size"));
    static final VarHandle HINT_H = RECORD.varHandle(groupElement("hint"));

    private AckRingLayout() {
    }

    /** @return the file size of a ring of {@code capacity} records */
    public static long bytes(final int capacity) {
        return RECORDS_OFFSET + capacity * RECORD.byteSize();
    }
}
