package io.shmq.transport.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class MetaHeaderLayoutTest {
    @Test
    void shouldPinEveryOffsetToFairMqsLayout() {
        assertEquals(40, MetaHeaderLayout.BYTES);
        assertEquals(MetaHeader.BYTES, MetaHeaderLayout.BYTES);
        assertEquals(0, MetaHeaderLayout.SIZE_OFFSET);
        assertEquals(8, MetaHeaderLayout.HINT_OFFSET);
        assertEquals(16, MetaHeaderLayout.HANDLE_OFFSET);
        assertEquals(24, MetaHeaderLayout.SHARED_OFFSET);
        assertEquals(32, MetaHeaderLayout.REGION_ID_OFFSET);
        assertEquals(34, MetaHeaderLayout.SEGMENT_ID_OFFSET);
        assertEquals(36, MetaHeaderLayout.MANAGED_OFFSET);
        assertEquals(8, MetaHeaderLayout.LAYOUT.byteAlignment());
        assertEquals(1, MetaHeaderLayout.UNALIGNED.byteAlignment());
        assertEquals(40, MetaHeaderLayout.UNALIGNED.byteSize());
    }

    @Test
    void shouldWriteLittleEndianBytesExactlyAsFairMq() {
        final MetaHeader header = new MetaHeader(0x0102030405060708L, 0x1112131415161718L, 0x2122232425262728L,
                -1L, 0xA1A2, 0xB1B2, true);
        final String expected = "0807060504030201" // size
                + "1817161514131211" // hint
                + "2827262524232221" // handle
                + "ffffffffffffffff" // shared = -1
                + "a2a1" // regionId
                + "b2b1" // segmentId
                + "01" // managed
                + "000000"; // padding
        assertEquals(expected, HexFormat.of().formatHex(header.toBytes()));
    }

    @Test
    void shouldRoundTripThroughBytesAndSharedMemoryAtAnyOffset() {
        final MetaHeader header = new MetaHeader(2, 77, 4096, MetaHeader.NOT_SHARED, 1024, 65535, false);
        assertEquals(header, MetaHeader.fromBytes(header.toBytes()));
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment segment = arena.allocate(128, 8);
            MetaHeaderLayout.write(header, segment, 8);
            assertEquals(header, MetaHeaderLayout.read(segment, 8));
            MetaHeaderLayout.write(header, segment, 3); // unaligned: frames inside socket buffers
            assertEquals(header, MetaHeaderLayout.read(segment, 3));
        }
    }

    @Test
    void shouldZeroThePaddingOnWrite() {
        final byte[] bytes = new byte[40];
        java.util.Arrays.fill(bytes, (byte) 0x5A);
        MetaHeaderLayout.write(MetaHeader.managed(1, 2, 3), MemorySegment.ofArray(bytes), 0);
        assertArrayEquals(new byte[3], java.util.Arrays.copyOfRange(bytes, 37, 40));
    }

    @Test
    void shouldIgnoreGarbageInThePaddingOnRead() {
        final byte[] bytes = MetaHeader.managed(5, 64, 1).toBytes();
        bytes[37] = 9;
        bytes[39] = 7;
        assertEquals(MetaHeader.managed(5, 64, 1), MetaHeader.fromBytes(bytes));
    }

    @Test
    void shouldRejectCorruptManagedFlag() {
        final byte[] bytes = MetaHeader.managed(5, 64, 1).toBytes();
        bytes[36] = 2;
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MetaHeader.fromBytes(bytes));
        assertTrue(e.getMessage().contains("managed=2"), e.getMessage());
    }

    @Test
    void shouldRejectSizeAboveLongMax() {
        final byte[] bytes = MetaHeader.managed(5, 64, 1).toBytes();
        bytes[7] = (byte) 0x80;
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MetaHeader.fromBytes(bytes));
        assertTrue(e.getMessage().contains("size="), e.getMessage());
    }

    @Test
    void shouldRejectWrongLengthAndShortSegments() {
        assertThrows(IllegalArgumentException.class, () -> MetaHeader.fromBytes(new byte[39]));
        assertThrows(IllegalArgumentException.class, () -> MetaHeader.fromBytes(new byte[41]));
        assertThrows(IndexOutOfBoundsException.class,
                () -> MetaHeaderLayout.read(MemorySegment.ofArray(new byte[50]), 11));
    }

    @Test
    void shouldValidateFieldRanges() {
        assertThrows(IllegalArgumentException.class, () -> new MetaHeader(-1, 0, 0, -1, 0, 0, true));
        assertThrows(IllegalArgumentException.class, () -> new MetaHeader(1, 0, 0, -1, 65536, 0, true));
        assertThrows(IllegalArgumentException.class, () -> new MetaHeader(1, 0, 0, -1, 0, -1, true));
    }
}
