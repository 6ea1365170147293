package io.shmq.transport.testkit;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.MemorySegment;
import java.util.zip.CRC32C;

/**
 * A message stream known to both ends of a test (two JVMs, two providers): message {@code seq} has a size derived
 * from {@code seq} alone and carries its sequence number and a checksum of its body.
 *
 * <p>Sizes: one message in {@value #LARGE_EVERY} is large, uniform in [1 MiB, 16 MiB] (every
 * {@value #MAX_EVERY}th message exactly 16 MiB); the others are small, uniform in [16, 4096] bytes.
 *
 * <p>Layout: {@code seq} (8 bytes) | CRC32C of the body (8 bytes) | body (the rest), native byte order.
 *
 * <p>Used by the zeromq providers' two-JVM tests and their interop test ({@link #smallSize(long)}: small messages
 * only); it lives here so that they share one copy.
 */
public final class StreamSpec {
    /** One message in this many is large. */
    public static final int LARGE_EVERY = 1000;
    /** One message in this many is exactly {@link #MAX_SIZE}. */
    public static final int MAX_EVERY = 50_000;
    /** The largest message: 16 MiB. */
    public static final int MAX_SIZE = 16 << 20;
    /** The header: sequence number and checksum. */
    public static final int HEADER = 16;

    private StreamSpec() {
    }

    /** @return a well-mixed 64-bit value of {@code seq} (SplitMix64's finaliser) */
    public static long mix(final long seq) {
        long z = seq + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** @return the size of message {@code seq} */
    public static int size(final long seq) {
        final long m = mix(seq);
        if (seq % MAX_EVERY == MAX_EVERY - 1) {
            return MAX_SIZE;
        }
        if (Long.remainderUnsigned(m, LARGE_EVERY) == 0) {
            return (1 << 20) + (int) Long.remainderUnsigned(m >>> 10, MAX_SIZE - (1 << 20) + 1);
        }
        return HEADER + (int) Long.remainderUnsigned(m >>> 10, 4096 - HEADER + 1);
    }

    /** @return the size of message {@code seq} of a stream of small messages only, in [16, 4096] */
    public static int smallSize(final long seq) {
        return HEADER + (int) Long.remainderUnsigned(mix(seq) >>> 10, 4096 - HEADER + 1);
    }

    /** Fills message {@code seq}: header, then a body that differs from message to message. */
    public static void fill(final MemorySegment data, final long seq) {
        final long size = data.byteSize();
        final MemorySegment body = data.asSlice(HEADER);
        body.fill((byte) seq);
        // A word every 512 bytes that depends on seq and offset: enough for the checksum to catch a mix-up.
        for (long offset = 0; offset + 8 <= body.byteSize(); offset += 512) {
            body.set(JAVA_LONG_UNALIGNED, offset, mix(seq ^ offset));
        }
        data.set(JAVA_LONG_UNALIGNED, 0, seq);
        data.set(JAVA_LONG_UNALIGNED, 8, checksum(body));
        assert size == data.byteSize();
    }

    /** @return the CRC32C of {@code body} */
    public static long checksum(final MemorySegment body) {
        final CRC32C crc = new CRC32C();
        if (body.byteSize() > 0) {
            crc.update(body.asByteBuffer());
        }
        return crc.getValue();
    }

    /**
     * @return null when message {@code seq} is intact, else what is wrong with it
     */
    public static String check(final MemorySegment data, final long seq) {
        return check(data, seq, size(seq));
    }

    /**
     * @return null when message {@code seq} is intact and {@code expectedSize} long, else what is wrong with it
     */
    public static String check(final MemorySegment data, final long seq, final long expectedSize) {
        if (data.byteSize() != expectedSize) {
            return "size: seq=" + seq + ", expected=" + expectedSize + ", actual=" + data.byteSize();
        }
        final long actualSeq = data.get(JAVA_LONG_UNALIGNED, 0);
        if (actualSeq != seq) {
            return "sequence: expected=" + seq + ", actual=" + actualSeq;
        }
        final long expectedSum = data.get(JAVA_LONG_UNALIGNED, 8);
        final long actualSum = checksum(data.asSlice(HEADER));
        if (expectedSum != actualSum) {
            return "checksum: seq=" + seq + ", expected=" + expectedSum + ", actual=" + actualSum;
        }
        return null;
    }
}
