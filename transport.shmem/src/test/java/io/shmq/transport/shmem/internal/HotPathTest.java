package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.UnmanagedRegion;
import io.shmq.transport.shmem.internal.segment.SegmentLayout;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cached resolve path allocates nothing beyond the returned view (measured with the thread's allocation
 * counter, not with a clock), and the default 2 GiB segment is sparse and usable.
 */
class HotPathTest {
    /** A MemorySegment view is a few dozen bytes; anything that boxes, copies or builds a string is far more. */
    private static final long MAX_BYTES_PER_RESOLVE = 96;

    @RegisterExtension
    final ShmSession shm = new ShmSession();

    private static long allocatedPerCall(final Runnable call) {
        final var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 200_000; i++) {
            call.run();
        }
        final int n = 1_000_000;
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < n; i++) {
            call.run();
        }
        return (threads.getCurrentThreadAllocatedBytes() - before) / n;
    }

    @Test
    void shouldResolveFromKnownSegmentAndRegionWithoutAllocatingBeyondTheView() {
        final ShmemFactory producer = shm.factory("producer");
        final ShmemFactory consumer = shm.factory("consumer");
        try (Message message = producer.createMessage(64);
             UnmanagedRegion region = producer.createUnmanagedRegion(4096, ShmSession.IGNORE, RegionConfig.DEFAULT)) {
            final MetaHeader managed = ((SharedMemoryMessage) message).meta();
            final MetaHeader inRegion = MetaHeader.region(64, 128, region.id(), 0);
            final long[] sink = new long[1];
            final long managedBytes = allocatedPerCall(() -> sink[0] += consumer.resolve(managed).address());
            final long regionBytes = allocatedPerCall(() -> sink[0] += consumer.resolve(inRegion).address());
            System.out.printf("cached resolve allocates %d bytes (managed), %d bytes (region) per call%n",
                    managedBytes, regionBytes);
            assertTrue(managedBytes <= MAX_BYTES_PER_RESOLVE, "managed: " + managedBytes + " bytes per resolve");
            assertTrue(regionBytes <= MAX_BYTES_PER_RESOLVE, "region: " + regionBytes + " bytes per resolve");
            assertTrue(sink[0] != 0);
        }
    }

    @Test
    void shouldUseTheDefaultTwoGibSegmentSparsely() {
        final ShmemFactory factory = shm.track(new ShmemFactory(FactoryConfig.builder("a").session(shm.name())
                .build()));
        assertEquals(FactoryConfig.DEFAULT_SEGMENT_SIZE, factory.ownSegment().size());
        assertEquals(FactoryConfig.DEFAULT_SEGMENT_SIZE - SegmentLayout.HEAP_OFFSET, factory.freeMemory());
        try (Message message = factory.createMessage(100 << 20)) {
            Payload.fill(message.data(), 3);
            assertEquals(-1, Payload.check(message.data(), 3));
        }
        assertEquals(FactoryConfig.DEFAULT_SEGMENT_SIZE - SegmentLayout.HEAP_OFFSET, factory.freeMemory());
    }
}
