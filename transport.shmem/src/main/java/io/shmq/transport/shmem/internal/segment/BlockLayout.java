package io.shmq.transport.shmem.internal.segment;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import io.shmq.transport.shmem.internal.os.PairWord;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * The header in front of every block of a managed segment. A managed {@code MetaHeader.handle} is the offset of
 * this header in the segment; the payload starts {@code userOffset} bytes after it (at least {@link #HEADER_BYTES},
 * a multiple of the requested alignment). Blocks are multiples of 16 bytes, so every header is 16-aligned.
 *
 * <pre>
 *  0    | sizeFlags u64: block size (multiple of 16) | FREE=1 | SMALL=2 | CHUNK=4 in the low 4 bits |
 *  8    | link u64: large block: size of the physical predecessor (0 for the first block);          |
 *  |    |           free small block: offset of the next free block of its class (0 = end)          |
 *  16   | refCount u32 (atomic)  | userOffset u16 | classIndex i16 (-1 = large)                     |
 *  24   | tag u32 (session shmId while allocated, 0 when free) | generation u32                      |
 *  32   | holder u64: generation u32 (high) | holder id u32 (low), one word for one CAS           |
 *  40   | spare u64                                                                               |
 *  48   | freeNext u64 | freePrev u64   (free large blocks only: the bin's doubly linked list)     |
 * </pre>
 * {@code holder} says who owns an allocated block's only reference, so that a reference handed from one process to
 * another is either received or reclaimed, never both ({@link Holder}): the id of the device that holds it (each
 * join of a session has its own), {@link Holder#IN_FLIGHT} with a nonce while a send hands it over,
 * {@link Holder#SHARED} once it has more than one reference, {@link Holder#RECLAIMED} when a survivor took it from
 * a dead holder. It lies outside the free lists' links, so a late CAS on a freed block never corrupts them.
 * {@code generation} changes each time the block is allocated (a small block counts up from the value its chunk
 * got; a large block takes the segment's next {@code generation}); a managed {@code MetaHeader} carries it in
 * {@code hint}, so a header kept past its block's free and reuse is recognised as stale. 32 bits: a header becomes
 * indistinguishable only after its block was allocated again 2^32 times.
 * The physical chain of large blocks (walked by size from the heap start) is the allocator's ground truth: each
 * mutation changes it with one 8-byte store, so a recovery pass can rebuild the bins after a crash.
 */
public final class BlockLayout {
    static final long FREE = 1;
    static final long SMALL = 2;
    static final long CHUNK = 4;
    static final long FLAGS = 15;

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("sizeFlags"),
            ValueLayout.JAVA_LONG.withName("link"),
            ValueLayout.JAVA_INT.withName("refCount"),
            ValueLayout.JAVA_SHORT.withName("userOffset"),
            ValueLayout.JAVA_SHORT.withName("classIndex"),
            ValueLayout.JAVA_INT.withName("tag"),
            ValueLayout.JAVA_INT.withName("generation"),
            ValueLayout.JAVA_LONG.withName("holder"),
            MemoryLayout.paddingLayout(8),
            ValueLayout.JAVA_LONG.withName("freeNext"),
            ValueLayout.JAVA_LONG.withName("freePrev"));

    /** Bytes in front of the payload of an allocated block: 48. */
    public static final long HEADER_BYTES = LAYOUT.byteOffset(groupElement("freeNext"));
    /** Smallest large block: header plus the free-list links. */
    public static final long MIN_LARGE = LAYOUT.byteSize() + 16;

    static final VarHandle SIZE_FLAGS_H = field("sizeFlags");
    static final VarHandle LINK_H = field("link");
    static final VarHandle REF_COUNT_H = field("refCount");
    static final VarHandle USER_OFFSET_H = field("userOffset");
    static final VarHandle TAG_H = field("tag");
    static final VarHandle CLASS_INDEX_H = field("classIndex");
    static final VarHandle GENERATION_H = field("generation");
    static final VarHandle HOLDER_H = field("holder");
    /**
     * {@code tag} and {@code generation} as one 8-byte load at {@link #TAG_GENERATION_OFFSET} (the resolve path reads
     * both): split by {@link #tagOf} and {@link #generationOf}, in the machine's byte order.
     */
    static final VarHandle TAG_GENERATION_H = ValueLayout.JAVA_LONG.varHandle();
    public static final long TAG_GENERATION_OFFSET = PairWord.offset(LAYOUT, "tag", "generation");
    /**
     * {@code refCount}, {@code userOffset} and {@code classIndex} as one 8-byte word at {@link #COUNTS_OFFSET} (an
     * allocation writes all three with one store), made by {@link #counts}, in the machine's byte order.
     */
    static final VarHandle COUNTS_H = ValueLayout.JAVA_LONG.varHandle();
    public static final long COUNTS_OFFSET = countsOffset();
    static final VarHandle FREE_NEXT_H = field("freeNext");
    static final VarHandle FREE_PREV_H = field("freePrev");

    private BlockLayout() {
    }

    /** @return the tag of a {@link #TAG_GENERATION_H} word */
    static int tagOf(final long word) {
        return PairWord.first(word);
    }

    /** @return the generation of a {@link #TAG_GENERATION_H} word, unsigned */
    static long generationOf(final long word) {
        return PairWord.second(word) & 0xFFFFFFFFL;
    }

    /** @return the {@link #TAG_GENERATION_H} word of {@code tag} and {@code generation} */
    static long tagGeneration(final int tag, final long generation) {
        return PairWord.of(tag, generation);
    }

    /** @return the {@link #COUNTS_H} word of a block with {@code refCount}, {@code userOffset}, {@code classIndex} */
    static long counts(final int refCount, final long userOffset, final int classIndex) {
        // The second u32 holds two u16 fields: userOffset first, classIndex second, in the machine's order.
        final long offset = userOffset & 0xFFFF;
        final long index = classIndex & 0xFFFFL;
        return PairWord.of(refCount, LITTLE_ENDIAN ? index << 16 | offset : offset << 16 | index);
    }

    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private static long countsOffset() {
        final long offset = LAYOUT.byteOffset(groupElement("refCount"));
        if (offset % 8 != 0 || LAYOUT.byteOffset(groupElement("userOffset")) != offset + 4
                || LAYOUT.byteOffset(groupElement("classIndex")) != offset + 6) {
            throw new ExceptionInInitializerError("refCount, userOffset and classIndex are no aligned 8-byte word");
        }
        return offset;
    }

    private static VarHandle field(final String name) {
        return LAYOUT.varHandle(groupElement(name));
    }
}
