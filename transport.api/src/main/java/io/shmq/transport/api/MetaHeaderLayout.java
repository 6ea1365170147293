package io.shmq.transport.api;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * The 40-byte binary form of a {@link MetaHeader}, field for field FairMQ's {@code shmem::MetaHeader} on x86-64:
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                       size (u64)                     @0       |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                       hint (u64)                     @8       |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                       handle (i64)                   @16      |
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                       shared (i64, -1 = none)        @24      |
 *  |                                                               |
 *  +-------------------------------+-------------------------------+
 *  |   regionId (u16)      @32     |   segmentId (u16)     @34     |
 *  +---------------+---------------+-------------------------------+
 *  | managed @36   |          padding (3 bytes)            @37     |
 *  +---------------+-----------------------------------------------+
 * </pre>
 *
 * <p>Byte order is little-endian always, whatever the host, so that frames match FairMQ's on x86-64 and can cross
 * machines; {@code managed} is 0 or 1. {@link #LAYOUT} is naturally aligned (8) for shared memory;
 * {@link #UNALIGNED} reads and writes frames at any offset (socket buffers, {@code byte[]}).
 */
public final class MetaHeaderLayout {
    /** Layout version; bumped when a field moves. */
    public static final int VERSION = 1;

    /** The naturally aligned layout (alignment 8), for headers placed in shared memory. */
    public static final StructLayout LAYOUT = layout(false);
    /** The same fields with byte alignment 1, for headers inside arbitrary frames. */
    public static final StructLayout UNALIGNED = layout(true);

    /** Size of one header in bytes: 40. */
    public static final long BYTES = LAYOUT.byteSize();
    /** Offset of {@code size}: 0. */
    public static final long SIZE_OFFSET = offset("size");
    /** Offset of {@code hint}: 8. */
    public static final long HINT_OFFSET = offset("hint");
    /** Offset of {@code handle}: 16. */
    public static final long HANDLE_OFFSET = offset("handle");
    /** Offset of {@code shared}: 24. */
    public static final long SHARED_OFFSET = offset("shared");
    /** Offset of {@code regionId}: 32. */
    public static final long REGION_ID_OFFSET = offset("regionId");
    /** Offset of {@code segmentId}: 34. */
    public static final long SEGMENT_ID_OFFSET = offset("segmentId");
    /** Offset of {@code managed}: 36. */
    public static final long MANAGED_OFFSET = offset("managed");

    private static final VarHandle SIZE = handle("size");
    private static final VarHandle HINT = handle("hint");
    private static final VarHandle HANDLE = handle("handle");
    private static final VarHandle SHARED = handle("shared");
    private static final VarHandle REGION_ID = handle("regionId");
    private static final VarHandle SEGMENT_ID = handle("segmentId");
    private static final VarHandle MANAGED = handle("managed");

    private MetaHeaderLayout() {
    }

    private static StructLayout layout(final boolean unaligned) {
        final ValueLayout.OfLong u64 = (unaligned ? ValueLayout.JAVA_LONG_UNALIGNED : ValueLayout.JAVA_LONG)
                .withOrder(ByteOrder.LITTLE_ENDIAN);
        final ValueLayout.OfShort u16 = (unaligned ? ValueLayout.JAVA_SHORT_UNALIGNED : ValueLayout.JAVA_SHORT)
                .withOrder(ByteOrder.LITTLE_ENDIAN);
        final StructLayout struct = MemoryLayout.structLayout(
                u64.withName("size"),
                u64.withName("hint"),
                u64.withName("handle"),
                u64.withName("shared"),
                u16.withName("regionId"),
                u16.withName("segmentId"),
                ValueLayout.JAVA_BYTE.withName("managed"),
                MemoryLayout.paddingLayout(3));
        return unaligned ? struct.withByteAlignment(1) : struct;
    }

    private static long offset(final String field) {
        return LAYOUT.byteOffset(groupElement(field));
    }

    private static VarHandle handle(final String field) {
        return UNALIGNED.varHandle(groupElement(field));
    }

    /**
     * Writes a header at {@code offset}; the padding is written as zeros.
     *
     * @param header the header
     * @param target where to write, at least {@code offset + 40} bytes
     * @param offset the byte offset in {@code target}
     */
    public static void write(final MetaHeader header, final MemorySegment target, final long offset) {
        SIZE.set(target, offset, header.size());
        HINT.set(target, offset, header.hint());
        HANDLE.set(target, offset, header.handle());
        SHARED.set(target, offset, header.shared());
        REGION_ID.set(target, offset, (short) header.regionId());
        SEGMENT_ID.set(target, offset, (short) header.segmentId());
        MANAGED.set(target, offset, (byte) (header.managed() ? 1 : 0));
        // The 3 padding bytes (37-39, pinned by MetaHeaderLayoutTest) by two stores, not a slice to fill.
        target.set(ValueLayout.JAVA_BYTE, offset + MANAGED_OFFSET + 1, (byte) 0);
        target.set(ValueLayout.JAVA_SHORT_UNALIGNED, offset + MANAGED_OFFSET + 2, (short) 0);
    }

    /**
     * Reads a header at {@code offset}. The padding is ignored (FairMQ leaves it undefined).
     *
     * @param source where to read, at least {@code offset + 40} bytes
     * @param offset the byte offset in {@code source}
     * @return the header
     * @throws IllegalArgumentException when the bytes are not a valid header: {@code managed} not 0 or 1, or a
     *                                  size above {@link Long#MAX_VALUE}
     * @throws IndexOutOfBoundsException when fewer than 40 bytes follow {@code offset}
     */
    public static MetaHeader read(final MemorySegment source, final long offset) {
        final long size = (long) SIZE.get(source, offset);
        final byte managed = (byte) MANAGED.get(source, offset);
        if (managed != 0 && managed != 1) {
            throw new IllegalArgumentException("corrupt MetaHeader at offset " + offset + ": managed=" + managed
                    + ", expected 0 or 1");
        }
        if (size < 0) {
            throw new IllegalArgumentException("corrupt MetaHeader at offset " + offset + ": size="
                    + Long.toUnsignedString(size) + " exceeds " + Long.MAX_VALUE);
        }
        return new MetaHeader(size, (long) HINT.get(source, offset), (long) HANDLE.get(source, offset),
                (long) SHARED.get(source, offset), Short.toUnsignedInt((short) REGION_ID.get(source, offset)),
                Short.toUnsignedInt((short) SEGMENT_ID.get(source, offset)), managed == 1);
    }
}
