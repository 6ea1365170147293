package io.shmq.transport.shmem.internal;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * The acknowledgement ring of an unmanaged region ({@code shmq_<shmId>_rgq_<regionId>}): a bounded
 * multi-producer, single-consumer queue (Vyukov's sequence protocol) through which any process tells the region's
 * creator which blocks were released. Native byte order.
 *
 * <pre>
 *  0     | magic u64 | version u32 (written last) | capacity u32 (power of two) | padding to 128 |
 *  128   | tail u64 (next position to claim, CAS by producers)                 | padding to 256 |
 *  256   | head u64 (next position to read, written by the creator only)       | padding to 384 |
 *  384   | records[capacity] { sequence u64, offset u64, size u64, hint u64 }  32 B each        |
 * </pre>
 * A record at position p is free for a producer when {@code sequence == p}; the producer CASes the tail, writes
 * the body and release-stores {@code sequence = p + 1}; the consumer acquire-loads {@code sequence == p + 1}, reads
 * and release-stores {@code sequence = p + capacity}.
 */
final class AckRingLayout {
    /** "SHMQACK1" as a little-endian long. */
    static final long MAGIC = 0x314B4341514D4853L;
    static final int VERSION = 1;

    static final StructLayout HEADER = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("magic"),
            ValueLayout.JAVA_INT.withName("version"),
            ValueLayout.JAVA_INT.withName("capacity"),
            MemoryLayout.paddingLayout(112),
            ValueLayout.JAVA_LONG.withName("tail"),
            MemoryLayout.paddingLayout(120),
            ValueLayout.JAVA_LONG.withName("head"),
            MemoryLayout.paddingLayout(120));

    static final StructLayout RECORD = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("sequence"),
            ValueLayout.JAVA_LONG.withName("offset"),
            ValueLayout.JAVA_LONG.withName("size"),
            ValueLayout.JAVA_LONG.withName("hint"));

    static final long RECORDS_OFFSET = HEADER.byteSize();

    static final VarHandle MAGIC_H = HEADER.varHandle(groupElement("magic"));
    static final VarHandle VERSION_H = HEADER.varHandle(groupElement("version"));
    static final VarHandle CAPACITY_H = HEADER.varHandle(groupElement("capacity"));
    static final VarHandle TAIL_H = HEADER.varHandle(groupElement("tail"));
    static final VarHandle HEAD_H = HEADER.varHandle(groupElement("head"));
    /** (segment, RECORDS_OFFSET, index). */
    static final VarHandle SEQUENCE_H = RECORD.arrayElementVarHandle(groupElement("sequence"));
    static final VarHandle OFFSET_H = RECORD.arrayElementVarHandle(groupElement("offset"));
    static final VarHandle SIZE_H = RECORD.arrayElementVarHandle(groupElement("size"));
    static final VarHandle HINT_H = RECORD.arrayElementVarHandle(groupElement("hint"));

    private AckRingLayout() {
    }

    /** @return the file size of a ring of {@code capacity} records */
    static long bytes(final int capacity) {
        return RECORDS_OFFSET + capacity * RECORD.byteSize();
    }
}
