package io.shmq.transport.zeromq.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportFactory;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Small payloads of the JeroMQ provider come from the factory's pool and go back to it; nothing they hold leaks. */
class ZmqPooledPayloadTest {
    @Test
    void shouldRecycleTheBlockOfASentMessageAndKeepWhatACopySharesOutOfThePool() {
        try (TransportFactory factory = new ZmqTransport().createFactory(FactoryConfig.of("pool", "recycle"));
             Socket push = factory.createSocket(SocketType.PUSH, "push");
             Socket pull = factory.createSocket(SocketType.PULL, "pull");
             Message in = factory.createMessage()) {
            pull.bind("inproc://pool");
            push.connect("inproc://pool");
            final Message first = factory.createMessage(100);
            final long block = first.data().address();
            first.data().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 7L);
            assertEquals(100, push.send(first, 1000));
            first.close();
            final Message second = factory.createMessage(100);
            assertEquals(block, second.data().address(), "the sent message's block is the next one handed out");
            // A copy moves the payload out of the pool: the original's send and close leave the copy's bytes alone.
            second.data().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 42L);
            final Message copy = second.copy();
            assertEquals(100, push.send(second, 1000));
            second.close();
            final Message reuse = factory.createMessage(100);
            reuse.data().fill((byte) 0x55);
            assertEquals(42L, copy.data().get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
            assertEquals(100, push.send(copy, 1000));
            for (final long expected : new long[] {7L, 42L, 42L}) {
                assertEquals(100, pull.receive(in, 1000));
                assertEquals(expected, in.data().get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
            }
            reuse.close();
            copy.close();
        }
    }

    @Test
    void shouldReceiveSmallFramesIntoPooledBlocksAndLargeOnesInPlace() {
        try (TransportFactory factory = new ZmqTransport().createFactory(FactoryConfig.of("pool", "receive"));
             Socket push = factory.createSocket(SocketType.PUSH, "push");
             Socket pull = factory.createSocket(SocketType.PULL, "pull")) {
            pull.bind("inproc://receive");
            push.connect("inproc://receive");
            // More than the pool holds for the 4 KiB class (16 chunks of 16 blocks), held at once: the rest falls
            // back to off-heap memory of their own, and every byte arrives.
            final int count = 600;
            for (int i = 0; i < count; i++) {
                try (Message m = factory.createMessage(i % 2 == 0 ? 4096 : 100_000)) {
                    m.data().set(ValueLayout.JAVA_INT_UNALIGNED, m.data().byteSize() - 4, i);
                    assertTrue(push.send(m, 1000) > 0);
                }
            }
            final List<Message> held = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                final Message m = factory.createMessage();
                final long size = pull.receive(m, 1000);
                assertEquals(i % 2 == 0 ? 4096 : 100_000, size);
                assertEquals(i, m.data().get(ValueLayout.JAVA_INT_UNALIGNED, size - 4));
                assertTrue(m.data().isNative());
                held.add(m);
            }
            held.forEach(Message::close);
        }
    }

    @Test
    void shouldRefuseAPooledPayloadAfterTheFactoryClosed() {
        final TransportFactory factory = new ZmqTransport().createFactory(FactoryConfig.of("pool", "closed"));
        final Message kept = factory.createMessage(64);
        final var view = kept.data();
        factory.close();
        assertThrows(TransportClosedException.class, kept::data);
        assertThrows(IllegalStateException.class, () -> view.get(ValueLayout.JAVA_BYTE, 0),
                "the pool's arena is closed: a kept view throws instead of reading freed memory");
        kept.close();
        assertFalse(view.scope().isAlive());
    }
}
