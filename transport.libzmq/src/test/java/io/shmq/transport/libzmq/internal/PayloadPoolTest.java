package io.shmq.transport.libzmq.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.zeromq.common.PayloadPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The small-payload pool of the libzmq provider, alone and behind the messages. */
class PayloadPoolTest {
    @Test
    void shouldHandOutDistinctAlignedBlocksOfTheClassSizeAndTakeThemBack() {
        try (Arena arena = Arena.ofShared()) {
            final PayloadPool pool = new PayloadPool(arena, 8192);
            assertEquals(8192, pool.take(8192).byteSize());
            assertEquals(128, pool.take(65).byteSize());
            // Every block the class can carve (16 chunks of 1024): through the thread's stack, the shared stack
            // and every chunk; then none is left.
            final int all = 16 * 1024;
            final Set<Long> addresses = new HashSet<>();
            final List<MemorySegment> held = new ArrayList<>();
            for (int i = 0; i < all; i++) {
                final MemorySegment block = pool.take(33);
                assertEquals(64, block.byteSize());
                assertEquals(0, block.address() % 64);
                assertTrue(addresses.add(block.address()), "handed out twice: " + block);
                held.add(block);
            }
            assertNull(pool.take(64));
            held.forEach(pool::give);
            final Set<Long> again = new HashSet<>();
            for (int i = 0; i < all; i++) {
                assertTrue(again.add(pool.take(64).address()), "handed out twice");
            }
            assertEquals(addresses, again, "exactly the blocks given back are handed out again");
            assertNull(pool.take(64));
        }
    }

    @Test
    void shouldStopAtItsBoundAndAfterTheArenaClosed() {
        final Arena arena = Arena.ofShared();
        final PayloadPool pool = new PayloadPool(arena, 8192);
        int taken = 0;
        while (pool.take(8192) != null) {
            taken++;
        }
        assertEquals(16 * 64 * 1024 / 8192, taken, "16 chunks of 64 KiB for the class");
        arena.close();
        assertNull(pool.take(64), "no chunk is carved from a closed arena");
    }

    @Test
    void shouldSendPooledPayloadsAndFallBackWhenThePoolIsExhausted() {
        try (TransportFactory factory = new LibzmqTransport().createFactory(FactoryConfig.of("pool", "pool"));
             Socket push = factory.createSocket(SocketType.PUSH, "push");
             Socket pull = factory.createSocket(SocketType.PULL, "pull");
             Message in = factory.createMessage()) {
            pull.bind("inproc://pool");
            push.connect("inproc://pool");
            // 200 held messages of 8 KiB: the class's 128 pooled blocks, then malloc for the rest.
            final List<Message> held = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                final Message m = factory.createMessage(8192);
                m.data().set(ValueLayout.JAVA_INT_UNALIGNED, 8188, i);
                held.add(m);
            }
            for (final Message m : held) {
                assertEquals(8192, push.send(m, 1000));
                m.close();
            }
            for (int i = 0; i < 200; i++) {
                assertEquals(8192, pull.receive(in, 1000));
                assertEquals(i, in.data().get(ValueLayout.JAVA_INT_UNALIGNED, 8188));
            }
            // A copy of a pooled message shares nothing with the pool: both arrive, the original still reads.
            final Message original = factory.createMessage(100);
            original.data().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 42L);
            final Message copy = original.copy();
            assertEquals(100, push.send(copy, 1000));
            assertEquals(42L, original.data().get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
            assertEquals(100, push.send(original, 1000));
            for (int i = 0; i < 2; i++) {
                assertEquals(100, pull.receive(in, 1000));
                assertEquals(42L, in.data().get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
            }
            copy.close();
            original.close();
        }
    }

    @Test
    void shouldKeepCopiesAndEarlierContentValidWhileOneMessageReceivesAgainAndAgain() {
        // A single-part receive trades the socket's zmq_msg_t for the message's: the previous content is released by
        // the socket's next receive, and a copy (zmq_msg_copy, a reference) outlives both.
        try (TransportFactory factory = new LibzmqTransport().createFactory(FactoryConfig.of("pool", "swap"));
             Socket push = factory.createSocket(SocketType.PUSH, "push");
             Socket pull = factory.createSocket(SocketType.PULL, "pull");
             Message in = factory.createMessage()) {
            pull.bind("inproc://swap");
            push.connect("inproc://swap");
            final List<Message> copies = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                try (Message m = factory.createMessage(i % 2 == 0 ? 16 : 20_000)) {
                    m.data().set(ValueLayout.JAVA_INT_UNALIGNED, 0, i);
                    push.send(m, 1000);
                }
            }
            for (int i = 0; i < 50; i++) {
                assertEquals(i % 2 == 0 ? 16 : 20_000, pull.receive(in, 1000));
                assertEquals(i, in.data().get(ValueLayout.JAVA_INT_UNALIGNED, 0));
                copies.add(in.copy());
            }
            assertEquals(Socket.TIMEOUT, pull.receive(in, 0));
            for (int i = 0; i < 50; i++) {
                assertEquals(i, copies.get(i).data().get(ValueLayout.JAVA_INT_UNALIGNED, 0), "copy " + i);
            }
            copies.forEach(Message::close);
        }
    }

    @Test
    void shouldLetAnotherThreadCloseAPooledMessageAndFactoryCloseInvalidateOpenOnes() throws Exception {
        final TransportFactory factory = new LibzmqTransport().createFactory(FactoryConfig.of("pool", "threads"));
        final Message kept = factory.createMessage(64);
        final Message other = factory.createMessage(64);
        final long address = other.data().address();
        CompletableFuture.runAsync(other::close).get();
        final Message next = factory.createMessage(64);
        assertNotEquals(address, next.data().address(), "the block went to the closing thread's own blocks");
        next.close();
        factory.close();
        assertThrows(TransportClosedException.class, kept::data);
        kept.close(); // gives a block of the closed arena back: nothing is touched
        assertNotNull(kept);
    }
}
