package io.shmq.transport.shmem.internal;

import io.shmq.transport.shmem.internal.os.FileHeaderLayout;
import io.shmq.transport.shmem.internal.ring.AckRingLayout;
import io.shmq.transport.shmem.internal.ring.RingLayout;
import io.shmq.transport.shmem.internal.ring.SocketRingLayout;
import io.shmq.transport.shmem.internal.segment.BlockLayout;
import io.shmq.transport.shmem.internal.segment.SegmentLayout;
import io.shmq.transport.shmem.internal.session.ManagementLayout;
import io.shmq.transport.shmem.internal.socket.EndpointLayout;
import io.shmq.transport.shmem.internal.mapping.MultipartLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Pins every offset of every shared structure, so that a diagram that drifts from the code fails the build. */
class LayoutTest {
    private static long at(final MemoryLayout layout, final String field) {
        return layout.byteOffset(groupElement(field));
    }

    private static long cursor(final MemoryLayout layout, final String field) {
        return layout.byteOffset(groupElement("cursors"), groupElement(field));
    }

    @Test
    void shouldPinFileHeaderLayout() {
        assertEquals(0, at(FileHeaderLayout.LAYOUT, "magic"));
        assertEquals(8, at(FileHeaderLayout.LAYOUT, "version"));
        assertEquals(12, FileHeaderLayout.BYTES);
        for (final StructLayout file : List.of(ManagementLayout.LAYOUT, SegmentLayout.LAYOUT, AckRingLayout.HEADER,
                EndpointLayout.HEADER, io.shmq.transport.shmem.internal.mapping.LedgerLayout.HEADER)) {
            assertEquals(0, at(file, "magic"), file.toString());
            assertEquals(8, at(file, "version"), file.toString());
        }
    }

    @Test
    void shouldPinRingLayout() {
        assertEquals(0, at(RingLayout.CURSORS, "tail"));
        assertEquals(128, at(RingLayout.CURSORS, "head"));
        assertEquals(256, RingLayout.CURSORS.byteSize());
        assertEquals(0, at(RingLayout.RECORD_PREFIX, "sequence"));
        assertEquals(8, at(RingLayout.RECORD_PREFIX, "claimer"));
        assertEquals(16, RingLayout.RECORD_PREFIX.byteSize());
    }

    @Test
    void shouldPinMultipartLayout() {
        assertEquals(0, at(MultipartLayout.HEADER, "count"));
        assertEquals(8, MultipartLayout.PARTS_OFFSET);
        assertEquals(40, MultipartLayout.PART_BYTES);
        assertEquals(8 + 3 * 40, MultipartLayout.bytes(3));
    }

    @Test
    void shouldPinManagementLayout() {
        final StructLayout l = ManagementLayout.LAYOUT;
        assertEquals(0, at(l, "magic"));
        assertEquals(8, at(l, "version"));
        assertEquals(12, at(l, "removed"));
        assertEquals(16, at(l, "creatorPid"));
        assertEquals(24, at(l, "segmentSize"));
        assertEquals(32, at(l, "creatorToken"));
        assertEquals(40, at(l, "nameDigest"));
        assertEquals(128, at(l, "lock"));
        assertEquals(256, at(l, "eventCounter"));
        assertEquals(264, at(l, "deviceCounter"));
        assertEquals(272, at(l, "regionIdCounter"));
        assertEquals(280, at(l, "eventBell"));
        assertEquals(284, at(l, "eventSleepers"));
        assertEquals(288, at(l, "holderCounter"));
        assertEquals(384, at(l, "devices"));
        assertEquals(2432, at(l, "segments"));
        assertEquals(2688, at(l, "regions"));
        assertEquals(80512, l.byteSize());
        assertEquals(32, ManagementLayout.DEVICE.byteSize());
        assertEquals(0, at(ManagementLayout.DEVICE, "pid"));
        assertEquals(8, at(ManagementLayout.DEVICE, "token"));
        assertEquals(16, at(ManagementLayout.DEVICE, "lastBeat"));
        assertEquals(24, at(ManagementLayout.DEVICE, "holder"));
        assertEquals(16, ManagementLayout.SEGMENT.byteSize());
        assertEquals(4, at(ManagementLayout.SEGMENT, "id"));
        assertEquals(8, at(ManagementLayout.SEGMENT, "size"));
        final StructLayout r = ManagementLayout.REGION;
        assertEquals(0, at(r, "state"));
        assertEquals(4, at(r, "id"));
        assertEquals(8, at(r, "size"));
        assertEquals(16, at(r, "userFlags"));
        assertEquals(24, at(r, "creatorPid"));
        assertEquals(32, at(r, "instance"));
        assertEquals(40, at(r, "pathLength"));
        assertEquals(48, at(r, "path"));
        assertEquals(304, r.byteSize());
        assertEquals(0x31474E4D514D4853L, ManagementLayout.MAGIC);
        assertEquals(4, ManagementLayout.VERSION, "3: holder ids of joins; 4: the event bell's armed flag");
    }

    @Test
    void shouldPinSegmentLayout() {
        final StructLayout l = SegmentLayout.LAYOUT;
        assertEquals(0, at(l, "magic"));
        assertEquals(8, at(l, "version"));
        assertEquals(12, at(l, "tag"));
        assertEquals(16, at(l, "size"));
        assertEquals(128, at(l, "lock"));
        assertEquals(256, at(l, "usedBytes"));
        assertEquals(384, at(l, "reservedEnd"));
        assertEquals(392, at(l, "binBitmap"));
        assertEquals(400, at(l, "generation"));
        assertEquals(512, at(l, "classHeads"));
        assertEquals(128, SegmentLayout.CLASS_HEAD.byteSize());
        assertEquals(1536, at(l, "bins"));
        assertEquals(2048, at(l, "freeBell"));
        assertEquals(2052, at(l, "freeSleepers"));
        assertEquals(2176, at(l, "transfer"));
        final StructLayout t = SegmentLayout.TRANSFER;
        assertEquals(0, at(t, "op"));
        assertEquals(4, at(t, "classIndex"));
        assertEquals(8, at(t, "owner"));
        assertEquals(12, at(t, "count"));
        assertEquals(16, at(t, "first"));
        assertEquals(24, at(t, "head"));
        assertEquals(32, at(t, "usedAfter"));
        assertEquals(40, t.byteSize());
        assertEquals(4096, SegmentLayout.HEAP_OFFSET);
        assertEquals(5, SegmentLayout.VERSION, "4: the blocks' holder word; 5: the free bell's armed flag");
    }

    @Test
    void shouldPinBlockCacheLayout() {
        final StructLayout c = io.shmq.transport.shmem.internal.segment.BlockCacheLayout.CACHE;
        assertEquals(0, at(c, "owner"));
        assertEquals(4, at(c, "count"));
        assertEquals(8, at(c, "capacity"));
        assertEquals(12, at(c, "segmentId"));
        assertEquals(16, at(c, "blocks"));
        assertEquals(512, c.byteSize());
        assertEquals(8 * 512, io.shmq.transport.shmem.internal.segment.BlockCacheLayout.STRIPE.byteSize());
    }

    @Test
    void shouldPinBlockLayout() {
        final StructLayout l = BlockLayout.LAYOUT;
        assertEquals(0, at(l, "sizeFlags"));
        assertEquals(8, at(l, "link"));
        assertEquals(16, at(l, "refCount"));
        assertEquals(20, at(l, "userOffset"));
        assertEquals(22, at(l, "classIndex"));
        assertEquals(24, at(l, "tag"));
        assertEquals(28, at(l, "generation"));
        assertEquals(32, at(l, "holder"));
        assertEquals(48, at(l, "freeNext"));
        assertEquals(56, at(l, "freePrev"));
        assertEquals(24, BlockLayout.TAG_GENERATION_OFFSET, "tag and generation: one aligned 8-byte load");
        assertEquals(16, BlockLayout.COUNTS_OFFSET, "refCount, userOffset, classIndex: one aligned 8-byte store");
        assertEquals(48, BlockLayout.HEADER_BYTES);
        assertEquals(80, BlockLayout.MIN_LARGE);
        assertEquals(0x7FFFFFEF, io.shmq.transport.shmem.internal.segment.Holder.MAX_DEVICE);
        assertEquals(0x7FFFFFFE, io.shmq.transport.shmem.internal.segment.Holder.RECLAIMED);
        assertEquals(0x7FFFFFFF, io.shmq.transport.shmem.internal.segment.Holder.SHARED);
        assertEquals(0x80000005, io.shmq.transport.shmem.internal.segment.Holder.inFlight(5));
        assertEquals(0x0000000700000003L, io.shmq.transport.shmem.internal.segment.Holder.word(7, 3));
    }

    @Test
    void shouldPinLedgerLayout() {
        final StructLayout h = io.shmq.transport.shmem.internal.mapping.LedgerLayout.HEADER;
        assertEquals(0, at(h, "magic"));
        assertEquals(8, at(h, "version"));
        assertEquals(12, at(h, "deviceSlot"));
        assertEquals(16, at(h, "pid"));
        assertEquals(24, at(h, "token"));
        assertEquals(32, at(h, "capacity"));
        assertEquals(64, h.byteSize());
        final StructLayout e = io.shmq.transport.shmem.internal.mapping.LedgerLayout.ENTRY;
        assertEquals(0, at(e, "state"));
        assertEquals(4, at(e, "id"));
        assertEquals(8, at(e, "handle"));
        assertEquals(16, at(e, "size"));
        assertEquals(24, at(e, "hint"));
        assertEquals(32, at(e, "shared"));
        assertEquals(40, e.byteSize());
        assertEquals(64, io.shmq.transport.shmem.internal.mapping.LedgerLayout.CACHES_OFFSET);
        assertEquals(64 + 16 * 4096, io.shmq.transport.shmem.internal.mapping.LedgerLayout.ENTRIES_OFFSET);
        assertEquals(64 + 4096, io.shmq.transport.shmem.internal.mapping.LedgerLayout.cachesOf(1));
        assertEquals(64 + 16 * 4096 + 40 * 3, io.shmq.transport.shmem.internal.mapping.LedgerLayout.bytes(3));
    }

    @Test
    void shouldPinAckRingLayout() {
        assertEquals(0, at(AckRingLayout.HEADER, "magic"));
        assertEquals(8, at(AckRingLayout.HEADER, "version"));
        assertEquals(12, at(AckRingLayout.HEADER, "capacity"));
        assertEquals(16, at(AckRingLayout.HEADER, "notEmpty"));
        assertEquals(20, at(AckRingLayout.HEADER, "sleepers"));
        assertEquals(128, cursor(AckRingLayout.HEADER, "tail"));
        assertEquals(256, cursor(AckRingLayout.HEADER, "head"));
        assertEquals(384, AckRingLayout.RECORDS_OFFSET);
        assertEquals(0, at(AckRingLayout.RECORD, "sequence"));
        assertEquals(8, at(AckRingLayout.RECORD, "claimer"));
        assertEquals(16, at(AckRingLayout.RECORD, "offset"));
        assertEquals(24, at(AckRingLayout.RECORD, "size"));
        assertEquals(32, at(AckRingLayout.RECORD, "hint"));
        assertEquals(384 + 4 * 40, AckRingLayout.bytes(4));
        assertEquals(4, AckRingLayout.VERSION, "3: the claim tag in every record; 4: the armed flag");
    }

    @Test
    void shouldPinSocketRingLayout() {
        final StructLayout h = SocketRingLayout.HEADER;
        assertEquals(0, at(h, "capacity"));
        assertEquals(4, at(h, "producers"));
        assertEquals(8, at(h, "consumers"));
        assertEquals(12, at(h, "owner"));
        assertEquals(16, at(h, "parkers"));
        assertEquals(20, at(h, "single"));
        assertEquals(128, cursor(h, "tail"));
        assertEquals(256, cursor(h, "head"));
        assertEquals(384, at(h, "notEmpty"));
        assertEquals(388, at(h, "emptyWaiters"));
        assertEquals(512, at(h, "notFull"));
        assertEquals(516, at(h, "fullWaiters"));
        assertEquals(640, at(h, "topicSeq"));
        assertEquals(644, at(h, "topicCount"));
        assertEquals(648, at(h, "topics"));
        assertEquals(56, SocketRingLayout.TOPIC.byteSize());
        assertEquals(8, at(SocketRingLayout.TOPIC, "prefix"));
        assertEquals(1664, h.byteSize());
        final StructLayout r = SocketRingLayout.RECORD;
        assertEquals(0, at(r, "sequence"));
        assertEquals(8, at(r, "claimer"));
        assertEquals(16, at(r, "kind"));
        assertEquals(20, at(r, "correlation"));
        assertEquals(24, at(r, "body"));
        assertEquals(24, r.byteOffset(groupElement("body"), groupElement("header")));
        assertEquals(24, r.byteOffset(groupElement("body"), groupElement("inline")), "the inline payload: the body");
        assertEquals(24 + 32, r.byteOffset(groupElement("body"), groupElement("header"), groupElement("regionId")));
        assertEquals(16, SocketRingLayout.KIND_CORRELATION_OFFSET, "kind and correlation: one aligned 8-byte word");
        assertEquals(24 + 32, SocketRingLayout.META_IDS_OFFSET, "the header's ids, managed, padding: one word");
        assertEquals(104, SocketRingLayout.INLINE_BYTES);
        assertEquals(128, r.byteSize(), "two cache lines");
        assertEquals(1664 + 4 * 128, SocketRingLayout.bytes(4));
    }

    @Test
    void shouldPinEndpointLayout() {
        final StructLayout l = EndpointLayout.HEADER;
        assertEquals(0, at(l, "magic"));
        assertEquals(8, at(l, "version"));
        assertEquals(12, at(l, "pattern"));
        assertEquals(16, at(l, "rings"));
        assertEquals(20, at(l, "capacity"));
        assertEquals(24, at(l, "binderPid"));
        assertEquals(32, at(l, "binderToken"));
        assertEquals(40, at(l, "closed"));
        assertEquals(44, at(l, "peers"));
        assertEquals(48, at(l, "binder"));
        assertEquals(128, l.byteSize());
        assertEquals(128 + 2 * (1664 + 8 * 128), EndpointLayout.bytes(2, 8));
        assertEquals(0x314B4F53514D4853L, EndpointLayout.MAGIC);
        assertEquals(11, EndpointLayout.VERSION, "2: topic tables; 3: req/rep peer slots; 4: the peers word; "
                + "5: request numbers and claimers in records; 6: hand-over records; 7: lap claim tags; "
                + "8: single-producer rings; 9: release publish, sleepers fence; 10: inline records of 128 B; "
                + "11: armed waiter flags");
        assertEquals(16, EndpointLayout.DEFAULT_PEERS);
        assertEquals(32, EndpointLayout.MAX_PEERS);
    }
}
