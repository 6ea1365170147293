package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.shmem.internal.segment.HeapWalk;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stripes' spare blocks ({@code OpenMessages.park}): a small block that a message allocated and freed without its
 * handle ever leaving it stays live and recorded for the next allocation of its class; a block whose header was made,
 * that was copied or received, is freed as before. The spare is counted in the factory's free memory, released at
 * close, and reclaimed from a killed process.
 */
class SpareBlockTest {
    private static final long RECLAIM_BOUND_NANOS = 5_000_000_000L;

    @RegisterExtension
    final ShmSession shm = new ShmSession();

    @Test
    void shouldKeepAFreedSmallBlockForTheNextAllocation() {
        final ShmemFactory a = shm.factory("a");
        final long start = a.freeMemory();
        final int recorded = a.mappings().recordedReferences();
        final Message first = a.createMessage(64);
        first.data().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 42);
        first.close();
        assertEquals(1, a.mappings().spareBlocks());
        assertEquals(recorded + 1, a.mappings().recordedReferences(), "the spare keeps its ledger entry");
        assertEquals(start, a.freeMemory(), "the spare counts as this factory's free memory, as its cache does");
        final List<String> live = HeapWalk.live(a.mappings().ownSegment());
        try (Message second = a.createMessage(80)) { // the same class: 48 header bytes + 80 in a 128-byte block
            assertEquals(0, a.mappings().spareBlocks());
            assertEquals(live, HeapWalk.live(a.mappings().ownSegment()), "the spare became the message's block");
            assertEquals(80, second.size());
            assertEquals(recorded + 1, a.mappings().recordedReferences());
            // The block's header goes out now: its free is the usual one, and that header is stale afterwards.
            final MetaHeader meta = ((SharedMemoryMessage) second).meta();
            assertEquals(80, meta.size());
            assertEquals(second.data().address(), a.resolve(meta).address());
        }
        assertEquals(0, a.mappings().spareBlocks());
        assertEquals(recorded, a.mappings().recordedReferences());
        assertEquals(start, a.freeMemory());
    }

    @Test
    void shouldFreeABlockWhoseHeaderWasMade() {
        final ShmemFactory a = shm.factory("a");
        final Message first = a.createMessage(64);
        final MetaHeader meta = ((SharedMemoryMessage) first).meta();
        first.close();
        assertEquals(0, a.mappings().spareBlocks(), "a header of the block may be out");
        try (Message second = a.createMessage(64)) {
            final MetaHeader next = ((SharedMemoryMessage) second).meta();
            assertNotEquals(meta, next, "the block was allocated anew (another block or another generation)");
            assertThrows(SharedMemoryException.class, () -> a.resolve(meta), "the old header is stale");
        }
    }

    @Test
    void shouldFreeACopiedOrALargeBlock() {
        final ShmemFactory a = shm.factory("a");
        final Message original = a.createMessage(64);
        final Message copy = original.copy();
        original.close();
        copy.close();
        assertEquals(0, a.mappings().spareBlocks(), "a copied block is freed by its last holder as before");
        a.createMessage(100_000).close();
        assertEquals(0, a.mappings().spareBlocks(), "only small blocks are kept");
    }

    @Test
    void shouldFreeAReceivedBlockAndKeepAnInlineSendersBlock() {
        final ShmemFactory a = shm.factory("a");
        final ShmemFactory b = shm.factory("b");
        try (Socket push = a.createSocket(SocketType.PUSH, "push");
             Socket pull = b.createSocket(SocketType.PULL, "pull");
             Message into = b.createMessage()) {
            pull.bind("ipc://spare-" + shm.name());
            push.connect("ipc://spare-" + shm.name());
            // 1,000 bytes go by hand-over: the receiver's block came from a header, its free is the usual one.
            try (Message large = a.createMessage(1000)) {
                assertEquals(1000, push.send(large, 5000));
            }
            assertEquals(0, a.mappings().spareBlocks(), "a block handed over left the sender");
            assertEquals(1000, pull.receive(into, 5000));
            into.rebuild();
            assertEquals(0, b.mappings().spareBlocks(), "a received block is freed");
            // 64 bytes travel inline: the sender's block stays its own, and becomes the spare after the send.
            for (int i = 0; i < 3; i++) {
                try (Message small = a.createMessage(64)) {
                    small.data().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, i);
                    assertEquals(64, push.send(small, 5000));
                }
                assertEquals(1, a.mappings().spareBlocks());
                assertEquals(64, pull.receive(into, 5000));
                assertEquals(i, into.data().get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
            }
        }
    }

    @Test
    void shouldGiveTheSpareBackWhenTheFactoryCloses() {
        final ShmemFactory a = shm.factory("a");
        final long start = a.freeMemory();
        final ShmemFactory b = shm.factory("b");
        b.createMessage(64).close();
        assertEquals(1, b.mappings().spareBlocks());
        assertTrue(a.freeMemory() < start, "another factory's spare is not free to this one");
        b.close();
        assertEquals(start, a.freeMemory(), "the closed factory gave its spare back");
    }

    @Test
    void shouldReleaseTheMessagesHoldingLentSparesWhenTheFactoryCloses() {
        final ShmemFactory a = shm.factory("a");
        final long start = a.freeMemory();
        final ShmemFactory b = shm.factory("b");
        b.createMessage(64).close();
        final Message lent = b.createMessage(64); // takes the spare: lent, unlisted
        assertEquals(0, b.mappings().spareBlocks());
        assertEquals(1, b.mappings().lentBlocks());
        final Message listed = b.createMessage(64); // from the cache: the stripe has a block lent out already
        lent.close();
        assertEquals(1, b.mappings().spareBlocks(), "a lent block freed becomes the spare again");
        assertEquals(0, b.mappings().lentBlocks());
        final Message again = b.createMessage(64);
        assertEquals(1, b.mappings().lentBlocks());
        final Message copy = again.copy();
        assertEquals(0, b.mappings().lentBlocks(), "a copy lists the lent message");
        b.createMessage(64).close(); // from the cache, freed into the spare
        final Message lentAtClose = b.createMessage(64);
        lentAtClose.data().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 7);
        assertEquals(1, b.mappings().lentBlocks());
        assertTrue(a.freeMemory() < start);
        b.close();
        assertEquals(start, a.freeMemory(), "the closed factory released its open messages, the lent one too");
        for (final Message message : List.of(listed, again, copy, lentAtClose)) {
            final TransportClosedException e = assertThrows(TransportClosedException.class, message::size);
            assertTrue(e.getMessage().contains("released when its factory closed"), e.getMessage());
            message.close(); // nothing left to release
        }
        assertEquals(start, a.freeMemory());
    }

    @Test
    void shouldReclaimABlockLentToAMessageOfAKilledProcess() throws Exception {
        final ShmemFactory parent = shm.factory("parent");
        final long start = parent.freeMemory();
        try (ChildJvm child = new ChildJvm(shm.name(), ShmSession.SEGMENT_SIZE)) {
            assertEquals("0", child.call("lend 64", "SPARES", 30), "the open message took the spare");
            child.process().destroyForcibly();
            assertTrue(child.process().waitFor(10, TimeUnit.SECONDS));
            assertEquals(start, ShmSession.awaitFreeMemory(parent, start, RECLAIM_BOUND_NANOS),
                    "the survivor released the block the dead child's open message held");
        }
    }

    @Test
    void shouldReclaimTheSpareOfAKilledProcess() throws Exception {
        final ShmemFactory parent = shm.factory("parent");
        final long start = parent.freeMemory();
        try (ChildJvm child = new ChildJvm(shm.name(), ShmSession.SEGMENT_SIZE)) {
            assertEquals("1", child.call("spare 64", "SPARES", 30));
            child.process().destroyForcibly();
            assertTrue(child.process().waitFor(10, TimeUnit.SECONDS));
            assertEquals(start, ShmSession.awaitFreeMemory(parent, start, RECLAIM_BOUND_NANOS),
                    "the survivor released the dead child's spare and caches");
        }
    }
}
