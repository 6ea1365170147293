package io.shmq.transport.shmem.internal.os;

import java.lang.foreign.MemoryLayout;
import java.nio.ByteOrder;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * Two adjacent u32 fields of a shared structure (the first at an 8-aligned offset, the second right after it) as
 * one native-order 8-byte word, so that one load reads both or one store writes both: a block's tag and generation,
 * a ring record's kind and correlation, a ledger entry's state and id. The one place that knows which half of the
 * word the first field is in the machine's byte order.
 */
public final class PairWord {
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private PairWord() {
    }

    /**
     * @return the offset in {@code layout} of its field {@code first}, checked to be 8-aligned with the 4-byte field
     * {@code second} right after it (so one aligned 8-byte access covers both)
     * @throws ExceptionInInitializerError when they are no such pair (a layout changed under a class's constants)
     */
    public static long offset(final MemoryLayout layout, final String first, final String second) {
        final long offset = layout.byteOffset(groupElement(first));
        if (offset % 8 != 0 || layout.byteOffset(groupElement(second)) != offset + 4
                || layout.select(groupElement(first)).byteSize() != 4
                || layout.select(groupElement(second)).byteSize() != 4) {
            throw new ExceptionInInitializerError(first + " and " + second + " are no aligned pair of 4-byte fields");
        }
        return offset;
    }

    /** @return the word whose first field is {@code first} and second {@code second} (each the low 32 bits) */
    public static long of(final long first, final long second) {
        final long low = LITTLE_ENDIAN ? first : second;
        final long high = LITTLE_ENDIAN ? second : first;
        return high << 32 | low & 0xFFFFFFFFL;
    }

    /** @return the first field of {@code word} */
    public static int first(final long word) {
        return (int) (LITTLE_ENDIAN ? word : word >>> 32);
    }

    /** @return the second field of {@code word} */
    public static int second(final long word) {
        return (int) (LITTLE_ENDIAN ? word >>> 32 : word);
    }
}
