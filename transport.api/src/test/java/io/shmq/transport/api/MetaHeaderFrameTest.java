package io.shmq.transport.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class MetaHeaderFrameTest {
    private static final MetaHeader A = MetaHeader.managed(2, 128, 0);
    private static final MetaHeader B = MetaHeader.region(4096, 8192, 1024, 42);

    @Test
    void shouldEncodeBareSingleFrameAsFortyBytes() {
        final byte[] frame = MetaHeaderFrame.encode(A, 0);
        assertEquals(40, frame.length);
        assertEquals(A, MetaHeaderFrame.decode(MemorySegment.ofArray(frame), 0));
    }

    @Test
    void shouldPadExpandedFramesWithZeros() {
        final byte[] frame = MetaHeaderFrame.encode(A, 2048);
        assertEquals(2048, frame.length);
        assertTrue(IntStream.range(40, 2048).allMatch(i -> frame[i] == 0));
        assertEquals(A, MetaHeaderFrame.decode(MemorySegment.ofArray(frame), 2048));
    }

    @Test
    void shouldRejectSingleFrameOfWrongLength() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MetaHeaderFrame.decode(MemorySegment.ofArray(new byte[39]), 0));
        assertTrue(e.getMessage().contains("length=39, expected=40"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> MetaHeaderFrame.decode(MemorySegment.ofArray(MetaHeaderFrame.encode(A, 0)), 2048));
    }

    @Test
    void shouldEncodeMultipartAsCountThenHeaders() {
        final byte[] frame = MetaHeaderFrame.encodeMultipart(List.of(A, B), 0);
        assertEquals(8 + 2 * 40, frame.length);
        assertEquals(2L, ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
        assertEquals(A, MetaHeader.fromBytes(java.util.Arrays.copyOfRange(frame, 8, 48)));
        assertEquals(B, MetaHeader.fromBytes(java.util.Arrays.copyOfRange(frame, 48, 88)));
        assertEquals(List.of(A, B), MetaHeaderFrame.decodeMultipart(MemorySegment.ofArray(frame), 0));
    }

    @Test
    void shouldRoundTripPaddedMultipartAndGrowPastTheFrameSize() {
        final byte[] padded = MetaHeaderFrame.encodeMultipart(List.of(A, B), 2048);
        assertEquals(2048, padded.length);
        assertEquals(List.of(A, B), MetaHeaderFrame.decodeMultipart(MemorySegment.ofArray(padded), 2048));

        final List<MetaHeader> many = IntStream.range(0, 60).mapToObj(i -> MetaHeader.managed(i, i * 64L, 1))
                .toList();
        final byte[] large = MetaHeaderFrame.encodeMultipart(many, 2048);
        assertEquals(8 + 60 * 40, large.length);
        assertEquals(many, MetaHeaderFrame.decodeMultipart(MemorySegment.ofArray(large), 2048));
    }

    @Test
    void shouldRejectTruncatedMultipartFrame() {
        final byte[] frame = MetaHeaderFrame.encodeMultipart(List.of(A, B), 0);
        final byte[] truncated = java.util.Arrays.copyOf(frame, frame.length - 1);
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MetaHeaderFrame.decodeMultipart(MemorySegment.ofArray(truncated), 0));
        assertTrue(e.getMessage().contains("count=2"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> MetaHeaderFrame.decodeMultipart(MemorySegment.ofArray(new byte[7]), 0));
    }

    @Test
    void shouldRejectImpossibleCountsAndTrailingBytes() {
        final byte[] frame = MetaHeaderFrame.encodeMultipart(List.of(A), 0);
        ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MetaHeaderFrame.decodeMultipart(MemorySegment.ofArray(frame), 0));
        assertTrue(e.getMessage().contains("count=18446744073709551615"), e.getMessage());

        final byte[] longer = java.util.Arrays.copyOf(MetaHeaderFrame.encodeMultipart(List.of(A), 0), 100);
        assertThrows(IllegalArgumentException.class,
                () -> MetaHeaderFrame.decodeMultipart(MemorySegment.ofArray(longer), 0));
    }

    @Test
    void shouldRejectCorruptHeaderInsideMultipart() {
        final byte[] frame = MetaHeaderFrame.encodeMultipart(List.of(A, B), 0);
        frame[8 + 40 + 36] = 7;
        assertThrows(IllegalArgumentException.class,
                () -> MetaHeaderFrame.decodeMultipart(MemorySegment.ofArray(frame), 0));
    }

    @Test
    void shouldEncodeEmptyMultipart() {
        final byte[] frame = MetaHeaderFrame.encodeMultipart(List.of(), 0);
        assertEquals(8, frame.length);
        assertEquals(List.of(), MetaHeaderFrame.decodeMultipart(MemorySegment.ofArray(frame), 0));
    }
}
