package io.shmq.sidechannel.internal;

import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.SharedMemoryException;
import java.util.Locale;

/**
 * Why a row of a table could not be used, and the consumer's counter of it. The resolver's
 * {@link SharedMemoryException} carries no reason code, so the reason is read from the header and the message text
 * of {@code transport.shmem}'s resolver (which the README documents); an unrecognised text is {@link #OTHER}.
 */
enum BadRow {
    /** A managed header whose segment id the session does not know. */
    UNKNOWN_SEGMENT,
    /** A region header whose region does not exist (yet, or any more). */
    UNKNOWN_REGION,
    /** A handle or size outside the segment or region. */
    OUT_OF_RANGE,
    /** A managed header whose block is not live: freed, or never allocated there. */
    STALE,
    /** A row that is no valid MetaHeader (e.g. a size above 2^63 - 1). */
    BAD_HEADER,
    /** The payload resolved, but its CRC-32C is not the checksum column's. */
    BAD_CHECKSUM,
    /** Any other resolver failure. */
    OTHER;

    /** @return the counter name, e.g. {@code unknown-region} */
    String counter() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * @param meta the header that failed
     * @param e    the resolver's exception
     * @return the reason
     */
    static BadRow of(final MetaHeader meta, final SharedMemoryException e) {
        final String m = String.valueOf(e.getMessage());
        if (meta.managed()) {
            if (m.contains("segmentId=" + meta.segmentId() + " unknown")) {
                return UNKNOWN_SEGMENT;
            }
            if (m.contains("not a live block")) {
                return STALE;
            }
        } else if (m.contains("regionId=" + meta.regionId() + " unknown")) {
            return UNKNOWN_REGION;
        }
        return m.contains("outside") ? OUT_OF_RANGE : OTHER;
    }
}
