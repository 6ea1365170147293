package io.shmq.sidechannel.internal;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * The acknowledgement a consumer sends back on the {@code acks} channel once it has read a batch: the batch id (8
 * bytes, little-endian) followed by the consumer's id in UTF-8, so that the cache counts each consumer once.
 *
 * @param batchId  the batch
 * @param consumer the consumer's id
 */
record Acks(long batchId, String consumer) {
    private static final ValueLayout.OfLong BATCH = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(
            java.nio.ByteOrder.LITTLE_ENDIAN);

    /** @return the message bytes */
    byte[] encode() {
        final byte[] id = consumer.getBytes(StandardCharsets.UTF_8);
        final byte[] bytes = new byte[Long.BYTES + id.length];
        MemorySegment.ofArray(bytes).set(BATCH, 0, batchId);
        System.arraycopy(id, 0, bytes, Long.BYTES, id.length);
        return bytes;
    }

    /**
     * @param data a received acknowledgement
     * @return it decoded
     * @throws IllegalArgumentException when it is shorter than 8 bytes
     */
    static Acks decode(final MemorySegment data) {
        if (data.byteSize() < Long.BYTES) {
            throw new IllegalArgumentException("acknowledgement too short: bytes=" + data.byteSize() + ", min="
                    + Long.BYTES);
        }
        final byte[] id = data.asSlice(Long.BYTES).toArray(ValueLayout.JAVA_BYTE);
        return new Acks(data.get(BATCH, 0), new String(id, StandardCharsets.UTF_8));
    }
}
