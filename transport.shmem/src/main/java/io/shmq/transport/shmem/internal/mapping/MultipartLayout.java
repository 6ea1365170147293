package io.shmq.transport.shmem.internal.mapping;

import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.MetaHeaderLayout;
import io.shmq.transport.api.SharedMemoryException;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * The descriptor of a multipart unit: a managed block whose header travels as one ring record (count 0) and holds
 * the headers of all the parts, so that a unit is delivered whole or not at all. Native byte order for the count;
 * the parts are {@link MetaHeaderLayout} (little-endian, FairMQ's bytes).
 *
 * <pre>
 *  0        | count u64 (parts, at least 1)                 |
 *  8        | parts[count] { MetaHeaderLayout, 40 B each }  |
 * </pre>
 */
public final class MultipartLayout {
    public static final StructLayout HEADER = MemoryLayout.structLayout(ValueLayout.JAVA_LONG.withName("count"));
    public static final long PARTS_OFFSET = HEADER.byteSize();
    public static final long PART_BYTES = MetaHeaderLayout.LAYOUT.byteSize();
    private static final VarHandle COUNT_H = HEADER.varHandle(groupElement("count"));

    private MultipartLayout() {
    }

    /** @return the bytes of a descriptor of {@code parts} parts */
    public static long bytes(final int parts) {
        return PARTS_OFFSET + parts * PART_BYTES;
    }

    /** Writes {@code parts} into {@code data} (of at least {@link #bytes} bytes). */
    public static void write(final MemorySegment data, final List<MetaHeader> parts) {
        COUNT_H.set(data, 0L, (long) parts.size());
        for (int i = 0; i < parts.size(); i++) {
            MetaHeaderLayout.write(parts.get(i), data, PARTS_OFFSET + i * PART_BYTES);
        }
    }

    /**
     * Reads the parts of a descriptor written by another process: the count is checked against the block first.
     *
     * @throws SharedMemoryException when the count does not fit the block or a part is not a valid header
     */
    public static List<MetaHeader> read(final MemorySegment data) {
        final long count = data.byteSize() < PARTS_OFFSET ? -1 : (long) COUNT_H.get(data, 0L);
        if (count < 1 || count > (data.byteSize() - PARTS_OFFSET) / PART_BYTES) {
            throw new SharedMemoryException("corrupt multipart descriptor: count=" + count + ", size="
                    + data.byteSize());
        }
        final List<MetaHeader> parts = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            try {
                parts.add(MetaHeaderLayout.read(data, PARTS_OFFSET + i * PART_BYTES));
            } catch (IllegalArgumentException e) {
                throw new SharedMemoryException("corrupt multipart descriptor: part=" + i + " of count=" + count
                        + ": " + e.getMessage(), e);
            }
        }
        return parts;
    }
}
