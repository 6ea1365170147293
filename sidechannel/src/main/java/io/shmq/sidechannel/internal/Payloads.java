package io.shmq.sidechannel.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.zip.CRC32C;

/**
 * What the cache writes into a payload and how both sides check it: sizes and placement derived from the row key,
 * the key in the first and last 8 bytes, a fill byte in between, and a CRC-32C over all of it (the checksum column).
 */
final class Payloads {
    private static final ValueLayout.OfLong KEY = ValueLayout.JAVA_LONG_UNALIGNED;

    private Payloads() {
    }

    /** @return a well-mixed 64-bit value of {@code x} (SplitMix64's finaliser) */
    static long mix(final long x) {
        long z = x + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** @return the payload size of row {@code key}, in [min, max] */
    static long size(final long key, final long min, final long max) {
        return min + Long.remainderUnsigned(mix(key), max - min + 1);
    }

    /** @return whether row {@code key} goes into the region, for {@code percent} of the rows */
    static boolean inRegion(final long key, final int percent) {
        return Long.remainderUnsigned(mix(~key), 100) < percent;
    }

    /**
     * Fills a payload for row {@code key}.
     *
     * @param data  the payload
     * @param key   the row key
     * @param round changes the fill byte (the no-copy check writes a second round after publishing)
     */
    static void fill(final MemorySegment data, final long key, final int round) {
        final long size = data.byteSize();
        data.fill((byte) (key * 31 + round));
        if (size >= Long.BYTES) {
            data.set(KEY, 0, key);
            data.set(KEY, size - Long.BYTES, key);
        }
    }

    /** @return the CRC-32C of the payload, read in place (0 for an empty one) */
    static long checksum(final MemorySegment data) {
        if (data.byteSize() == 0) {
            return 0;
        }
        final CRC32C crc = new CRC32C();
        crc.update(data.asByteBuffer());
        return crc.getValue();
    }
}
