package io.shmq.transport.api;

import java.lang.foreign.MemorySegment;

/**
 * The metadata of a shared-memory message: what the shared-memory transport sends instead of the payload, and what
 * a side-channel consumer resolves with {@link DataAddressResolver}. Field for field FairMQ's {@code MetaHeader};
 * its 40-byte binary form is {@link MetaHeaderLayout}, multipart frames are {@link MetaHeaderFrame}.
 *
 * @param size      the payload size in bytes (FairMQ's u64; never negative here)
 * @param hint      an opaque value the sender attached (FairMQ's region hint), returned in region acknowledgements
 * @param handle    the payload's position: for a managed message the byte offset of its block in the segment, for
 *                  a region message the byte offset of the payload in the region
 * @param shared    the handle of a shared buffer when messages share one, {@value #NOT_SHARED} otherwise
 * @param regionId  the unmanaged region id (u16), meaningful when {@code managed} is false
 * @param segmentId the managed segment id (u16), meaningful when {@code managed} is true
 * @param managed   true for a message in a managed segment, false for one in an unmanaged region
 */
public record MetaHeader(long size, long hint, long handle, long shared, int regionId, int segmentId,
                         boolean managed) {
    /** Size of the binary form in bytes. */
    public static final int BYTES = 40;
    /** The value of {@code shared} for a message that shares no buffer. */
    public static final long NOT_SHARED = -1L;
    /** The largest region or segment id (u16). */
    public static final int MAX_ID = 0xFFFF;

    /** Validates the ranges of the fields. */
    public MetaHeader {
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative: size=" + size);
        }
        if (regionId < 0 || regionId > MAX_ID) {
            throw new IllegalArgumentException("regionId must be a u16: regionId=" + regionId);
        }
        if (segmentId < 0 || segmentId > MAX_ID) {
            throw new IllegalArgumentException("segmentId must be a u16: segmentId=" + segmentId);
        }
    }

    /**
     * @param size      payload size
     * @param handle    block offset in the segment
     * @param segmentId the segment id
     * @return the header of a managed message that shares no buffer, hint 0
     */
    public static MetaHeader managed(final long size, final long handle, final int segmentId) {
        return new MetaHeader(size, 0, handle, NOT_SHARED, 0, segmentId, true);
    }

    /**
     * @param size     payload size
     * @param offset   payload offset in the region
     * @param regionId the region id
     * @param hint     the sender's hint
     * @return the header of a message in an unmanaged region
     */
    public static MetaHeader region(final long size, final long offset, final int regionId, final long hint) {
        return new MetaHeader(size, hint, offset, NOT_SHARED, regionId, 0, false);
    }

    /** @return the 40-byte little-endian binary form */
    public byte[] toBytes() {
        final byte[] bytes = new byte[BYTES];
        MetaHeaderLayout.write(this, MemorySegment.ofArray(bytes), 0);
        return bytes;
    }

    /**
     * @param bytes exactly 40 bytes in {@link MetaHeaderLayout}
     * @return the header
     * @throws IllegalArgumentException when the length is not 40 or the bytes are not a valid header
     */
    public static MetaHeader fromBytes(final byte[] bytes) {
        if (bytes.length != BYTES) {
            throw new IllegalArgumentException("MetaHeader needs exactly " + BYTES + " bytes: length=" + bytes.length);
        }
        return MetaHeaderLayout.read(MemorySegment.ofArray(bytes), 0);
    }
}
