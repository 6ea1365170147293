package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.DataAddressResolver;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Poller;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.TransportClosedException;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a device sees while its provider goes away under load (a bundle stop closes every factory): only the
 * documented {@link TransportClosedException}, never a raw {@code IllegalStateException} from a closed mapping nor a
 * {@code SharedMemoryException} about a block the close released.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SwapErrorsTest {
    private static final int ROUNDS = 20;

    @RegisterExtension
    final ShmSession shm = new ShmSession();

    @Test
    void shouldThrowOnlyTransportClosedExceptionToCallsRunningWhileTheFactoryCloses() throws Exception {
        final DataAddressResolver resolver = new ShmemResolver();
        final ConcurrentLinkedQueue<Throwable> undocumented = new ConcurrentLinkedQueue<>();
        final AtomicLong closedSeen = new AtomicLong();
        long moved = 0;
        for (int round = 0; round < ROUNDS; round++) {
            final ShmemFactory factory = shm.factory("swap-" + round);
            final Socket pull = factory.createSocket(SocketType.PULL, "pull");
            final Socket push = factory.createSocket(SocketType.PUSH, "push");
            pull.bind("ipc://swap-" + round);
            push.connect("ipc://swap-" + round);
            final AtomicLong received = new AtomicLong();
            final CountDownLatch running = new CountDownLatch(2);
            final Thread producer = Thread.ofPlatform().start(() -> {
                running.countDown();
                try {
                    for (int i = 0; ; i++) {
                        try (Message message = factory.createMessage(64 + (i % 4) * 4096)) {
                            message.data().fill((byte) i);
                            push.send(message, 100);
                            try (Message copy = message.copy()) {
                                copy.data();
                            }
                        }
                    }
                } catch (TransportClosedException e) {
                    closedSeen.incrementAndGet();
                } catch (Throwable e) {
                    undocumented.add(e);
                }
            });
            final Thread consumer = Thread.ofPlatform().start(() -> {
                running.countDown();
                try (Message into = factory.createMessage()) {
                    while (true) {
                        if (pull.receive(into, 100) > 0) {
                            resolver.resolve(factory, ((SharedMemoryMessage) into).meta()).get(
                                    java.lang.foreign.ValueLayout.JAVA_BYTE, 0);
                            try (Poller poller = factory.createPoller(List.of(pull))) {
                                poller.poll(0);
                            }
                            received.incrementAndGet();
                        }
                    }
                } catch (TransportClosedException e) {
                    closedSeen.incrementAndGet();
                } catch (Throwable e) {
                    undocumented.add(e);
                }
            });
            running.await();
            Thread.sleep(20 + round * 3L);
            factory.close();
            producer.join(30_000);
            consumer.join(30_000);
            assertTrue(!producer.isAlive() && !consumer.isAlive(), "both threads ended after the close");
            moved += received.get();
        }
        assertEquals(List.of(), List.copyOf(undocumented), "only TransportClosedException reaches the caller");
        assertEquals(2L * ROUNDS, closedSeen.get(), "each thread ended with TransportClosedException");
        assertTrue(moved > 0, "messages moved before the closes: " + moved);
    }
}
