package io.shmq.transport.api;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The metadata frames the shared-memory transport sends, as FairMQ sends them:
 *
 * <pre>
 *  single message:   | MetaHeader (40 bytes) | zero padding up to frameSize |
 *  multipart:        | count (u64 LE) | count x MetaHeader (40 bytes each) | zero padding up to frameSize |
 * </pre>
 *
 * <p>{@code frameSize} is chosen by whoever carries headers out of band (a side channel), and both ends must agree
 * on it: 0 sends bare frames; a larger
 * value (FairMQ's "expanded metadata", e.g. 2048) pads every frame so that socket buffers fill sooner and
 * high-water marks apply back-pressure. Decoding checks the length exactly, so a short, truncated or corrupt frame
 * gives an {@link IllegalArgumentException} naming what was expected and what was found.
 */
public final class MetaHeaderFrame {
    /** Size of the multipart count prefix in bytes. */
    public static final int COUNT_BYTES = Long.BYTES;
    /** The largest padded frame size accepted: 1 MiB. */
    public static final int MAX_FRAME_SIZE = 1 << 20;

    private static final ValueLayout.OfLong COUNT = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private MetaHeaderFrame() {
    }

    /**
     * @param frameSize 0 (bare frames) or a padded size in [40, {@value #MAX_FRAME_SIZE}]
     * @throws IllegalArgumentException for any other value
     */
    public static void checkFrameSize(final int frameSize) {
        if (frameSize != 0 && (frameSize < MetaHeader.BYTES || frameSize > MAX_FRAME_SIZE)) {
            throw new IllegalArgumentException("frameSize must be 0 or in [" + MetaHeader.BYTES + ", " + MAX_FRAME_SIZE
                    + "]: frameSize=" + frameSize);
        }
    }

    /**
     * @param frameSize 0 or the padded frame size
     * @return the length of a single-message frame
     */
    public static int singleLength(final int frameSize) {
        checkFrameSize(frameSize);
        return Math.max(MetaHeader.BYTES, frameSize);
    }

    /**
     * @param parts     the number of parts
     * @param frameSize 0 or the padded frame size
     * @return the length of a multipart frame
     * @throws IllegalArgumentException when {@code parts} is negative or the frame would exceed 2 GiB
     */
    public static int multipartLength(final int parts, final int frameSize) {
        checkFrameSize(frameSize);
        if (parts < 0) {
            throw new IllegalArgumentException("parts must not be negative: parts=" + parts);
        }
        final long bare = COUNT_BYTES + (long) parts * MetaHeader.BYTES;
        if (bare > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("too many parts for one frame: parts=" + parts);
        }
        return (int) Math.max(bare, frameSize);
    }

    /**
     * @param header    the header
     * @param frameSize 0 or the padded frame size
     * @return the single-message frame
     */
    public static byte[] encode(final MetaHeader header, final int frameSize) {
        final byte[] frame = new byte[singleLength(frameSize)];
        MetaHeaderLayout.write(header, MemorySegment.ofArray(frame), 0);
        return frame;
    }

    /**
     * @param frame     a single-message frame
     * @param frameSize the frame size the sender used (0 for bare frames)
     * @return the header
     * @throws IllegalArgumentException when the length is wrong or the header is corrupt
     */
    public static MetaHeader decode(final MemorySegment frame, final int frameSize) {
        final int expected = singleLength(frameSize);
        if (frame.byteSize() != expected) {
            throw new IllegalArgumentException("bad metadata frame: length=" + frame.byteSize() + ", expected="
                    + expected + " (frameSize=" + frameSize + ")");
        }
        return MetaHeaderLayout.read(frame, 0);
    }

    /**
     * @param headers   the parts' headers, in order
     * @param frameSize 0 or the padded frame size
     * @return the multipart frame
     */
    public static byte[] encodeMultipart(final List<MetaHeader> headers, final int frameSize) {
        Objects.requireNonNull(headers, "headers");
        final byte[] frame = new byte[multipartLength(headers.size(), frameSize)];
        final MemorySegment target = MemorySegment.ofArray(frame);
        target.set(COUNT, 0, headers.size());
        long offset = COUNT_BYTES;
        for (final MetaHeader header : headers) {
            MetaHeaderLayout.write(Objects.requireNonNull(header, "header"), target, offset);
            offset += MetaHeader.BYTES;
        }
        return frame;
    }

    /**
     * @param frame     a multipart frame
     * @param frameSize the frame size the sender used (0 for bare frames)
     * @return the headers, in order
     * @throws IllegalArgumentException when the frame is shorter than its count says, longer than it should be,
     *                                  its count is impossible or a header is corrupt
     */
    public static List<MetaHeader> decodeMultipart(final MemorySegment frame, final int frameSize) {
        if (frame.byteSize() < COUNT_BYTES) {
            throw new IllegalArgumentException("bad multipart metadata frame: length=" + frame.byteSize()
                    + ", expected at least " + COUNT_BYTES);
        }
        final long count = frame.get(COUNT, 0);
        final long room = (frame.byteSize() - COUNT_BYTES) / MetaHeader.BYTES;
        if (count < 0 || count > room) {
            throw new IllegalArgumentException("bad multipart metadata frame: count=" + Long.toUnsignedString(count)
                    + " but length=" + frame.byteSize() + " holds at most " + room + " headers");
        }
        final int expected = multipartLength((int) count, frameSize);
        if (frame.byteSize() != expected) {
            throw new IllegalArgumentException("bad multipart metadata frame: length=" + frame.byteSize()
                    + ", expected=" + expected + " for count=" + count + " (frameSize=" + frameSize + ")");
        }
        final List<MetaHeader> headers = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            headers.add(MetaHeaderLayout.read(frame, COUNT_BYTES + (long) i * MetaHeader.BYTES));
        }
        return headers;
    }
}
