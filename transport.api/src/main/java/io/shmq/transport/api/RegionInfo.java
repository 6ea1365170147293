package io.shmq.transport.api;

import java.util.Objects;

/**
 * What the session knows of one region (FairMQ's {@code RegionInfo}).
 *
 * @param managed true for a managed segment, false for an unmanaged region
 * @param id      the segment or region id
 * @param size    its size in bytes
 * @param flags   the user flags given at creation ({@link RegionConfig#userFlags()})
 * @param event   what happened to it
 */
public record RegionInfo(boolean managed, int id, long size, long flags, RegionEvent event) {
    /** Validates the record. */
    public RegionInfo {
        Objects.requireNonNull(event, "event");
        if (id < 0 || id > MetaHeader.MAX_ID) {
            throw new IllegalArgumentException("id must be a u16: id=" + id);
        }
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative: size=" + size);
        }
    }
}
