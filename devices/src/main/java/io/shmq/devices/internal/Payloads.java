package io.shmq.devices.internal;

import io.shmq.transport.api.Message;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The example devices' payload: the sequence number in the first and in the last 8 bytes (native byte order), so
 * that the sink checks each message without reading all of it. A multipart message has a 16-byte header part first
 * (sequence number, payload size), then the payload.
 */
final class Payloads {
    /** Size of the multipart header part. */
    static final long HEADER_BYTES = 16;
    /** The sequence number of a payload too small to carry one. */
    static final long NO_SEQUENCE = -1;

    private Payloads() {
    }

    static void writeSequence(final Message message, final long sequence) {
        final MemorySegment data = message.data();
        final long size = message.size();
        if (size >= Long.BYTES) {
            data.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, sequence);
        }
        if (size >= 2 * Long.BYTES) {
            data.set(ValueLayout.JAVA_LONG_UNALIGNED, size - Long.BYTES, sequence);
        }
    }

    /** @return the sequence number, {@link #NO_SEQUENCE} when too small, or -2 when first and last 8 bytes differ */
    static long readSequence(final Message message) {
        final long size = message.size();
        if (size < Long.BYTES) {
            return NO_SEQUENCE;
        }
        final MemorySegment data = message.data();
        final long first = data.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        if (size >= 2 * Long.BYTES && data.get(ValueLayout.JAVA_LONG_UNALIGNED, size - Long.BYTES) != first) {
            return -2;
        }
        return first;
    }

    static void writeHeader(final Message header, final long sequence, final long payloadSize) {
        header.data().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, sequence);
        header.data().set(ValueLayout.JAVA_LONG_UNALIGNED, Long.BYTES, payloadSize);
    }

    static long headerSequence(final Message header) {
        return header.size() == HEADER_BYTES ? header.data().get(ValueLayout.JAVA_LONG_UNALIGNED, 0) : -2;
    }

    static long headerSize(final Message header) {
        return header.size() == HEADER_BYTES ? header.data().get(ValueLayout.JAVA_LONG_UNALIGNED, Long.BYTES) : -2;
    }
}
