package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.RegionBlock;
import io.shmq.transport.api.RegionBulkCallback;
import io.shmq.transport.api.RegionCallback;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.RegionEvent;
import io.shmq.transport.api.RegionEventSubscription;
import io.shmq.transport.api.RegionInfo;
import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.UnmanagedRegion;
import io.shmq.transport.shmem.internal.os.ShmFiles;
import io.shmq.transport.shmem.internal.region.LocalRegion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Unmanaged regions: ids, files, messages, acknowledgements, copies, events, info. */
class RegionTest {
    @RegisterExtension
    final ShmSession shm = new ShmSession();

    @Test
    void shouldAssignAutomaticIdsFrom1024AndRejectTakenFixedIds() {
        final ShmemFactory factory = shm.factory("a");
        try (UnmanagedRegion first = factory.createUnmanagedRegion(4096, ShmSession.IGNORE, RegionConfig.DEFAULT);
             UnmanagedRegion second = factory.createUnmanagedRegion(4096, ShmSession.IGNORE, RegionConfig.DEFAULT);
             UnmanagedRegion fixed = factory.createUnmanagedRegion(4096, ShmSession.IGNORE,
                     RegionConfig.builder().id(7).build())) {
            assertEquals(1024, first.id());
            assertEquals(1025, second.id());
            assertEquals(7, fixed.id());
            final SharedMemoryException e = assertThrows(SharedMemoryException.class,
                    () -> shm.factory("b").createUnmanagedRegion(4096, ShmSession.IGNORE,
                            RegionConfig.builder().id(7).build()));
            assertTrue(e.getMessage().contains("regionId=7 already exists"), e.getMessage());
            assertTrue(Files.exists(ShmFiles.region(ShmSession.DIRECTORY, shm.shmId(), 1024)));
            assertTrue(Files.exists(ShmFiles.ring(ShmSession.DIRECTORY, shm.shmId(), 1024)));
        }
        assertFalse(Files.exists(ShmFiles.region(ShmSession.DIRECTORY, shm.shmId(), 1024)), "removed on close");
    }

    @Test
    void shouldAcknowledgeEachReleasedBlockOnceAfterTheLastCopy() throws Exception {
        final ShmemFactory factory = shm.factory("a");
        final BlockingQueue<RegionBlock> released = new LinkedBlockingQueue<>();
        final long start = factory.freeMemory();
        final RegionCallback callback = released::add;
        try (UnmanagedRegion region = factory.createUnmanagedRegion(1 << 16, callback, RegionConfig.DEFAULT)) {
            final Message message = factory.createMessage(region, 100, 50, 9);
            message.setUsedSize(40);
            final Message copy = message.copy();
            final MetaHeader meta = ((SharedMemoryMessage) copy).meta();
            assertEquals(MetaHeader.NOT_SHARED, meta.shared(), "copies in one process share its reference: no "
                    + "counter until one goes to another process (CopyShareTest)");
            message.close();
            assertNull(released.poll(200, TimeUnit.MILLISECONDS), "one copy is still open");
            copy.close();
            assertEquals(new RegionBlock(100, 40, 9), released.poll(10, TimeUnit.SECONDS));
            assertNull(released.poll(100, TimeUnit.MILLISECONDS), "exactly once");
        }
        assertEquals(start, factory.freeMemory(), "the shared counter block was freed");
    }

    @Test
    void shouldBatchAcknowledgementsForBulkCallbacks() throws Exception {
        final ShmemFactory factory = shm.factory("a");
        final List<Integer> batches = new CopyOnWriteArrayList<>();
        final List<RegionBlock> blocks = new CopyOnWriteArrayList<>();
        final RegionBulkCallback callback = list -> {
            batches.add(list.size());
            blocks.addAll(list);
        };
        final UnmanagedRegion region = factory.createUnmanagedRegionBulk(1 << 20, callback,
                RegionConfig.builder().linger(Duration.ofSeconds(10)).build());
        final List<Message> messages = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            messages.add(factory.createMessage(region, i * 64L, 64, i));
        }
        messages.forEach(Message::close);
        region.close();
        assertEquals(1000, blocks.size(), "linger waited for every acknowledgement");
        assertTrue(batches.stream().allMatch(n -> n >= 1 && n <= LocalRegion.BATCH), batches.toString());
        assertEquals(499500L, blocks.stream().mapToLong(RegionBlock::hint).sum());
    }

    @Test
    void shouldRejectRangesOutsideRegionAndForeignRegions() {
        final ShmemFactory a = shm.factory("a");
        final ShmemFactory b = shm.factory("b");
        try (UnmanagedRegion region = a.createUnmanagedRegion(4096, ShmSession.IGNORE, RegionConfig.DEFAULT)) {
            assertThrows(IllegalArgumentException.class, () -> a.createMessage(region, 4000, 100, 0));
            assertThrows(IllegalArgumentException.class, () -> a.createMessage(region, -1, 1, 0));
            assertThrows(IllegalArgumentException.class, () -> b.createMessage(region, 0, 1, 0));
        }
    }

    @Test
    void shouldTellSubscribersOfExistingCreatedAndDestroyedRegions() throws Exception {
        final ShmemFactory a = shm.factory("a");
        final ShmemFactory b = shm.factory("b");
        final BlockingQueue<RegionInfo> events = new LinkedBlockingQueue<>();
        final UnmanagedRegion existing = a.createUnmanagedRegion(4096, ShmSession.IGNORE,
                RegionConfig.builder().userFlags(5).build());
        try (RegionEventSubscription subscription = b.subscribeToRegionEvents(events::add)) {
            final RegionInfo first = events.poll(10, TimeUnit.SECONDS);
            assertNotNull(first);
            assertEquals(new RegionInfo(false, existing.id(), 4096, 5, RegionEvent.CREATED), first);
            final UnmanagedRegion later = a.createUnmanagedRegion(8192, ShmSession.IGNORE, RegionConfig.DEFAULT);
            assertEquals(new RegionInfo(false, later.id(), 8192, 0, RegionEvent.CREATED),
                    events.poll(10, TimeUnit.SECONDS));
            existing.close();
            assertEquals(new RegionInfo(false, existing.id(), 4096, 5, RegionEvent.DESTROYED),
                    events.poll(10, TimeUnit.SECONDS));
            later.close();
            assertEquals(RegionEvent.DESTROYED, events.poll(10, TimeUnit.SECONDS).event());
        }
    }

    @Test
    void shouldListSegmentsAndRegionsInRegionInfo() {
        final ShmemFactory a = shm.factory("a");
        try (UnmanagedRegion region = a.createUnmanagedRegion(4096, ShmSession.IGNORE,
                RegionConfig.builder().userFlags(3).build())) {
            final List<RegionInfo> info = shm.factory("b").regionInfo();
            assertTrue(info.contains(new RegionInfo(true, 0, ShmSession.SEGMENT_SIZE, 0, RegionEvent.CREATED)),
                    info.toString());
            assertTrue(info.contains(new RegionInfo(false, region.id(), 4096, 3, RegionEvent.CREATED)),
                    info.toString());
        }
    }

    @Test
    void shouldBackRegionWithUserFileAndResolveItElsewhere(@TempDir final Path dir) {
        final ShmemFactory a = shm.factory("a");
        final ShmemFactory b = shm.factory("b");
        final Path file = dir.resolve("region.bin");
        try (UnmanagedRegion region = a.createUnmanagedRegion(8192, ShmSession.IGNORE, RegionConfig.builder()
                .path(file.toString()).zero(true).build())) {
            Payload.fill(region.data(), 5);
            assertEquals(-1, Payload.check(b.resolve(MetaHeader.region(8192, 0, region.id(), 0)), 5));
        }
        assertFalse(Files.exists(file), "removeOnDestruction (the default) removes a path region's file too");
        try (UnmanagedRegion region = a.createUnmanagedRegion(8192, ShmSession.IGNORE, RegionConfig.builder()
                .path(file.toString()).removeOnDestruction(false).build())) {
            assertEquals(8192, region.data().byteSize());
        }
        assertTrue(Files.exists(file), "removeOnDestruction(false) keeps it");
    }

    @Test
    void shouldRefuseARegionPathThatExistsUnlessAskedToOpenIt(@TempDir final Path dir) throws Exception {
        final Path file = dir.resolve("precious.bin");
        Files.write(file, new byte[] {1, 2, 3});
        final ShmemFactory a = shm.factory("a");
        final RegionConfig config = RegionConfig.builder().path(file.toString()).removeOnDestruction(false).build();
        final SharedMemoryException e = assertThrows(SharedMemoryException.class,
                () -> a.createUnmanagedRegion(8192, ShmSession.IGNORE, config));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("shmem.region-open-existing"),
                e.getMessage());
        assertEquals(3, Files.size(file), "the file was neither resized nor written");
        final ShmemFactory opener = shm.track(new ShmemFactory(shm.config("opener")
                .option("shmem.region-open-existing", "true").build()));
        try (UnmanagedRegion region = opener.createUnmanagedRegion(8192, ShmSession.IGNORE, config)) {
            assertEquals(1, region.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
        }
        assertTrue(Files.exists(file));
    }

    @Test
    void shouldUnmapADestroyedRegionInEveryFactoryThatResolvedIt() throws Exception {
        final ShmemFactory creator = shm.factory("creator");
        final ShmemFactory reader = shm.factory("reader");
        final String files = ShmFiles.PREFIX + shm.shmId() + "_rg_";
        final long size = 64L << 20;
        for (int cycle = 0; cycle < 100; cycle++) {
            final java.lang.foreign.MemorySegment view;
            try (UnmanagedRegion region = creator.createUnmanagedRegion(size, ShmSession.IGNORE,
                    RegionConfig.DEFAULT)) {
                region.data().set(java.lang.foreign.ValueLayout.JAVA_LONG, size - 8, cycle);
                view = reader.resolve(MetaHeader.region(8, size - 8, region.id(), 0));
                assertEquals(cycle, view.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0));
            }
        }
        // The reader's duty cycle unmaps what it resolved; without it 100 x 64 MiB would stay mapped here.
        final long deadline = System.nanoTime() + 2_000_000_000L;
        long mapped;
        do {
            Thread.sleep(5);
            mapped = Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.contains(files)).count();
        } while (mapped > 0 && System.nanoTime() < deadline);
        assertEquals(0, mapped, "mappings of destroyed regions left in this process");
        final java.lang.foreign.MemorySegment last;
        try (UnmanagedRegion region = creator.createUnmanagedRegion(4096, ShmSession.IGNORE, RegionConfig.DEFAULT)) {
            last = reader.resolve(MetaHeader.region(8, 0, region.id(), 0));
        }
        final long until = System.nanoTime() + 2_000_000_000L;
        while (last.scope().isAlive() && System.nanoTime() < until) {
            Thread.sleep(1);
        }
        assertThrows(IllegalStateException.class, () -> last.get(java.lang.foreign.ValueLayout.JAVA_LONG, 0),
                "a view of a destroyed region throws once unmapped");
    }

    @Test
    void shouldAcceptRegionLockAsBestEffort() {
        final ShmemFactory factory = shm.factory("a");
        try (UnmanagedRegion region = factory.createUnmanagedRegion(64 * 1024, ShmSession.IGNORE,
                RegionConfig.builder().lock(true).zero(true).build())) {
            assertEquals(0, region.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 1000));
        }
    }
}
