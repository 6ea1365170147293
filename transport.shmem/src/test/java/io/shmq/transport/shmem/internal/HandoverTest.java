package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.shmem.internal.ring.SocketRingLayout;
import io.shmq.transport.shmem.internal.segment.Holder;
import io.shmq.transport.shmem.internal.segment.ManagedSegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A pushed block goes from its sender to its receiver by one CAS of its holder word ({@link Holder}): in flight
 * from the send on (the sender's ledger no longer names it once the publish happened), the receiver's from the
 * receive on (its ledger names it from just before), for push/pull and req/rep alike. Blocks that go the ordinary
 * way (a copy the process keeps) are marked shared and released by their count; a record whose block a survivor took is dropped;
 * of consumers that race for one record exactly one gets its block.
 */
class HandoverTest {
    @RegisterExtension
    final ShmSession shm = new ShmSession();

    @Test
    void shouldHandAPushedBlockOverByItsHolderWord() {
        final ShmemFactory a = shm.factory("a");
        final ShmemFactory b = shm.factory("b");
        final long start = a.freeMemory();
        final int holderA = a.mappings().session().holderId();
        final int holderB = b.mappings().session().holderId();
        assertNotEquals(holderA, holderB, "every join has its own holder id");
        final ManagedSegment segment = a.mappings().ownSegment();
        try (Socket push = a.createSocket(SocketType.PUSH, "push");
             Socket pull = b.createSocket(SocketType.PULL, "pull");
             Message received = b.createMessage()) {
            push.bind("ipc://handover-" + shm.name());
            pull.connect("ipc://handover-" + shm.name());
            final int recordedA = a.mappings().recordedReferences();
            final int recordedB = b.mappings().recordedReferences();
            // Larger than an inline record carries (InlineTest has those).
            for (final long size : new long[] {SocketRingLayout.INLINE_BYTES + 1, 100_000}) {
                final Message message = a.createMessage(size);
                Payload.fill(message.data(), size);
                final MetaHeader meta = ((SharedMemoryMessage) message).meta();
                assertEquals(Holder.word(meta.hint(), holderA), segment.holder(meta.handle()), "the allocator's");
                assertEquals(recordedA + 1, a.mappings().recordedReferences());
                assertEquals(size, push.send(message, 5000));
                final long inFlight = segment.holder(meta.handle());
                assertEquals(meta.hint(), Holder.generation(inFlight));
                assertTrue((Holder.id(inFlight) & Holder.IN_FLIGHT) != 0, "in flight: " + Long.toHexString(inFlight));
                assertEquals(recordedA, a.mappings().recordedReferences(), "the sender's entry went with the publish");
                assertEquals(recordedB, b.mappings().recordedReferences());
                assertEquals(size, pull.receive(received, 5000));
                assertEquals(meta, ((SharedMemoryMessage) received).meta());
                assertEquals(Holder.word(meta.hint(), holderB), segment.holder(meta.handle()), "the receiver's");
                assertEquals(recordedB + 1, b.mappings().recordedReferences());
                assertEquals(-1, Payload.check(received.data(), size));
                final boolean large = segment.largeBlockSize(meta.handle()) >= 0;
                received.rebuild();
                // A received large block's free is deferred (OpenMessages): its entry stays until the flush.
                assertEquals(large ? 1 : 0, b.mappings().deferredFrees(), "size " + size);
                assertEquals(recordedB + b.mappings().deferredFrees(), b.mappings().recordedReferences());
                b.mappings().flushDeferred();
                assertEquals(0, b.mappings().deferredFrees());
                assertEquals(recordedB, b.mappings().recordedReferences());
            }
        }
        assertEquals(start, a.freeMemory() + b.mappings().cachedBytes());
    }

    @Test
    void shouldForwardAReceivedBlockByHandOverAgain() {
        final ShmemFactory a = shm.factory("a");
        final ShmemFactory b = shm.factory("b");
        final ManagedSegment segment = a.mappings().ownSegment();
        try (Socket in = b.createSocket(SocketType.PULL, "in");
             Socket out = b.createSocket(SocketType.PUSH, "out");
             Socket push = a.createSocket(SocketType.PUSH, "push");
             Socket pull = a.createSocket(SocketType.PULL, "pull");
             Message forwarded = b.createMessage();
             Message received = a.createMessage()) {
            in.bind("ipc://in-" + shm.name());
            out.bind("ipc://out-" + shm.name());
            push.connect("ipc://in-" + shm.name());
            pull.connect("ipc://out-" + shm.name());
            final Message message = a.createMessage(5000);
            Payload.fill(message.data(), 3);
            final MetaHeader meta = ((SharedMemoryMessage) message).meta();
            push.send(message, 5000);
            in.receive(forwarded, 5000);
            assertEquals(5000, out.send(forwarded, 5000), "a broker forwards by reference");
            assertTrue((Holder.id(segment.holder(meta.handle())) & Holder.IN_FLIGHT) != 0);
            pull.receive(received, 5000);
            assertEquals(Holder.word(meta.hint(), a.mappings().session().holderId()), segment.holder(meta.handle()));
            assertEquals(-1, Payload.check(received.data(), 3));
        }
    }

    @Test
    void shouldHandRequestsRepliesAndUnitsOverAndMarkBlocksThatGoTheOrdinaryWayShared() {
        final ShmemFactory a = shm.factory("a");
        final ShmemFactory b = shm.factory("b");
        final long start = a.freeMemory();
        final ManagedSegment segment = a.mappings().ownSegment();
        try (Socket req = a.createSocket(SocketType.REQ, "req");
             Socket rep = b.createSocket(SocketType.REP, "rep");
             Socket push = a.createSocket(SocketType.PUSH, "push");
             Socket pull = b.createSocket(SocketType.PULL, "pull")) {
            Message request = b.createMessage();
            rep.bind("ipc://rep-" + shm.name());
            req.connect("ipc://rep-" + shm.name());
            push.bind("ipc://multi-" + shm.name());
            pull.connect("ipc://multi-" + shm.name());
            final Message message = a.createMessage(200);
            final MetaHeader meta = ((SharedMemoryMessage) message).meta();
            req.send(message, 5000);
            assertTrue((Holder.id(segment.holder(meta.handle())) & Holder.IN_FLIGHT) != 0, "req/rep hand over too");
            rep.receive(request, 5000);
            assertEquals(Holder.word(meta.hint(), b.mappings().session().holderId()), segment.holder(meta.handle()));
            assertEquals(200, rep.send(request, 5000), "the reply: the request's block, handed back");
            assertEquals(200, req.receive(request = a.createMessage(), 5000));
            assertEquals(Holder.word(meta.hint(), a.mappings().session().holderId()), segment.holder(meta.handle()));
            request.close();

            final List<Message> parts = new ArrayList<>(List.of(a.createMessage(10), a.createMessage(20)));
            final List<MetaHeader> metas = parts.stream().map(p -> ((SharedMemoryMessage) p).meta()).toList();
            final int recordedA = a.mappings().recordedReferences();
            push.send(parts, 5000);
            for (final MetaHeader part : metas) {
                assertTrue((Holder.id(segment.holder(part.handle())) & Holder.IN_FLIGHT) != 0,
                        "a unit's parts are handed over too: " + Long.toHexString(segment.holder(part.handle())));
            }
            assertEquals(recordedA - 2, a.mappings().recordedReferences(), "the parts' entries went with the publish");
            final List<Message> got = new ArrayList<>();
            final int recordedB = b.mappings().recordedReferences();
            assertEquals(30, pull.receive(got, 5000));
            for (final MetaHeader part : metas) {
                assertEquals(Holder.word(part.hint(), b.mappings().session().holderId()),
                        segment.holder(part.handle()), "the receiver's");
            }
            assertEquals(recordedB + 2, b.mappings().recordedReferences(), "the descriptor is released");
            got.forEach(Message::close);

            final Message kept = a.createMessage(300);
            final MetaHeader keptMeta = ((SharedMemoryMessage) kept).meta();
            push.send(kept.copy(), 5000);
            assertEquals(Holder.word(keptMeta.hint(), Holder.SHARED), segment.holder(keptMeta.handle()),
                    "a copy sent while the process keeps the original");
            kept.close();
            assertEquals(300, pull.receive(request = b.createMessage(), 5000));
            request.close();
        }
        assertEquals(start, a.freeMemory() + b.mappings().cachedBytes());
    }

    @Test
    void shouldRecordEveryPartOfAUnitWhileItsFramesWait() {
        final ShmemFactory a = shm.factory("a");
        final ShmemFactory b = shm.factory("b");
        final long start = a.freeMemory();
        try (Socket push = a.createSocket(SocketType.PUSH, "push")) {
            final Socket pull = b.createSocket(SocketType.PULL, "pull");
            push.bind("ipc://frames-" + shm.name());
            pull.connect("ipc://frames-" + shm.name());
            final int recorded = b.mappings().recordedReferences();
            final List<Message> parts = new ArrayList<>();
            for (final long size : new long[] {10, 2000, 30}) {
                final Message part = a.createMessage(size);
                Payload.fill(part.data(), size);
                parts.add(part);
            }
            push.send(parts, 5000);
            final Message frame = b.createMessage();
            int waiting = 3;
            for (final long size : new long[] {10, 2000, 30}) {
                assertEquals(size, pull.receive(frame, 5000));
                assertEquals(-1, Payload.check(frame.data(), size));
                assertEquals(recorded + waiting--, b.mappings().recordedReferences(),
                        "the frame received and the parts that wait for theirs are in the receiver's ledger");
            }
            frame.close();
            assertEquals(recorded, b.mappings().recordedReferences());
            push.send(new ArrayList<>(List.of(a.createMessage(40), a.createMessage(50))), 5000);
            final Message first = b.createMessage();
            assertEquals(40, pull.receive(first, 5000));
            assertEquals(recorded + 2, b.mappings().recordedReferences());
            pull.close();
            assertEquals(recorded + 1, b.mappings().recordedReferences(), "the waiting part went with the socket");
            first.close();
        }
        assertEquals(start, a.freeMemory() + b.mappings().cachedBytes());
    }

    @Test
    void shouldReleaseQueuedUnitsWhenTheirBinderCloses() throws Exception {
        final ShmemFactory a = shm.factory("a");
        final ShmemFactory b = shm.factory("b");
        final long start = a.freeMemory();
        final Socket pull = b.createSocket(SocketType.PULL, "pull");
        try (Socket push = a.createSocket(SocketType.PUSH, "push")) {
            push.setLinger(java.time.Duration.ZERO);
            push.bind("ipc://queued-" + shm.name());
            pull.connect("ipc://queued-" + shm.name());
            final java.util.Random random = new java.util.Random(3);
            for (int i = 0; i < 20; i++) {
                assertTrue(push.send(Payload.unit(a, random), 5000) >= 0);
            }
        }
        pull.close();
        final long deadline = System.nanoTime() + 5_000_000_000L; // the close delivers in the background
        while (start != a.freeMemory() + b.mappings().cachedBytes() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(start, a.freeMemory() + b.mappings().cachedBytes(), "the binder's close released the units");
    }

    @Test
    void shouldDropARecordWhoseBlockASurvivorReclaimed() {
        final ShmemFactory a = shm.factory("a");
        final ShmemFactory b = shm.factory("b");
        final long start = a.freeMemory();
        final ManagedSegment segment = a.mappings().ownSegment();
        try (Socket push = a.createSocket(SocketType.PUSH, "push");
             Socket pull = b.createSocket(SocketType.PULL, "pull");
             Message received = b.createMessage()) {
            push.bind("ipc://dead-" + shm.name());
            pull.connect("ipc://dead-" + shm.name());
            final Message lost = a.createMessage(2000);
            final MetaHeader meta = ((SharedMemoryMessage) lost).meta();
            push.send(lost, 5000);
            // What a survivor of a sender killed between its publish and its detach does: win the CAS, release.
            final long inFlight = segment.holder(meta.handle());
            assertTrue(segment.replaceHolder(meta.handle(), inFlight, Holder.word(meta.hint(), Holder.RECLAIMED)));
            assertTrue(segment.release(meta.handle()));
            final Message next = a.createMessage(8);
            next.data().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 0x5EC0DL);
            push.send(next, 5000);
            assertEquals(8, pull.receive(received, 5000), "the dead record is dropped, the next one received");
            assertEquals(0x5EC0DL, received.data().get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
            received.rebuild();
            assertEquals(-2, pull.receive(received, 0), "nothing else: the reclaimed block was not received");
        }
        assertEquals(start, a.freeMemory() + b.mappings().cachedBytes());
    }

    @Test
    void shouldGiveEachBlockToExactlyOneOfConsumersThatRace() throws Exception {
        final ShmemFactory a = shm.factory("a");
        final ShmemFactory b = shm.factory("b");
        final ShmemFactory c = shm.factory("c");
        final long start = a.freeMemory();
        final int count = 200_000;
        final BitSet seen = new BitSet(count);
        final AtomicLong duplicates = new AtomicLong();
        final AtomicLong total = new AtomicLong();
        final long[] each = new long[2];
        try (Socket push = a.createSocket(SocketType.PUSH, "push")) {
            push.bind("ipc://race-" + shm.name());
            final List<Thread> consumers = new ArrayList<>();
            for (final ShmemFactory factory : List.of(b, c)) {
                final int me = consumers.size();
                final Socket pull = factory.createSocket(SocketType.PULL, "pull");
                pull.connect("ipc://race-" + shm.name());
                consumers.add(Thread.ofPlatform().start(() -> {
                    try (pull; Message message = factory.createMessage()) {
                        while (total.get() < count) {
                            if (pull.receive(message, 50) >= 0) {
                                final int n = message.data().get(ValueLayout.JAVA_INT_UNALIGNED, 0);
                                synchronized (seen) {
                                    if (seen.get(n)) {
                                        duplicates.incrementAndGet();
                                    }
                                    seen.set(n);
                                }
                                total.incrementAndGet();
                                each[me]++;
                            }
                        }
                    }
                }));
            }
            for (int i = 0; i < count; i++) {
                final Message message = a.createMessage(64);
                message.data().set(ValueLayout.JAVA_INT_UNALIGNED, 0, i);
                assertEquals(64, push.send(message, 10_000));
            }
            for (final Thread consumer : consumers) {
                consumer.join(60_000);
            }
        }
        System.out.println("HandoverTest: consumers received " + each[0] + " and " + each[1]);
        assertEquals(0, duplicates.get(), "a block received twice");
        assertEquals(count, seen.cardinality(), "every message received");
        assertEquals(start, a.freeMemory() + b.mappings().cachedBytes() + c.mappings().cachedBytes());
    }

    @Test
    void shouldListTheLiveBlocksOfASegmentWithTheirHolders() {
        final ShmemFactory a = shm.factory("a");
        final ManagedSegment segment = a.mappings().ownSegment();
        final int before = io.shmq.transport.shmem.internal.segment.HeapWalk.live(segment).size();
        try (Message small = a.createMessage(100); Message large = a.createMessage(100_000)) {
            final List<String> live = io.shmq.transport.shmem.internal.segment.HeapWalk.live(segment);
            assertEquals(before + 2, live.size(), live.toString());
            final MetaHeader meta = ((SharedMemoryMessage) large).meta();
            assertTrue(live.stream().anyMatch(l -> l.startsWith("block " + meta.handle() + " (large ")
                    && l.endsWith("holder=" + meta.hint() + "/" + Integer.toHexString(a.mappings().session()
                    .holderId()))), live.toString());
        }
        // The small block stays live as the stripe's spare (nothing outside the message saw its handle).
        assertEquals(1, a.mappings().spareBlocks());
        assertEquals(before + 1, io.shmq.transport.shmem.internal.segment.HeapWalk.live(segment).size());
    }
}
