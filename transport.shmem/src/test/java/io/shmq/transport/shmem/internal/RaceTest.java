package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.UnmanagedRegion;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Races between resolution and the life cycle of regions, factories and sessions. */
class RaceTest {
    @RegisterExtension
    final ShmSession shm = new ShmSession();

    @Test
    void shouldResolveOnlyLiveRegionsWhileARegionIdIsCreatedAndDestroyedRepeatedly() {
        final ShmemFactory creator = shm.factory("creator");
        final ShmemFactory consumer = shm.factory("consumer");
        final int id = 5000;
        final MetaHeader meta = MetaHeader.region(8, 0, id, 0);
        final AtomicBoolean running = new AtomicBoolean(true);
        assertTimeoutPreemptively(Duration.ofMinutes(1), () -> {
            final ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                final Future<long[]> resolver = pool.submit(() -> {
                    long hits = 0;
                    long misses = 0;
                    while (running.get()) {
                        try {
                            final MemorySegment payload = consumer.resolve(meta);
                            assertEquals(8, payload.byteSize());
                            final long value = payload.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
                            assertTrue(value == 0 || value >= 1000, "a region's own stamp: " + value);
                            hits++;
                        } catch (SharedMemoryException e) {
                            misses++;
                        } catch (IllegalStateException e) {
                            // Documented: a destroyed region is unmapped at once; its payload then throws this.
                            misses++;
                        }
                    }
                    return new long[] {hits, misses};
                });
                for (int round = 0; round < 200; round++) {
                    try (UnmanagedRegion region = creator.createUnmanagedRegion(4096 * (1 + round % 3),
                            ShmSession.IGNORE, RegionConfig.builder().id(id).linger(Duration.ZERO).build())) {
                        region.data().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, 1000 + round);
                        Thread.onSpinWait();
                    }
                }
                running.set(false);
                final long[] counts = resolver.get(30, TimeUnit.SECONDS);
                assertTrue(counts[0] + counts[1] > 0);
            } finally {
                running.set(false);
                pool.shutdownNow();
            }
        });
        assertThrowsUnknown(consumer, meta);
    }

    private static void assertThrowsUnknown(final ShmemFactory factory, final MetaHeader meta) {
        try {
            factory.resolve(meta);
            throw new AssertionError("resolved a destroyed region");
        } catch (SharedMemoryException expected) {
            assertTrue(expected.getMessage().contains("unknown or destroyed"), expected.getMessage());
        }
    }

    @Test
    void shouldKeepTheFilesOfARegionRecreatedByAnotherFactoryRightAfterClose() throws Exception {
        final ShmemFactory first = shm.factory("first");
        final ShmemFactory second = shm.factory("second");
        final ShmemFactory consumer = shm.factory("consumer");
        final int id = 6000;
        final RegionConfig config = RegionConfig.builder().id(id).linger(Duration.ZERO).build();
        assertTimeoutPreemptively(Duration.ofMinutes(1), () -> {
            for (int round = 0; round < 100; round++) {
                final ShmemFactory creator = round % 2 == 0 ? first : second;
                final ShmemFactory next = round % 2 == 0 ? second : first;
                final UnmanagedRegion old = creator.createUnmanagedRegion(4096, ShmSession.IGNORE, config);
                final ExecutorService pool = Executors.newSingleThreadExecutor();
                try {
                    final Future<?> closing = pool.submit(old::close);
                    UnmanagedRegion fresh = null;
                    while (fresh == null) {
                        try {
                            fresh = next.createUnmanagedRegion(4096, ShmSession.IGNORE, config);
                        } catch (SharedMemoryException stillThere) {
                            Thread.onSpinWait();
                        }
                    }
                    closing.get(30, TimeUnit.SECONDS);
                    fresh.data().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, round);
                    assertEquals(round, consumer.resolve(MetaHeader.region(8, 0, id, 0))
                            .get(ValueLayout.JAVA_LONG_UNALIGNED, 0), "the new region's files are intact");
                    fresh.close();
                } finally {
                    pool.shutdownNow();
                }
            }
        });
    }

    @Test
    void shouldNeverCrashWhenTheFactoryClosesUnderResolvingAndReadingThreads() throws Exception {
        final ShmemFactory producer = shm.factory("producer");
        final ShmemFactory consumer = shm.factory("consumer");
        try (Message message = producer.createMessage(4096)) {
            Payload.fill(message.data(), 1);
            final MetaHeader meta = ((SharedMemoryMessage) message).meta();
            assertTimeoutPreemptively(Duration.ofMinutes(1), () -> {
                final ExecutorService pool = Executors.newFixedThreadPool(2);
                try {
                    final List<Future<String>> readers = new ArrayList<>();
                    for (int t = 0; t < 2; t++) {
                        readers.add(pool.submit(() -> {
                            long reads = 0;
                            while (true) {
                                try {
                                    final MemorySegment payload = consumer.resolve(meta);
                                    if (Payload.check(payload, 1) != -1) {
                                        return "corrupt payload after " + reads + " reads";
                                    }
                                    reads++;
                                } catch (TransportClosedException | IllegalStateException e) {
                                    return "closed";
                                }
                            }
                        }));
                    }
                    Thread.sleep(200);
                    consumer.close();
                    for (final Future<String> reader : readers) {
                        assertEquals("closed", reader.get(30, TimeUnit.SECONDS));
                    }
                } finally {
                    pool.shutdownNow();
                }
            });
            assertEquals(-1, Payload.check(message.data(), 1), "the producer's mapping is unaffected");
        }
    }

    @Test
    void shouldSurviveTwoProcessesJoiningAndLeavingOneSessionConcurrently() throws Exception {
        final String churned = shm.newSession();
        try (ChildJvm child = new ChildJvm(shm.name(), ShmSession.SEGMENT_SIZE)) {
            assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
                child.send("churn " + churned + " 60");
                for (int round = 0; round < 60; round++) {
                    try (ShmemFactory factory = new ShmemFactory(shm.config("parent").session(churned).build());
                         Message message = factory.createMessage(1000)) {
                        Payload.fill(message.data(), round);
                        assertEquals(-1, Payload.check(message.data(), round));
                    }
                }
                child.expect("CHURNED", 120);
            });
        }
    }
}
