package io.shmq.transport.shmem.internal.ring;

import io.shmq.transport.api.RegionBlock;
import io.shmq.transport.api.SharedMemoryException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The acknowledgement ring: order, wrap-around, batching, unblocking a record whose producer died. */
class AckRingTest {
    @Test
    void shouldDeliverInOrderAcrossManyLapsInBatches() {
        try (Arena arena = Arena.ofConfined()) {
            final AckRing ring = AckRing.format(arena.allocate(AckRingLayout.bytes(8), 128), 8, "test");
            final List<RegionBlock> out = new ArrayList<>();
            long next = 0;
            for (int i = 0; i < 100; i++) {
                ring.offer(i, i + 1, -i);
                if (i % 5 == 4) {
                    assertEquals(3, ring.drain(out, 3), "at most max per call");
                    assertEquals(2, ring.drain(out, 256));
                }
            }
            for (final RegionBlock block : out) {
                assertEquals(new RegionBlock(next, next + 1, -next), block);
                next++;
            }
            assertEquals(100, next);
        }
    }

    @Test
    void shouldSkipARecordClaimedByAProducerThatDiedBeforePublishing() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment memory = arena.allocate(AckRingLayout.bytes(8), 128);
            final AckRing ring = AckRing.format(memory, 8, "test");
            // A producer claims position 0 and dies before it stakes the record (so nothing names it alive).
            assertTrue(RingLayout.TAIL_H.compareAndSet(memory, AckRingLayout.CURSORS_OFFSET, 0L, 1L));
            ring.offer(4096, 10, 7);
            final List<RegionBlock> out = new ArrayList<>();
            assertEquals(0, ring.drain(out, 256), "blocked behind the claimed record");
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(AckRing.UNBLOCK_NANOS) + 100);
            assertEquals(2, ring.drain(out, 256), "the dead record is skipped, the live one delivered");
            assertEquals(List.of(new RegionBlock(4096, 10, 7)), out);
            for (int i = 0; i < 20; i++) {
                ring.offer(i, 1, 0);
                assertEquals(1, ring.drain(out, 256));
            }
        }
    }

    @Test
    void shouldRejectAttachingSomethingThatIsNotARing() {
        try (Arena arena = Arena.ofConfined()) {
            final SharedMemoryException e = assertThrows(SharedMemoryException.class,
                    () -> AckRing.check(arena.allocate(1024, 128), "test"));
            assertTrue(e.getMessage().contains("magic=0"), e.getMessage());
        }
    }
}
