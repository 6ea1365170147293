package io.shmq.transport.shmem.internal.ring;

import io.shmq.transport.api.MetaHeader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ring protocol in one process: order, full, and records of a producer that never publishes. */
class SocketRingTest {
    private static SocketRing ring(final Arena arena, final int capacity) {
        final MemorySegment memory = arena.allocate(SocketRingLayout.bytes(capacity), 128);
        SocketRing.format(memory, 0, capacity);
        return new SocketRing(memory, 0, "test ring");
    }

    private static void offer(final SocketRing ring, final long handle) {
        final long position = ring.tryClaim();
        assertTrue(position >= 0, "room for handle=" + handle);
        ring.write(position, 1, 0, MetaHeader.managed(8, handle, 0));
        assertTrue(ring.publish(position));
    }

    @Test
    void shouldDeliverInOrderAndRefuseClaimWhenFull() {
        try (Arena arena = Arena.ofConfined()) {
            final SocketRing ring = ring(arena, 4);
            for (int lap = 0; lap < 3; lap++) {
                for (int i = 0; i < 4; i++) {
                    offer(ring, 64 * i);
                }
                assertEquals(-1, ring.tryClaim(), "full at capacity");
                assertFalse(ring.hasRoom());
                for (int i = 0; i < 4; i++) {
                    assertEquals(64 * i, ring.poll().meta().handle());
                }
                assertNull(ring.poll());
            }
        }
    }

    @Test
    void shouldSkipARecordOfAProducerProvenDeadAtOnceAndKeepALiveOnesPlace() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            final SocketRing ring = ring(arena, 4);
            final Process gone = new ProcessBuilder("true").start();
            assertTrue(gone.waitFor(10, java.util.concurrent.TimeUnit.SECONDS));
            final long dead = ring.tryClaim(); // then the record names a process that is gone
            SocketRingLayout.CLAIMER_H.setRelease(ring.memory, ring.record(dead), gone.pid() << 32);
            offer(ring, 128);
            assertNull(ring.poll(), "the unpublished record holds the head at first");
            assertFalse(ring.hasPublished(), "a waiting consumer sleeps: nothing is published at the head");
            Thread.sleep(2 * SequencedRing.CLAIMER_CHECK_NANOS / 1_000_000);
            assertEquals(128, ring.poll().meta().handle(), "skipped once its claimer is proven dead, not after 2 s");
            // A record claimed by this (live) process keeps its place.
            final long mine = ring.tryClaim();
            offer(ring, 256);
            Thread.sleep(50);
            assertNull(ring.poll());
            Thread.sleep(50);
            assertNull(ring.poll(), "a live producer's record is not skipped before the unblock time");
            ring.write(mine, 1, 0, MetaHeader.managed(8, 192, 0));
            assertTrue(ring.publish(mine));
            assertEquals(192, ring.poll().meta().handle());
            assertEquals(256, ring.poll().meta().handle());
        }
    }

    @Test
    void shouldSkipRecordClaimedButNeverPublishedAfterTheUnblockTime() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            final SocketRing ring = ring(arena, 4);
            final long dead = ring.tryClaim(); // a producer that dies here
            offer(ring, 128);
            assertNull(ring.poll(), "the unpublished record holds the head for now");
            Thread.sleep(SocketRing.UNBLOCK_NANOS / 1_000_000 + 200);
            assertEquals(128, ring.poll().meta().handle(), "skipped after the unblock time");
            ring.write(dead, 1, 0, MetaHeader.managed(8, 64, 0));
            assertFalse(ring.publish(dead), "a late publish of a skipped record fails: the sender keeps the message");
            assertNull(ring.poll());
        }
    }
}
