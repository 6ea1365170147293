package io.shmq.transport.api;

/**
 * A block of an unmanaged region whose last message was released, reported to the region's creator.
 *
 * @param offset the block's byte offset in the region (the offset the message was created with)
 * @param size   the block's size in bytes (after any {@link Message#setUsedSize} shrink: FairMQ reports the used
 *               size)
 * @param hint   the hint the message was created with
 */
public record RegionBlock(long offset, long size, long hint) {
    /** Validates the block. */
    public RegionBlock {
        if (offset < 0 || size < 0) {
            throw new IllegalArgumentException("offset and size must not be negative: offset=" + offset + ", size="
                    + size);
        }
    }
}
