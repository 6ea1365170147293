package io.shmq.transport.shmem.internal.ring;

import io.shmq.transport.api.MetaHeader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static io.shmq.transport.shmem.internal.ring.SocketRingTest.offer;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The single-producer protocol of {@link SequencedRing} on a {@link SocketRing} formatted {@code single}: order and
 * room by the head, no claim before the publish, a producer view that takes over from one that stopped (or died
 * mid-write), several consumers, and nothing ever skipped.
 */
class SingleProducerRingTest {
    private static MemorySegment memory(final Arena arena, final int capacity) {
        final MemorySegment memory = arena.allocate(SocketRingLayout.bytes(capacity), 128);
        SocketRing.format(memory, 0, capacity, true);
        return memory;
    }

    private static SocketRing view(final MemorySegment memory) {
        return new SocketRing(memory, 0, "test ring");
    }

    @Test
    void shouldDeliverInOrderFindRoomByTheHeadAndLeaveTakenRecordsPublished() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment memory = memory(arena, 4);
            final SocketRing producer = view(memory);
            final SocketRing consumer = view(memory);
            assertTrue(producer.single() && consumer.single(), "every view reads the mode from the ring's header");
            assertFalse(consumer.hasInput());
            for (int lap = 0; lap < 3; lap++) {
                for (int i = 0; i < 4; i++) {
                    offer(producer, 64 * i + lap);
                }
                assertEquals(-1, producer.tryClaim(), "full at capacity");
                assertFalse(producer.hasRoom());
                assertTrue(consumer.hasInput());
                for (int i = 0; i < 4; i++) {
                    final long position = 4L * lap + i;
                    assertEquals(64 * i + lap, consumer.poll().meta().handle());
                    assertEquals(position + 1, (long) RingLayout.SEQUENCE_H.getVolatile(memory,
                            consumer.record(position)), "a taken record is not released: its room is the head");
                }
                assertNull(consumer.poll());
                assertFalse(consumer.hasInput());
                assertTrue(producer.hasRoom());
            }
            assertEquals(0L, (long) RingLayout.TAIL_H.getVolatile(memory, SocketRingLayout.CURSORS_OFFSET),
                    "the tail is not used");
        }
    }

    @Test
    void shouldClaimNothingBeforeThePublishSoAnAbandonedClaimCostsNoRecord() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment memory = memory(arena, 4);
            final SocketRing producer = view(memory);
            final SocketRing consumer = view(memory);
            final long first = producer.tryClaim();
            producer.write(first, 1, 0, MetaHeader.managed(8, 999, 0));
            assertNull(consumer.poll(), "written, not published: nothing to take");
            assertFalse(consumer.hasInput());
            assertEquals(first, producer.tryClaim(), "an unpublished claim is the next claim again");
            offer(producer, 64);
            assertEquals(64, consumer.poll().meta().handle(), "the record was written again, not delivered twice");
            assertNull(consumer.poll());
        }
    }

    @Test
    void shouldLetANewProducerViewGoOnAfterThePublishedRecordsAndRewriteAHalfWrittenOne() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment memory = memory(arena, 8);
            final SocketRing consumer = view(memory);
            final SocketRing gone = view(memory);
            for (int i = 0; i < 5; i++) {
                offer(gone, 100 + i);
            }
            assertEquals(100, consumer.poll().meta().handle());
            assertEquals(101, consumer.poll().meta().handle());
            // The old producer "dies" writing its sixth record: body written, never published.
            final long torn = gone.tryClaim();
            gone.write(torn, 1, 0, MetaHeader.managed(8, 666, 0));
            final SocketRing next = view(memory);
            assertTrue(next.hasRoom(), "5 published, 2 taken: room for 5 more");
            assertEquals(torn, next.tryClaim(), "the next view starts after the published records, at the torn one");
            for (int i = 0; i < 5; i++) {
                offer(next, 200 + i);
            }
            assertEquals(-1, next.tryClaim(), "8 in the ring: full");
            final List<Long> taken = new ArrayList<>();
            SocketRing.Entry entry;
            while ((entry = consumer.poll()) != null) {
                taken.add(entry.meta().handle());
            }
            assertEquals(List.of(102L, 103L, 104L, 200L, 201L, 202L, 203L, 204L), taken);
            // And one more lap on the new view, past the records the old one left in the previous lap.
            for (int i = 0; i < 8; i++) {
                offer(next, 300 + i);
            }
            final SocketRing third = view(memory);
            assertFalse(third.hasRoom(), "a view made now finds the ring full: 8 published, none taken");
            for (int i = 0; i < 8; i++) {
                assertEquals(300 + i, consumer.poll().meta().handle());
            }
            assertTrue(third.hasRoom());
        }
    }

    @Test
    void shouldNeverSkipAnUnpublishedRecordEvenWhenItsClaimTagNamesADeadProcess() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment memory = memory(arena, 4);
            final SocketRing producer = view(memory);
            final SocketRing consumer = view(memory);
            final Process gone = new ProcessBuilder("true").start();
            assertTrue(gone.waitFor(10, java.util.concurrent.TimeUnit.SECONDS));
            final long position = producer.tryClaim();
            // A multi-producer ring skips such a record after 10 ms; here it is simply not there yet.
            RingLayout.CLAIMER_H.setVolatile(memory, consumer.record(position),
                    consumer.tag(position, SequencedRing.identity(gone.pid(), 0)));
            assertNull(consumer.poll(null, true));
            Thread.sleep(3 * SequencedRing.CLAIMER_CHECK_NANOS / 1_000_000);
            assertNull(consumer.poll(null, true));
            assertEquals(0, consumer.skipped());
            offer(producer, 64);
            assertEquals(64, consumer.poll(null, true).meta().handle());
        }
    }

    @Test
    void shouldGiveEachRecordOfOneProducerToExactlyOneOfThreeConsumersInOrder() throws Exception {
        final int count = 300_000;
        try (Arena arena = Arena.ofShared()) {
            final MemorySegment memory = memory(arena, 64);
            final AtomicBoolean done = new AtomicBoolean();
            final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            final List<List<Long>> seen = new ArrayList<>();
            final List<Thread> consumers = new ArrayList<>();
            for (int c = 0; c < 3; c++) {
                final List<Long> mine = new ArrayList<>();
                seen.add(mine);
                final SocketRing ring = view(memory);
                consumers.add(Thread.ofPlatform().start(() -> {
                    try {
                        while (true) {
                            final SocketRing.Entry entry = ring.poll();
                            if (entry != null) {
                                mine.add(entry.meta().handle());
                            } else if (done.get() && !ring.hasInput()) {
                                return;
                            } else {
                                Thread.onSpinWait();
                            }
                        }
                    } catch (Throwable t) {
                        failures.add(t);
                    }
                }));
            }
            final SocketRing producer = view(memory);
            for (long i = 0; i < count; i++) {
                long position;
                while ((position = producer.tryClaim()) < 0) {
                    Thread.onSpinWait();
                }
                producer.write(position, 1, 0, MetaHeader.managed(8, i * 16, 0));
                assertTrue(producer.publish(position));
            }
            done.set(true);
            for (final Thread consumer : consumers) {
                consumer.join(60_000);
                assertFalse(consumer.isAlive(), "a consumer did not finish");
            }
            assertTrue(failures.isEmpty(), () -> "consumer failed: " + failures);
            final boolean[] delivered = new boolean[count];
            int total = 0;
            for (final List<Long> mine : seen) {
                long last = -1;
                for (final long handle : mine) {
                    final int i = (int) (handle / 16);
                    assertFalse(delivered[i], "record " + i + " delivered twice");
                    delivered[i] = true;
                    assertTrue(handle > last, "each consumer takes records in ring order");
                    last = handle;
                    total++;
                }
            }
            assertEquals(count, total, "every record delivered once");
        }
    }
}
