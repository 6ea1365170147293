package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.AllocationRetryPolicy;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.MessageBadAllocException;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportKind;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Managed messages: allocation, payload, shrink, rebuild, copy, close, zero size, metadata, bad allocation. */
class ManagedMessageTest {
    @RegisterExtension
    final ShmSession shm = new ShmSession();

    @Test
    void shouldAllocateWritableAlignedPayloadOfEverySize() {
        final ShmemFactory factory = shm.factory("a");
        final long start = factory.freeMemory();
        final List<Message> messages = new ArrayList<>();
        long seed = 1;
        for (final long size : new long[] {1, 15, 16, 17, 31, 32, 33, 100, 4064, 4065, 8160, 8161, 65536, 3 << 20}) {
            final Message message = factory.createMessage(size);
            assertEquals(size, message.size());
            assertEquals(size, message.data().byteSize());
            assertEquals(0, message.data().address() % 16, "alignment of size " + size);
            Payload.fill(message.data(), seed++);
            messages.add(message);
        }
        seed = 1;
        for (final Message message : messages) {
            assertEquals(-1, Payload.check(message.data(), seed++));
            message.close();
        }
        assertEquals(start, factory.freeMemory());
    }

    @Test
    void shouldHonourRequestedAlignment() {
        final ShmemFactory factory = shm.factory("a");
        for (final long alignment : new long[] {16, 32, 64, 256, 1024, 4096}) {
            for (final long size : new long[] {1, 100, 5000, 70000}) {
                try (Message message = factory.createMessage(size, alignment)) {
                    assertEquals(0, message.data().address() % alignment, "size=" + size + " align=" + alignment);
                    message.data().fill((byte) 7);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> factory.createMessage(10, 3));
        assertThrows(IllegalArgumentException.class, () -> factory.createMessage(10, 8192));
    }

    @Test
    void shouldReturnFreeMemoryExactlyToStartWhenAllClosed() {
        final ShmemFactory factory = shm.factory("a");
        final long start = factory.freeMemory();
        final List<Message> messages = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            messages.add(factory.createMessage(1 + (i * 7919L) % 20000));
        }
        assertTrue(factory.freeMemory() < start);
        for (int i = 0; i < messages.size(); i += 2) {
            messages.get(i).close();
        }
        for (int i = 1; i < messages.size(); i += 2) {
            messages.get(i).close();
        }
        assertEquals(start, factory.freeMemory());
    }

    @Test
    void shouldShareThePayloadOnCopyAndFreeOnLastClose() {
        final ShmemFactory factory = shm.factory("a");
        final long start = factory.freeMemory();
        final Message original = factory.createMessage(1000);
        Payload.fill(original.data(), 42);
        final Message copy = original.copy();
        assertEquals(original.data().address(), copy.data().address());
        assertEquals(((SharedMemoryMessage) original).meta(), ((SharedMemoryMessage) copy).meta());
        original.close();
        assertEquals(-1, Payload.check(copy.data(), 42), "the copy keeps the payload alive");
        assertTrue(factory.freeMemory() < start);
        copy.close();
        assertEquals(start, factory.freeMemory());
    }

    @Test
    void shouldShrinkRebuildAndCloseIdempotently() {
        final ShmemFactory factory = shm.factory("a");
        final long start = factory.freeMemory();
        final Message message = factory.createMessage(500);
        message.setUsedSize(10);
        assertEquals(10, message.size());
        assertEquals(10, ((SharedMemoryMessage) message).meta().size());
        assertThrows(IllegalArgumentException.class, () -> message.setUsedSize(11));
        assertThrows(IllegalArgumentException.class, () -> message.setUsedSize(-1));
        message.rebuild(20000, 64);
        assertEquals(20000, message.size());
        assertEquals(0, message.data().address() % 64);
        message.rebuild();
        assertEquals(0, message.size());
        assertEquals(MemorySegment.NULL, message.data());
        message.close();
        message.close();
        assertThrows(TransportClosedException.class, message::data);
        assertThrows(TransportClosedException.class, ((SharedMemoryMessage) message)::meta);
        assertEquals(start, factory.freeMemory());
    }

    @Test
    void shouldMakeZeroSizeMessagesWithoutData() {
        final ShmemFactory factory = shm.factory("a");
        final long start = factory.freeMemory();
        try (Message empty = factory.createMessage(); Message zero = factory.createMessage(0)) {
            assertEquals(MemorySegment.NULL, empty.data());
            assertEquals(MemorySegment.NULL, zero.data());
            assertEquals(TransportKind.SHMEM, zero.kind());
            final MetaHeader meta = ((SharedMemoryMessage) zero).meta();
            assertTrue(meta.managed());
            assertEquals(0, meta.size());
            assertEquals(MemorySegment.NULL, factory.resolve(meta));
        }
        assertEquals(start, factory.freeMemory());
    }

    @Test
    void shouldCopyUserBytesAndDescribeThemInMeta() {
        final ShmemFactory factory = shm.factory("a");
        final MemorySegment source = MemorySegment.ofArray("hello".getBytes());
        try (Message message = factory.createMessage(source)) {
            assertEquals("hello", new String(message.data().toArray(ValueLayout.JAVA_BYTE)));
            final MetaHeader meta = ((SharedMemoryMessage) message).meta();
            assertEquals(5, meta.size());
            assertEquals(0, meta.segmentId());
            assertEquals(MetaHeader.NOT_SHARED, meta.shared());
            assertEquals(message.data().address(), factory.resolve(meta).address());
        }
    }

    @Test
    void shouldRefuseTheOldHeaderOfABlockThatWasFreedAndAllocatedAgain() {
        final ShmemFactory producer = shm.factory("producer");
        final ShmemFactory consumer = shm.factory("consumer");
        // Small (size class) and large blocks: a freed block is the next one its size gets.
        for (final long size : new long[] {16, 1000, 100_000, 3 << 20}) {
            final MetaHeader old;
            try (Message first = producer.createMessage(size)) {
                old = ((SharedMemoryMessage) first).meta();
                assertNotEquals(0, old.hint(), "a managed header carries its block's generation");
                assertEquals(size, consumer.resolve(old).byteSize());
            }
            try (Message second = producer.createMessage(size)) {
                final MetaHeader fresh = ((SharedMemoryMessage) second).meta();
                assertEquals(old.handle(), fresh.handle(), "the freed block was reused (size " + size + ")");
                assertNotEquals(old.hint(), fresh.hint());
                final io.shmq.transport.api.SharedMemoryException e = assertThrows(
                        io.shmq.transport.api.SharedMemoryException.class, () -> consumer.resolve(old));
                assertTrue(e.getMessage().contains("stale header"), e.getMessage());
                assertEquals(size, consumer.resolve(fresh).byteSize());
                // A FairMQ managed header (hint 0) is not checked: documented.
                assertEquals(size, consumer.resolve(new MetaHeader(size, 0, fresh.handle(), MetaHeader.NOT_SHARED, 0,
                        fresh.segmentId(), true)).byteSize());
            }
        }
    }

    @Test
    void shouldThrowBadAllocWhenSegmentIsFull() {
        final ShmemFactory factory = shm.factory("a");
        final MessageBadAllocException e = assertThrows(MessageBadAllocException.class,
                () -> factory.createMessage(ShmSession.SEGMENT_SIZE));
        assertTrue(e.getMessage().contains("size=" + ShmSession.SEGMENT_SIZE), e.getMessage());
        final long start = factory.freeMemory();
        final List<Message> messages = new ArrayList<>();
        assertThrows(MessageBadAllocException.class, () -> {
            while (true) {
                messages.add(factory.createMessage(1 << 20));
            }
        });
        assertFalse(messages.isEmpty());
        messages.forEach(Message::close);
        assertEquals(start, factory.freeMemory());
    }

    @Test
    void shouldAllocateAtTheFreeNotAtTheNextRetryWhenWaitingForFrees() throws Exception {
        // Budget 10 s in one interval: FairMQ's sleep would give the block after 10 s, the free doorbell at the free.
        final ShmemFactory waiter = shm.track(new ShmemFactory(shm.config("waiter")
                .allocationRetry(AllocationRetryPolicy.retry(2, Duration.ofSeconds(10))).build()));
        final ShmemFactory other = shm.factory("other");
        final Message big = other.createMessage(ShmSession.SEGMENT_SIZE / 2 + (4 << 20));
        final long[] freedAt = new long[1];
        final Thread releaser = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            freedAt[0] = System.nanoTime();
            big.close(); // by another factory: the doorbell is in the segment, for every process
        });
        final long start = System.nanoTime();
        try (Message second = waiter.createMessage(ShmSession.SEGMENT_SIZE / 2)) {
            final long waited = System.nanoTime() - start;
            assertNotEquals(MemorySegment.NULL, second.data());
            assertTrue(waited < 5_000_000_000L, "returned after " + waited / 1_000_000 + " ms, not at the free");
        }
        releaser.join(10_000);
        assertTrue(freedAt[0] > 0);
        // With nothing freed the whole budget is waited for, then the documented exception.
        final ShmemFactory quick = shm.track(new ShmemFactory(shm.config("quick")
                .allocationRetry(AllocationRetryPolicy.retry(3, Duration.ofMillis(20))).build()));
        try (Message hog = quick.createMessage(ShmSession.SEGMENT_SIZE / 2 + (4 << 20))) {
            final MessageBadAllocException e = assertThrows(MessageBadAllocException.class,
                    () -> quick.createMessage(ShmSession.SEGMENT_SIZE / 2));
            assertTrue(e.getMessage().contains("waited 40 ms"), e.getMessage());
        }
    }

    @Test
    void shouldSleepBetweenAttemptsAsFairMqDoesWhenAskedTo() throws Exception {
        final ShmemFactory factory = shm.track(new ShmemFactory(shm.config("a").option("shmem.alloc-wait", "sleep")
                .allocationRetry(AllocationRetryPolicy.retry(3, Duration.ofMillis(300))).build()));
        final Message big = factory.createMessage(ShmSession.SEGMENT_SIZE / 2 + (4 << 20));
        final Thread releaser = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            big.close();
        });
        final long start = System.nanoTime();
        try (Message second = factory.createMessage(ShmSession.SEGMENT_SIZE / 2)) {
            assertTrue(System.nanoTime() - start >= 250_000_000L, "the first attempt after the sleep succeeded");
        }
        releaser.join(10_000);
    }

    @Test
    void shouldRetryAllocationAsConfiguredThenSucceedWhenMemoryReturns() throws Exception {
        final ShmemFactory factory = shm.track(new ShmemFactory(shm.config("a")
                .allocationRetry(AllocationRetryPolicy.retry(200, Duration.ofMillis(10))).build()));
        final Message big = factory.createMessage(ShmSession.SEGMENT_SIZE / 2 + (4 << 20));
        final Thread releaser = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            big.close();
        });
        try (Message second = factory.createMessage(ShmSession.SEGMENT_SIZE / 2)) {
            assertNotEquals(MemorySegment.NULL, second.data());
        }
        releaser.join(10_000);
    }
}
