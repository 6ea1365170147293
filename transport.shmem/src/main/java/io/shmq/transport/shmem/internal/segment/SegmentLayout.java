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
 *  128    | lock u64 (robust lock word of the allocator: large blocks, class lists, transfers) | pad to 256 |
 *  256    | usedBytes u64 (bytes outside the free heap and the class lists, under the lock)  | pad to 384 |
 *  384    | reservedEnd u64 (raised by CAS) | binBitmap u64 | generation u64 (under the lock) | pad to 512 |
 *  512    | classHeads[8] { head u64 = first free block of the class list (0 = empty), padding to 128 }   |
 *  1536   | bins[64] u64 (first free block of each power-of-two bin, 0 = empty)   512 B            |
 *  2048   | freeBell u32 (futex word, +1 on a free while armed) | freeSleepers u32 (armed)  | pad to 2176 |
 *  2176   | transfer { op u32 | classIndex u32 | owner u32 | count u32 | first u64 | head u64 |          |
 *         |            usedAfter u64 }   the lock holder's block transfer in progress  | pad to 2304  |
 *  2304   | padding to 4096                                                                          |
 *  4096   | heap ...                                                                                 |
 * </pre>
 * {@code transfer} makes the moves of small blocks between a class list and a process's block cache
 * ({@link BlockCacheLayout}), and the carving of a new chunk, crash-exact: the lock holder writes it before its
 * first change and clears it after its last; a process that steals the lock from a dead holder finishes or undoes
 * the move it names before anything else ({@link ManagedSegment#repair}). Taking and giving back a large block are
 * recorded the same way, so that the used bytes always match the heap.
 */
public final class SegmentLayout {
    /** "SHMQSEG1" as a little-endian long. */
    static final long MAGIC = 0x31474553514D4853L;
    public static final int VERSION = 5;
    public static final int CLASSES = 8;
    public static final int BINS = 64;

    public static final StructLayout CLASS_HEAD = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("head"),
            MemoryLayout.paddingLayout(120));

    /** No transfer in progress. */
    static final int NONE = 0;
    /** {@code count} blocks from {@code first} leave the class list for {@code owner}'s cache; {@code head} after. */
    static final int REFILL = 1;
    /** {@code count} blocks linked from {@code first} (the last to the old {@code head}) join the class list. */
    static final int DRAIN = 2;
    /** A chunk at {@code first} (0 until the heap marked it) becomes {@code count} blocks on the list of the class. */
    static final int CARVE = 3;
    /** The large block at {@code first} is being taken from the heap; {@code usedAfter} once it is. */
    static final int TAKE = 4;
    /** The large block at {@code first} is being given back to the heap; {@code usedAfter} once it is. */
    static final int GIVE = 5;

    public static final StructLayout TRANSFER = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("op"),
            ValueLayout.JAVA_INT.withName("classIndex"),
            ValueLayout.JAVA_INT.withName("owner"),
            ValueLayout.JAVA_INT.withName("count"),
            ValueLayout.JAVA_LONG.withName("first"),
            ValueLayout.JAVA_LONG.withName("head"),
            ValueLayout.JAVA_LONG.withName("usedAfter"));

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
            MemoryLayout.paddingLayout(120),
            TRANSFER.withName("transfer"),
            MemoryLayout.paddingLayout(1792 + 128 - TRANSFER.byteSize()));

    public static final long HEAP_OFFSET = LAYOUT.byteSize();
    static final long CLASS_HEADS_OFFSET = LAYOUT.byteOffset(groupElement("classHeads"));
    public static final long BINS_OFFSET = LAYOUT.byteOffset(groupElement("bins"));

    /** The large-block allocator's robust lock word: (segment, 0). */
    static final VarHandle TAG_H = field("tag");
    static final VarHandle SIZE_H = field("size");
    static final VarHandle USED_BYTES_H = field("usedBytes");
    static final VarHandle RESERVED_END_H = field("reservedEnd");
    /** The doorbell a free rings while an allocation waits for room: (segment, 0). */
    static final long FREE_BELL_OFFSET = LAYOUT.byteOffset(groupElement("freeBell"));
    static final long FREE_SLEEPERS_OFFSET = LAYOUT.byteOffset(groupElement("freeSleepers"));
    static final long LOCK_OFFSET = LAYOUT.byteOffset(groupElement("lock"));
    /** The next generation of a large block or a new chunk (under the lock). */
    static final VarHandle GENERATION_H = field("generation");
    public static final VarHandle BIN_BITMAP_H = field("binBitmap");
    static final VarHandle T_OP_H = transfer("op");
    static final VarHandle T_CLASS_H = transfer("classIndex");
    static final VarHandle T_OWNER_H = transfer("owner");
    static final VarHandle T_COUNT_H = transfer("count");
    static final VarHandle T_FIRST_H = transfer("first");
    static final VarHandle T_HEAD_H = transfer("head");
    static final VarHandle T_USED_AFTER_H = transfer("usedAfter");
    /** (segment, CLASS_HEADS_OFFSET, index). */
    static final VarHandle CLASS_HEAD_H = CLASS_HEAD.arrayElementVarHandle(groupElement("head"));
    /** (segment, BINS_OFFSET, index). */
    public static final VarHandle BIN_H = ValueLayout.JAVA_LONG.arrayElementVarHandle();

    private SegmentLayout() {
    }

    private static VarHandle transfer(final String name) {
        return LAYOUT.varHandle(groupElement("transfer"), groupElement(name));
    }

    private static VarHandle field(final String name) {
        return LAYOUT.varHandle(groupElement(name));
    }
}
