package io.shmq.transport.shmem.internal.segment;

import io.shmq.transport.shmem.internal.os.ShmFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A large allocation reserves the file where its blocks will end before it takes the segment's lock, so the lock is
 * not held through {@code posix_fallocate}: shown by holding the lock while another thread allocates.
 */
class ReserveBeforeLockTest {
    private static final long SIZE = 1L << 30;
    private static final long MIB = 1L << 20;
    private Path file;
    private ManagedSegment segment;

    @BeforeEach
    void setUp() {
        file = ShmFiles.DEFAULT_DIRECTORY.resolve("shmq_test_reserve_" + UUID.randomUUID());
        segment = ManagedSegment.create(file, 0, SIZE, 0x1234, "test");
    }

    @AfterEach
    void tearDown() throws Exception {
        segment.close();
        Files.deleteIfExists(file);
    }

    private long reservedEnd() {
        return (long) SegmentLayout.RESERVED_END_H.getVolatile(segment.memory(), 0L);
    }

    @Test
    void shouldReserveABatchOfLargeBlocksBeforeTakingTheLock() throws Exception {
        assertEquals(SegmentLayout.HEAP_OFFSET + ManagedSegment.RESERVE_STEP, reservedEnd(), "the first step");
        final long total = ManagedSegment.largeBlockBytes(16 * MIB, 16);
        final long expected = ManagedSegment.align(SegmentLayout.HEAP_OFFSET + 4 * total + BlockLayout.MIN_LARGE,
                ManagedSegment.RESERVE_STEP);
        assertEquals(72 * MIB, expected, "four blocks of 16 MiB and their headers: 72 MiB");
        final long[] blocks = new long[4];
        final CompletableFuture<Integer> taken;
        segment.lock().lock();
        try {
            taken = CompletableFuture.supplyAsync(() -> segment.allocateLarge(16 * MIB, 16, blocks, 4,
                    (index, block, generation) -> { }));
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (reservedEnd() < expected && System.nanoTime() - deadline < 0) {
                Thread.sleep(1);
            }
            assertEquals(expected, reservedEnd(), "reserved while this thread holds the lock");
            assertFalse(taken.isDone(), "the allocation waits for the lock");
        } finally {
            segment.lock().unlock();
        }
        assertEquals(4, taken.get(10, TimeUnit.SECONDS));
        for (final long block : blocks) {
            assertTrue(block + segment.largeBlockSize(block) <= expected, "every block inside what was reserved");
        }
        assertEquals(expected, reservedEnd(), "nothing more under the lock");
    }
}
