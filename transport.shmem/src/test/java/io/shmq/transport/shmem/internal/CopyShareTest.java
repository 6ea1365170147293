package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.RegionBlock;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.UnmanagedRegion;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Copies in one process share the process's one reference to a managed block: the ledger records one reference
 * however many copies there are (what a survivor releases if the process dies), the block's count does not move,
 * and whichever copy goes last, by close, send, rebuild or the factory's close, releases it exactly once.
 */
class CopyShareTest {
    @RegisterExtension
    final ShmSession shm = new ShmSession();

    @Test
    void shouldRecordOneReferenceForAMessageAndAllItsCopiesUntilTheLastCloses() {
        final ShmemFactory factory = shm.factory("a");
        final long start = factory.freeMemory();
        final int before = factory.mappings().recordedReferences();
        for (final long size : new long[] {100, 20_000, 1 << 20}) {
            final Message original = factory.createMessage(size);
            Payload.fill(original.data(), size);
            final MetaHeader meta = ((SharedMemoryMessage) original).meta();
            final List<Message> copies = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                copies.add((i % 2 == 0 ? original : copies.getLast()).copy());
            }
            assertEquals(before + 1, factory.mappings().recordedReferences(), "one reference for 6 messages");
            original.close();
            assertEquals(before + 1, factory.mappings().recordedReferences(), "the copies keep it");
            for (int i = 0; i < copies.size(); i++) {
                assertEquals(-1, Payload.check(copies.get(i).data(), size), "copy " + i);
                assertEquals(meta, ((SharedMemoryMessage) copies.get(i)).meta());
                copies.get(i).close();
                assertEquals(before + (i < copies.size() - 1 ? 1 : 0), factory.mappings().recordedReferences());
            }
            assertEquals(start, factory.freeMemory(), "size " + size);
        }
    }

    @Test
    void shouldGiveASentCopyItsOwnReferenceWhileTheProcessKeepsAnother() throws Exception {
        final ShmemFactory factory = shm.factory("a");
        final long start = factory.freeMemory();
        final int before = factory.mappings().recordedReferences();
        try (Socket push = factory.createSocket(SocketType.PUSH, "push");
             Socket pull = factory.createSocket(SocketType.PULL, "pull");
             Message received = factory.createMessage()) {
            push.bind("ipc://share-" + shm.name());
            pull.connect("ipc://share-" + shm.name());
            final Message original = factory.createMessage(3000);
            Payload.fill(original.data(), 7);
            final Message copy = original.copy();
            assertEquals(3000, push.send(copy, 5000));
            assertEquals(before + 1, factory.mappings().recordedReferences(), "the original's; the ring's consumer "
                    + "owns the sent one");
            assertEquals(3000, pull.receive(received, 5000));
            assertEquals(before + 2, factory.mappings().recordedReferences());
            assertEquals(((SharedMemoryMessage) original).meta(), ((SharedMemoryMessage) received).meta());
            original.close();
            assertEquals(-1, Payload.check(received.data(), 7));
            received.rebuild();
            assertEquals(start, factory.freeMemory());

            // The sole holder of a share (its copies closed) sends its reference as an unshared message does.
            final Message again = factory.createMessage(64);
            Payload.fill(again.data(), 8);
            again.copy().close();
            assertEquals(64, push.send(again, 5000));
            assertEquals(before, factory.mappings().recordedReferences());
            assertEquals(64, pull.receive(received, 5000));
            assertEquals(-1, Payload.check(received.data(), 8));
            received.rebuild();
            assertEquals(start, factory.freeMemory());
        }
    }

    @Test
    void shouldAcknowledgeARegionRangeOnceAfterItsLastCopyWhereverTheCopiesWent() throws Exception {
        final ShmemFactory factory = shm.factory("a");
        final long start = factory.freeMemory();
        final int before = factory.mappings().recordedReferences();
        final BlockingQueue<RegionBlock> acks = new LinkedBlockingQueue<>();
        try (UnmanagedRegion region = factory.createUnmanagedRegion(1 << 16, acks::add, RegionConfig.DEFAULT);
             Socket push = factory.createSocket(SocketType.PUSH, "push");
             Socket pull = factory.createSocket(SocketType.PULL, "pull");
             Message received = factory.createMessage()) {
            push.bind("ipc://rshare-" + shm.name());
            pull.connect("ipc://rshare-" + shm.name());
            // Copies in the process: one reference, no counter, one acknowledgement after the last close.
            final Message original = factory.createMessage(region, 128, 64, 5);
            final Message first = original.copy();
            final Message second = first.copy();
            assertEquals(before + 1, factory.mappings().recordedReferences());
            assertEquals(MetaHeader.NOT_SHARED, ((SharedMemoryMessage) second).meta().shared());
            original.close();
            first.close();
            assertNull(acks.poll(200, TimeUnit.MILLISECONDS), "a copy is still open");
            second.close();
            assertEquals(new RegionBlock(128, 64, 5), acks.poll(10, TimeUnit.SECONDS));
            assertEquals(before, factory.mappings().recordedReferences());

            // A copy sent while the original stays: the range gets a counter, each side a reference of its own.
            final Message kept = factory.createMessage(region, 1024, 100, 6);
            final Message copy = kept.copy();
            assertEquals(100, push.send(copy, 5000));
            assertEquals(100, pull.receive(received, 5000));
            final MetaHeader meta = ((SharedMemoryMessage) received).meta();
            assertNotEquals(MetaHeader.NOT_SHARED, meta.shared(), "counted across the send");
            assertEquals(meta.shared(), ((SharedMemoryMessage) kept).meta().shared());
            assertEquals(before + 2, factory.mappings().recordedReferences());
            received.rebuild();
            assertNull(acks.poll(200, TimeUnit.MILLISECONDS), "the original is still open");
            kept.close();
            assertEquals(new RegionBlock(1024, 100, 6), acks.poll(10, TimeUnit.SECONDS));
            assertNull(acks.poll(200, TimeUnit.MILLISECONDS), "exactly once");
            assertEquals(before, factory.mappings().recordedReferences());
        }
        assertEquals(start, factory.freeMemory(), "the counter block was freed");
    }

    @Test
    void shouldReleaseASharedReferenceOnceWhenTheFactoryClosesWithCopiesOpen() {
        final ShmemFactory survivor = shm.factory("survivor");
        final long start = survivor.freeMemory();
        final ShmemFactory factory = shm.factory("a");
        final List<Message> open = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            final Message message = factory.createMessage(1 + i * 997L);
            open.add(message);
            for (int c = 0; c < i % 4; c++) {
                open.add(message.copy());
            }
            if (i % 3 == 0) {
                message.close(); // the copies hold on
            }
        }
        factory.close();
        assertEquals(start, survivor.freeMemory());
        for (final Message message : open) {
            message.close(); // a no-op now, never a second release
        }
        assertEquals(start, survivor.freeMemory());
        assertThrows(TransportClosedException.class, () -> open.getLast().copy());
    }

    @Test
    void shouldReleaseOnceWhenCopiesCloseInSeveralThreadsAtOnce() throws Exception {
        final ShmemFactory factory = shm.factory("a");
        final long start = factory.freeMemory();
        final int before = factory.mappings().recordedReferences();
        for (int round = 0; round < 200; round++) {
            final Message original = factory.createMessage(round % 2 == 0 ? 200 : 50_000);
            final Message[] copies = {original.copy(), original.copy(), original.copy()};
            final CountDownLatch go = new CountDownLatch(1);
            final List<Thread> threads = new ArrayList<>();
            for (final Message copy : copies) {
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    copy.close();
                }));
            }
            go.countDown();
            original.close();
            for (final Thread thread : threads) {
                thread.join();
            }
        }
        // The 50,000-byte rounds allocate ahead (OpenMessages.allocateLarge): those blocks keep entries of their own.
        assertEquals(before + factory.mappings().blocksAhead(), factory.mappings().recordedReferences());
        assertEquals(start, factory.freeMemory());
    }
}
