package io.shmq.transport.shmem.internal.segment;

import io.shmq.transport.shmem.internal.os.FileHeaderLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * The header of a managed segment file ({@code shmq_<shmId>_m_<id>}): the shared allocator's state. The heap
 * ({@link BlockLayout} blocks) starts at {@link #HEAP_OFFSET}. Native byte order; every hot word owns 128 bytes.
 *
 * <pre>
 *  0      | magic u64 | version u32 (FileHeaderLayout) | tag u32 (session)  | size u64 | padding to 128 |
 *  128    | lock u64 (robust lock word of the large-block allocator)    | padding to 256            |
 *  256    | usedBytes u64 (bytes held by live blocks, atomic add)       | padding to 384            |
 *  384    | reservedEnd u64 | binBitmap u64 | generation u64 (all three under the lock) | pad to 512 |
 *  512    | classHeads[8] { head u64 = tag u32 | blockOffset/16 u32, padding to 128 }  1024 B       |
 *  1536   | bins[64] u64 (first free block of each power-of-two bin, 0 = empty)   512 B            |
 *  2048   | freeBell u32 (futex word, +1 on a free while somebody waits) | freeSleepers u32 | pad to 2176 |
 *  2176   | padding to 4096                                                                          |
 *  4096   | heap ...                                                                                 |
 * </pre>
 */
public final class SegmentLayout {
    /** "SHMQSEG1" as a little-endian long. */
    static final long MAGIC = 0x31474553514D4853L;
    public static final int VERSION = 2;
    static final int CLASSES = 8;
    public static final int BINS = 64;

    public static final StructLayout CLASS_HEAD = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("head"),
            MemoryLayout.paddingLayout(120));

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            FileHeaderLayout.MAGIC,
            FileHeaderLayout.VERSION,
            ValueLayout.JAVA_INT.withName("tag"),
            ValueLayout.JAVA_LONG.withName("size"),
            MemoryLayout.paddingLayout(104),
            ValueLayout.JAVA_LONG.withName("lock"),
            MemoryLayout.paddingLayout(120),
            ValueLayout.JAVA_LONG.withName("usedBytes"),
            MemoryLayout.paddingLayout(120),
            ValueLayout.JAVA_LONG.withName("reservedEnd"),
            ValueLayout.JAVA_LONG.withName("binBitmap"),
            ValueLayout.JAVA_LONG.withName("generation"),
            MemoryLayout.paddingLayout(104),
            MemoryLayout.sequenceLayout(CLASSES, CLASS_HEAD).withName("classHeads"),
            MemoryLayout.sequenceLayout(BINS, ValueLayout.JAVA_LONG).withName("bins"),
            ValueLayout.JAVA_INT.withName("freeBell"),
            ValueLayout.JAVA_INT.withName("freeSleepers"),
            MemoryLayout.paddingLayout(2040));

    public static final long HEAP_OFFSET = LAYOUT.byteSize();
    static final long CLASS_HEADS_OFFSET = LAYOUT.byteOffset(groupElement("classHeads"));
    public static final long BINS_OFFSET = LAYOUT.byteOffset(groupElement("bins"));

    /** The large-block allocator's robust lock word: (segment, 0). */
    static final VarHandle LOCK_H = field("lock");
    static final VarHandle TAG_H = field("tag");
    static final VarHandle SIZE_H = field("size");
    static final VarHandle USED_BYTES_H = field("usedBytes");
    static final VarHandle RESERVED_END_H = field("reservedEnd");
    /** The doorbell a free rings while an allocation waits for room: (segment, 0). */
    static final VarHandle FREE_BELL_H = field("freeBell");
    static final VarHandle FREE_SLEEPERS_H = field("freeSleepers");
    static final long FREE_BELL_OFFSET = LAYOUT.byteOffset(groupElement("freeBell"));
    /** The next generation of a large block or a new chunk (under the lock). */
    static final VarHandle GENERATION_H = field("generation");
    public static final VarHandle BIN_BITMAP_H = field("binBitmap");
    /** (segment, CLASS_HEADS_OFFSET, index). */
    static final VarHandle CLASS_HEAD_H = CLASS_HEAD.arrayElementVarHandle(groupElement("head"));
    /** (segment, BINS_OFFSET, index). */
    public static final VarHandle BIN_H = ValueLayout.JAVA_LONG.arrayElementVarHandle();

    private SegmentLayout() {
    }

    private static VarHandle field(final String name) {
        return LAYOUT.varHandle(groupElement(name));
    }
}
