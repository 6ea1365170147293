package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.RegionEvent;
import io.shmq.transport.api.RegionEventSubscription;
import io.shmq.transport.api.RegionInfo;
import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.api.SharedMemoryMessage;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The side channel and the release paths across two JVMs of one session. */
class CrossProcessTest {
    @RegisterExtension
    final ShmSession shm = new ShmSession();

    @Test
    void shouldResolveEveryByteOfManagedAndRegionMessagesOfAnotherProcess() throws Exception {
        final ShmemFactory parent = shm.factory("parent");
        try (ChildJvm child = new ChildJvm(shm.name(), ShmSession.SEGMENT_SIZE)) {
            final MetaHeader ab = Payload.meta(child.call("alloc 2 1", "META", 30));
            final MetaHeader big = Payload.meta(child.call("alloc 300000 2", "META", 30));
            final MetaHeader zero = Payload.meta(child.call("alloc 0 3", "META", 30));
            final int regionId = Integer.parseInt(child.call("region 1048576 -1", "REGION", 30));
            final MetaHeader inRegion = Payload.meta(child.call("rmsg " + regionId + " 4096 5000 11 4", "META", 30));
            assertEquals(-1, Payload.check(parent.resolve(ab), 1));
            assertEquals(2, parent.resolve(ab).byteSize());
            assertEquals(-1, Payload.check(parent.resolve(big), 2));
            assertEquals(300000, parent.resolve(big).byteSize());
            assertEquals(MemorySegment.NULL, parent.resolve(zero));
            assertEquals(-1, Payload.check(parent.resolve(inRegion), 4));
            assertEquals(5000, parent.resolve(inRegion).byteSize());
            assertEquals("CLOSED", "CLOSED" + child.call("closeheld", "CLOSED", 30));
        }
    }

    @Test
    void shouldAcknowledgeEveryReleaseToTheCreatorAndPrintHowLongItTook() throws Exception {
        final ShmemFactory parent = shm.factory("parent");
        try (ChildJvm child = new ChildJvm(shm.name(), ShmSession.SEGMENT_SIZE)) {
            final int regionId = Integer.parseInt(child.call("tregion 65536 3000", "REGION", 30));
            final long[] latencies = new long[100];
            for (int i = 0; i < latencies.length; i++) {
                final MetaHeader meta = Payload.meta(child.call("rgive " + regionId + " " + i * 64 + " 64 " + i + " "
                        + i, "META", 30));
                Thread.sleep(5); // the creator's worker is idle again: asleep on its doorbells
                final Message message = parent.adopt(meta);
                final long released = System.nanoTime();
                message.close();
                latencies[i] = Long.parseLong(child.expect("TACK", 30)) - released;
            }
            java.util.Arrays.sort(latencies);
            // Both JVMs read CLOCK_MONOTONIC; printed, not asserted (a resource figure for the README).
            System.out.printf("release -> creator's callback across processes: median %d us, p90 %d us, max %d us%n",
                    latencies[50] / 1000, latencies[90] / 1000, latencies[99] / 1000);
        }
    }

    @Test
    void shouldFireChildCallbackWhenParentClosesRegionMessage() throws Exception {
        final ShmemFactory parent = shm.factory("parent");
        try (ChildJvm child = new ChildJvm(shm.name(), ShmSession.SEGMENT_SIZE)) {
            final int regionId = Integer.parseInt(child.call("region 65536 -1", "REGION", 30));
            final MetaHeader meta = Payload.meta(child.call("rgive " + regionId + " 1024 300 99 5", "META", 30));
            try (Message message = parent.adopt(meta)) {
                assertEquals(-1, Payload.check(message.data(), 5));
            }
            assertEquals("1024 300 99", child.expect("ACK", 30));
        }
    }

    @Test
    void shouldFreeInOneProcessWhatTheOtherAllocated() throws Exception {
        final ShmemFactory parent = shm.factory("parent");
        final long start = parent.freeMemory();
        try (ChildJvm child = new ChildJvm(shm.name(), ShmSession.SEGMENT_SIZE)) {
            for (final long size : new long[] {10, 3000, 100_000}) {
                final MetaHeader meta = Payload.meta(child.call("give " + size + " 6", "META", 30));
                assertTrue(parent.freeMemory() < start);
                try (Message message = parent.adopt(meta)) {
                    assertEquals(-1, Payload.check(message.data(), 6));
                }
                assertEquals(start, parent.freeMemory() + Long.parseLong(child.call("cached", "CACHED", 30)),
                        "the child allocated, the parent freed (the child's block cache keeps what it took at once)");
            }
            final Message mine = parent.createMessage(5000);
            Payload.fill(mine.data(), 7);
            final MetaHeader meta = parent.detach(mine);
            assertEquals("-1", child.call("check " + Payload.hex(meta) + " 7", "CHECKED", 30));
            child.call("free " + Payload.hex(meta), "FREED", 30);
            final long childCached = Long.parseLong(child.call("cached", "CACHED", 30));
            assertEquals(start, parent.freeMemory() + childCached, "the parent allocated, the child freed");
            assertEquals(start, Long.parseLong(child.call("free-memory", "FREE", 30)) + parent.cachedBytes());
        }
    }

    @Test
    void shouldNeverCacheAMissWhenAnotherProcessCreatesTheRegionLater() throws Exception {
        final ShmemFactory parent = shm.factory("parent");
        try (ChildJvm child = new ChildJvm(shm.name(), ShmSession.SEGMENT_SIZE)) {
            final MetaHeader meta = MetaHeader.region(64, 128, 3000, 0);
            final SharedMemoryException miss = assertThrows(SharedMemoryException.class, () -> parent.resolve(meta));
            assertTrue(miss.getMessage().contains("regionId=3000"), miss.getMessage());
            child.call("region 4096 3000", "REGION", 30);
            child.call("rmsg 3000 128 64 0 8", "META", 30);
            assertEquals(-1, Payload.check(parent.resolve(meta), 8), "same thread, retried: success");
        }
    }

    @Test
    void shouldRecoverAllocatorLockFromProcessKilledWhileHoldingIt() throws Exception {
        final ShmemFactory parent = shm.factory("parent");
        final long start = parent.freeMemory();
        final ChildJvm child = new ChildJvm(shm.name(), ShmSession.SEGMENT_SIZE);
        try {
            child.call("lock", "LOCKED", 30);
            assertEquals(child.pid(), parent.ownSegment().lock().owner() >>> 32, "the child owns the lock");
            // A waiter blocks on the lock while its owner lives...
            // Large blocks always take the lock.
            final CompletableFuture<Message> waiter =
                    CompletableFuture.supplyAsync(() -> parent.createMessage(1 << 20));
            Thread.sleep(300);
            assertTrue(!waiter.isDone(), "blocked while the owner lives");
            // ...and gets the lock once the owner is killed.
            final long before = System.nanoTime();
            child.process().destroyForcibly().waitFor();
            final Message message = waiter.get(30, TimeUnit.SECONDS);
            System.out.printf("allocator lock recovered %.1f ms after kill -9 of its owner%n",
                    (System.nanoTime() - before) / 1e6);
            Payload.fill(message.data(), 9);
            assertEquals(-1, Payload.check(message.data(), 9));
            message.close();
            assertEquals(start, parent.freeMemory());
            assertEquals(0, parent.ownSegment().lock().owner());
        } finally {
            child.close();
        }
        parent.close();
        try (Stream<Path> files = Files.list(ShmSession.DIRECTORY)) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().startsWith("shmq_" + shm.shmId()))
                    .toList(), "the dead child's device slot does not keep the session alive");
        }
    }

    @Test
    void shouldRecoverSessionLockFromProcessKilledWhileHoldingIt() throws Exception {
        final ShmemFactory parent = shm.factory("parent");
        final ChildJvm child = new ChildJvm(shm.name(), ShmSession.SEGMENT_SIZE);
        try {
            child.call("session-lock", "LOCKED", 30);
            child.process().destroyForcibly().waitFor();
            // Joining and creating a region both take the session lock.
            final ShmemFactory late = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> shm.factory("late"));
            try (var region = assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> parent.createUnmanagedRegion(4096, ShmSession.IGNORE, RegionConfig.DEFAULT))) {
                assertEquals(4096, late.resolve(MetaHeader.region(4096, 0, region.id(), 0)).byteSize());
            }
        } finally {
            child.close();
        }
    }

    @Test
    void shouldTellSubscribersOfRegionsCreatedAndDestroyedByAnotherProcess() throws Exception {
        final ShmemFactory parent = shm.factory("parent");
        final BlockingQueue<RegionInfo> events = new LinkedBlockingQueue<>();
        try (ChildJvm child = new ChildJvm(shm.name(), ShmSession.SEGMENT_SIZE);
             RegionEventSubscription subscription = parent.subscribeToRegionEvents(events::add)) {
            final int id = Integer.parseInt(child.call("region 8192 -1", "REGION", 30));
            assertEquals(new RegionInfo(false, id, 8192, 0, RegionEvent.CREATED), events.poll(30, TimeUnit.SECONDS));
            final MetaHeader meta = MetaHeader.region(16, 0, id, 0);
            assertEquals(16, parent.resolve(meta).byteSize());
            child.call("rclose " + id, "RCLOSED", 30);
            assertEquals(new RegionInfo(false, id, 8192, 0, RegionEvent.DESTROYED),
                    events.poll(30, TimeUnit.SECONDS));
            final SharedMemoryException e = assertThrows(SharedMemoryException.class, () -> parent.resolve(meta));
            assertTrue(e.getMessage().contains("unknown or destroyed"), e.getMessage());
        }
    }

    @Test
    void shouldShareRegionCopiesAcrossProcessesAndAcknowledgeOnce() throws Exception {
        final ShmemFactory parent = shm.factory("parent");
        try (ChildJvm child = new ChildJvm(shm.name(), ShmSession.SEGMENT_SIZE)) {
            final int regionId = Integer.parseInt(child.call("region 65536 -1", "REGION", 30));
            final MetaHeader meta = Payload.meta(child.call("rgive " + regionId + " 0 16 3 10", "META", 30));
            final Message first = parent.adopt(meta);
            final Message second = first.copy();
            assertEquals(MetaHeader.NOT_SHARED, ((SharedMemoryMessage) second).meta().shared(),
                    "copies in one process share its reference: no counter yet");
            // The copy goes back to the child while the parent keeps the original: the range is counted now.
            final MetaHeader sent = parent.detach(second);
            assertTrue(sent.shared() != MetaHeader.NOT_SHARED, "a copy that leaves the process is counted");
            assertEquals(sent.shared(), ((SharedMemoryMessage) first).meta().shared());
            // The child releases its reference: no acknowledgement yet (were there one, its line would come before
            // FREED, be skipped here, and the expect below would time out).
            child.call("free " + Payload.hex(sent), "FREED", 30);
            // The parent's release is the last: the child's own callback fires, once.
            first.close();
            assertEquals("0 16 3", child.expect("ACK", 30));
        }
    }
}
