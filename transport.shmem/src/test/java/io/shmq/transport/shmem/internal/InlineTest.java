package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.MessageBadAllocException;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.shmem.internal.ring.SocketRingLayout;
import io.shmq.transport.shmem.internal.segment.Holder;
import io.shmq.transport.shmem.internal.segment.ManagedSegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A message of up to {@link SocketRingLayout#INLINE_BYTES} bytes travels inside its ring record: the sender frees
 * its block at once, the receiver copies the payload into a block it allocates; nothing is lost when it cannot
 * allocate for a while, nor when the socket closes with such records queued.
 */
class InlineTest {
    @RegisterExtension
    final ShmSession shm = new ShmSession();

    @Test
    void shouldCarryASmallMessageInsideItsRecordAndCopyItOut() {
        final ShmemFactory a = shm.factory("a");
        final ShmemFactory b = shm.factory("b");
        final long start = a.freeMemory();
        final ManagedSegment segmentA = a.mappings().ownSegment();
        try (Socket push = a.createSocket(SocketType.PUSH, "push");
             Socket pull = b.createSocket(SocketType.PULL, "pull");
             Message received = b.createMessage()) {
            push.bind("ipc://inline-" + shm.name());
            pull.connect("ipc://inline-" + shm.name());
            final int recordedA = a.mappings().recordedReferences();
            for (final long size : new long[] {1, 8, 63, 64, 100, SocketRingLayout.INLINE_BYTES}) {
                final Message message = a.createMessage(size);
                Payload.fill(message.data(), size);
                final MetaHeader sent = ((SharedMemoryMessage) message).meta();
                assertEquals(size, push.send(message, 5000));
                assertEquals(0, message.size(), "the sent message is empty, as after any send");
                assertEquals(recordedA, a.mappings().recordedReferences(), "the sender's block is freed at once");
                assertEquals(0, Holder.id(segmentA.holder(sent.handle())) & Holder.IN_FLIGHT, "nothing in flight");
                assertEquals(size, pull.receive(received, 5000));
                assertEquals(-1, Payload.check(received.data(), size), "size " + size);
                final MetaHeader got = ((SharedMemoryMessage) received).meta();
                assertTrue(got.handle() != sent.handle() || got.hint() != sent.hint(), "a copy, in a block of b's");
                message.close();
            }
            // Equal sizes into one message: the second copy goes into the block the first one gave it.
            final int recordedB = b.mappings().recordedReferences();
            MetaHeader first = null;
            for (long n = 0; n < 3; n++) {
                try (Message message = a.createMessage(64)) {
                    message.data().set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 56, n);
                    assertEquals(64, push.send(message, 5000));
                }
                assertEquals(64, pull.receive(received, 5000));
                assertEquals(n, received.data().get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 56));
                final MetaHeader got = ((SharedMemoryMessage) received).meta();
                if (first == null) {
                    first = got;
                }
                assertEquals(first, got, "copied in place, round " + n);
                assertEquals(recordedB, b.mappings().recordedReferences());
            }
            final Message larger = a.createMessage(SocketRingLayout.INLINE_BYTES + 1);
            final MetaHeader sent = ((SharedMemoryMessage) larger).meta();
            push.send(larger, 5000);
            assertTrue((Holder.id(segmentA.holder(sent.handle())) & Holder.IN_FLIGHT) != 0, "one more: handed over");
            assertEquals(SocketRingLayout.INLINE_BYTES + 1, pull.receive(received, 5000));
            assertEquals(sent, ((SharedMemoryMessage) received).meta(), "the same block: zero copy");
            larger.close();
        }
        b.mappings().flushDeferred();
        // The session's segment is one; each factory's stripes cache blocks of it.
        assertEquals(start, a.freeMemory() + b.mappings().cachedBytes(), "every block back");
    }

    /**
     * The receiver's segment is full: its receive times out and leaves the record where it is; once a block is free
     * again the next receive copies it, and every number arrives once, in order.
     */
    @Test
    void shouldWaitForRoomInTheReceiversSegmentAndLoseNothing() {
        // The first factory decides the session's one segment: 1 MiB.
        final ShmemFactory a = shm.track(new ShmemFactory(shm.config("a").segmentSize(1L << 20).build()));
        final ShmemFactory b = shm.factory("b");
        final List<Message> filler = new ArrayList<>();
        try (Socket push = a.createSocket(SocketType.PUSH, "push");
             Socket pull = b.createSocket(SocketType.PULL, "pull");
             Message received = b.createMessage()) {
            push.bind("ipc://inline-full-" + shm.name());
            pull.connect("ipc://inline-full-" + shm.name());
            for (long n = 0; n < 3; n++) {
                final Message message = a.createMessage(8);
                message.data().set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0, n);
                assertEquals(8, push.send(message, 5000));
                message.close();
            }
            // Fill b's segment with messages of its own (the first factory decided the session's segment size).
            while (true) {
                try {
                    filler.add(b.createMessage(16));
                } catch (MessageBadAllocException e) {
                    break;
                }
            }
            assertThrows(MessageBadAllocException.class, () -> b.createMessage(8), "full for b");
            assertEquals(Socket.TIMEOUT, pull.receive(received, 50), "no room to copy into: nothing taken");
            filler.remove(filler.size() - 1).close();
            for (long n = 0; n < 3; n++) {
                assertEquals(8, pull.receive(received, 5000), "number " + n);
                assertEquals(n, received.data().get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0));
            }
            assertEquals(Socket.TIMEOUT, pull.receive(received, 10));
        } finally {
            filler.forEach(Message::close);
        }
    }

    /** A bound push that closes with inline records queued and no consumer left drops them: nothing to release. */
    @Test
    void shouldDropQueuedInlineRecordsWhenTheirBinderCloses() {
        final ShmemFactory a = shm.factory("a");
        final long start = a.freeMemory();
        final Socket push = a.createSocket(SocketType.PUSH, "push");
        push.bind("ipc://inline-close-" + shm.name());
        try (Socket pull = a.createSocket(SocketType.PULL, "pull")) {
            pull.connect("ipc://inline-close-" + shm.name());
            for (int i = 0; i < 10; i++) {
                final Message message = a.createMessage(32);
                assertEquals(32, push.send(message, 5000));
                message.close();
            }
        }
        push.close();
        assertEquals(start, a.freeMemory(), "every sender block went back at its send");
        // The last sender block is the stripe's spare (the next allocation's): recorded, and counted as cached.
        assertEquals(1, a.mappings().spareBlocks());
        assertEquals(1, a.mappings().recordedReferences(), "nothing recorded but the spare");
    }
}
