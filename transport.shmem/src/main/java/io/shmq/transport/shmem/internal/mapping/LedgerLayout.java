package io.shmq.transport.shmem.internal.mapping;

import io.shmq.transport.shmem.internal.os.FileHeaderLayout;
import io.shmq.transport.shmem.internal.os.PairWord;
import io.shmq.transport.shmem.internal.segment.BlockCacheLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * A factory's ledger ({@code shmq_<shmId>_own_<deviceSlot>}): one entry per payload reference the factory holds (a
 * managed block or a region range), written when a message takes a payload (allocate, copy, receive) and cleared
 * when it gives it up (close, send). Only its factory writes it; after the factory's process is proven dead, another
 * factory of the session reads it and releases every reference still recorded. Native byte order.
 *
 * <pre>
 *  0    | magic u64 | version u32 (FileHeaderLayout) | deviceSlot u32                              |
 *  16   | pid u64 | token u64 (the writer, as in its device slot) | capacity u32 | padding to 64   |
 *  64   | caches[16 stripes] { BlockCacheLayout[8 size classes], 512 B each }      65536 B         |
 *  65600| entries[capacity] {                                                                       |
 *       |   state u32 (0 free, 1 managed block, 2 region range) | id u32 (segment or region id)     |
 *       |   handle u64 (block offset, or offset in the region) | size u64                          |
 *       |   hint u64 (a block's generation, or the region message's hint)                            |
 *       |   shared u64 (a range's shared counter; a block's in-flight holder id while a send hands it  |
 *       |              over; UNIT | the unit's in-flight id for the descriptor of a multipart unit a    |
 *       |              receive is taking; else -1)                                                   |
 *       | }                                                                          40 B each      |
 * </pre>
 * The caches are the free small blocks each stripe keeps ({@code BlockCacheLayout}): a survivor gives them back to
 * the segment before it releases the entries.
 */
public final class LedgerLayout {
    /** "SHMQOWN1" as a little-endian long. */
    static final long MAGIC = 0x314E574F514D4853L;
    /** 4: the UNIT mark of a descriptor's entry. */
    static final int VERSION = 4;
    /**
     * Marks a managed entry's {@code shared} as the descriptor of a unit this process took by its hand-over (bit 32,
     * above the in-flight id in the low half): a survivor that reclaims the descriptor also reclaims the parts still
     * in flight with that id.
     */
    static final long UNIT = 1L << 32;
    /** Stripes with a block cache each (the factory's {@code OpenMessages} stripes). */
    static final int STRIPES = 16;
    static final int FREE = 0;
    static final int MANAGED = 1;
    static final int REGION = 2;

    public static final StructLayout HEADER = MemoryLayout.structLayout(
            FileHeaderLayout.MAGIC,
            FileHeaderLayout.VERSION,
            ValueLayout.JAVA_INT.withName("deviceSlot"),
            ValueLayout.JAVA_LONG.withName("pid"),
            ValueLayout.JAVA_LONG.withName("token"),
            ValueLayout.JAVA_INT.withName("capacity"),
            MemoryLayout.paddingLayout(28));

    public static final StructLayout ENTRY = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("state"),
            ValueLayout.JAVA_INT.withName("id"),
            ValueLayout.JAVA_LONG.withName("handle"),
            ValueLayout.JAVA_LONG.withName("size"),
            ValueLayout.JAVA_LONG.withName("hint"),
            ValueLayout.JAVA_LONG.withName("shared"));

    public static final SequenceLayout CACHES = MemoryLayout.sequenceLayout(STRIPES, BlockCacheLayout.STRIPE);

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            HEADER.withName("header"),
            CACHES.withName("caches"));

    public static final long CACHES_OFFSET = LAYOUT.byteOffset(groupElement("caches"));
    public static final long ENTRIES_OFFSET = LAYOUT.byteSize();

    static final VarHandle DEVICE_SLOT_H = HEADER.varHandle(groupElement("deviceSlot"));
    static final VarHandle PID_H = HEADER.varHandle(groupElement("pid"));
    static final VarHandle TOKEN_H = HEADER.varHandle(groupElement("token"));
    static final VarHandle CAPACITY_H = HEADER.varHandle(groupElement("capacity"));
    /**
     * Entry handles take (segment, {@link #entry}(index)): an entry's field handle at an offset computed here rather
     * than an array-element handle, whose index adapter (overflow and index checks in a chain of method handles)
     * costs about 40 ns an access in C1's code and 1.2 us interpreted, against 2-5 ns and 0.55 us (measured on
     * JDK 25): the code a stream runs for its first tens of thousands of messages.
     */
    static final VarHandle STATE_H = ENTRY.varHandle(groupElement("state"));
    static final VarHandle ID_H = ENTRY.varHandle(groupElement("id"));
    static final VarHandle HANDLE_H = ENTRY.varHandle(groupElement("handle"));
    static final VarHandle SIZE_H = ENTRY.varHandle(groupElement("size"));
    static final VarHandle HINT_H = ENTRY.varHandle(groupElement("hint"));
    static final VarHandle SHARED_H = ENTRY.varHandle(groupElement("shared"));

    /**
     * An entry's {@code state} and {@code id} as one native-order 8-byte word at {@link #stateIdOffset} (segment,
     * offset): an entry is published by one release store of both, made by {@link #stateId}.
     */
    static final VarHandle STATE_ID_H = ValueLayout.JAVA_LONG.varHandle();
    private static final long STATE_IN_ENTRY = PairWord.offset(ENTRY, "state", "id");
    private static final long ENTRY_BYTES = ENTRY.byteSize();

    static {
        if (ENTRY.byteSize() % 8 != 0 || ENTRIES_OFFSET % 8 != 0) {
            throw new ExceptionInInitializerError("the entries are not 8-aligned: their state and id are no word");
        }
    }

    private LedgerLayout() {
    }

    /** @return the offset of entry {@code index}, the base the entry handles take */
    static long entry(final long index) {
        return ENTRIES_OFFSET + index * ENTRY_BYTES;
    }

    /** @return the offset of entry {@code index}'s {@link #STATE_ID_H} word */
    static long stateIdOffset(final long index) {
        return entry(index) + STATE_IN_ENTRY;
    }

    /** @return the {@link #STATE_ID_H} word of {@code state} and {@code id} */
    static long stateId(final int state, final int id) {
        return PairWord.of(state, id);
    }

    /** @return the offset of stripe {@code stripe}'s block caches */
    public static long cachesOf(final int stripe) {
        return CACHES_OFFSET + stripe * BlockCacheLayout.STRIPE.byteSize();
    }

    /** @return the file size for {@code capacity} entries */
    public static long bytes(final int capacity) {
        return ENTRIES_OFFSET + capacity * ENTRY.byteSize();
    }
}
