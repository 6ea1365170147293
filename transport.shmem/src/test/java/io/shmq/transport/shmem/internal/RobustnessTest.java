package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.UnmanagedRegion;
import io.shmq.transport.shmem.internal.os.ProcessIdentity;
import io.shmq.transport.shmem.internal.os.RobustLock;
import io.shmq.transport.shmem.internal.os.ShmFiles;
import io.shmq.transport.shmem.internal.segment.BlockLayout;
import io.shmq.transport.shmem.internal.segment.ManagedSegment;
import io.shmq.transport.shmem.internal.segment.SegmentLayout;
import io.shmq.transport.shmem.internal.session.ManagementLayout;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Crash recovery and bad input from other processes: repair pass, stolen locks, corrupt or truncated files. */
class RobustnessTest {
    @RegisterExtension
    final ShmSession shm = new ShmSession();

    @Test
    void shouldStealLockFromDeadOwnerAndRunRepairOnce() {
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment memory = arena.allocate(ManagementLayout.LAYOUT);
            final AtomicInteger repairs = new AtomicInteger();
            final RobustLock lock = new RobustLock(memory, ManagementLayout.LAYOUT.byteOffset(
                    java.lang.foreign.MemoryLayout.PathElement.groupElement("lock")), repairs::incrementAndGet);
            // pid_max on Linux is at most 2^22: this pid cannot exist.
            final long dead = (1L << 30) << 32 | 12345;
            ManagementLayout.LAYOUT.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("lock"))
                    .set(memory, 0L, dead);
            lock.lock();
            assertEquals(ProcessIdentity.lockWord(), lock.owner());
            assertEquals(1, repairs.get());
            lock.unlock();
            lock.lock();
            assertEquals(1, repairs.get(), "a free lock needs no repair");
            lock.unlock();
            assertEquals(0, lock.owner());
        }
    }

    @Test
    void shouldTellLiveProcessesFromDeadOnesAndReusedPids() {
        assertTrue(ProcessIdentity.alive(ProcessIdentity.lockWord()));
        assertTrue(ProcessIdentity.alive(1, 0), "init lives");
        assertTrue(!ProcessIdentity.alive(1, ProcessIdentity.TOKEN + 1) || ProcessIdentity.TOKEN + 1 == 0,
                "another start time is another process");
        assertTrue(!ProcessIdentity.alive(1L << 30, 0));
    }

    @Test
    void shouldSeeLiveProcessesAliveFromAnInterruptedThreadAndLeaveTheSessionToTheOthers() throws Exception {
        final long parent = ProcessHandle.current().parent().orElseThrow().pid();
        final ShmemFactory stays = shm.factory("stays");
        final boolean[] seen = new boolean[2];
        final Thread interrupted = Thread.ofPlatform().start(() -> {
            Thread.currentThread().interrupt(); // as a DS deactivate may run
            seen[0] = ProcessIdentity.alive(parent, 0);
            Thread.interrupted();
            final ShmemFactory leaves = new ShmemFactory(shm.config("leaves").build());
            Thread.currentThread().interrupt();
            leaves.close();
            seen[1] = Thread.currentThread().isInterrupted();
        });
        interrupted.join(30_000);
        assertTrue(seen[0], "an interrupted thread's read of /proc must not make a live process dead");
        assertTrue(seen[1], "the close gives the interrupt flag back");
        assertTrue(Files.exists(ShmFiles.management(ShmSession.DIRECTORY, shm.shmId())),
                "the session's files stay while another factory of it lives");
        assertEquals(stays.freeMemory(), stays.freeMemory());
        try (var message = stays.createMessage(8)) {
            assertEquals(8, message.size());
        }
    }

    @Test
    void shouldRebuildFreeListsFromBlockChainAfterACrashMidUpdate() {
        final ShmemFactory factory = shm.factory("a");
        final ManagedSegment segment = factory.ownSegment();
        final long start = factory.freeMemory();
        final List<Message> messages = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            messages.add(factory.createMessage(100_000));
        }
        for (int i = 1; i < 8; i += 2) {
            messages.get(i).close();
        }
        // A process died in the middle of a free-list update: the bins are garbage, the block chain is intact.
        final MemorySegment memory = segment.memory();
        for (long k = 0; k < SegmentLayout.BINS; k++) {
            SegmentLayout.BIN_H.set(memory, SegmentLayout.BINS_OFFSET, k, 0L);
        }
        SegmentLayout.BIN_BITMAP_H.set(memory, 0L, 0L);
        segment.lock().lock();
        try {
            segment.repair();
        } finally {
            segment.lock().unlock();
        }
        for (int i = 0; i < 8; i += 2) {
            messages.get(i).close();
        }
        assertEquals(start, factory.freeMemory());
        // Everything coalesced again: one block spans the whole heap.
        final long whole = ShmSession.SEGMENT_SIZE - SegmentLayout.HEAP_OFFSET - BlockLayout.HEADER_BYTES;
        try (Message all = factory.createMessage(whole)) {
            assertEquals(whole, all.size());
        }
    }

    @Test
    void shouldAnswerRandomHeadersWithSharedMemoryExceptionOrAValidView() {
        final ShmemFactory producer = shm.factory("producer");
        final ShmemFactory consumer = shm.factory("consumer");
        final List<Message> live = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            live.add(producer.createMessage(1 + i * 131L));
        }
        final int regionId;
        try (UnmanagedRegion region = producer.createUnmanagedRegion(1 << 16,
                ShmSession.IGNORE, RegionConfig.DEFAULT)) {
            regionId = region.id();
            final SplittableRandom random = new SplittableRandom(7);
            int resolved = 0;
            for (int i = 0; i < 200_000; i++) {
                final long handle = switch (random.nextInt(3)) {
                    case 0 -> random.nextLong();
                    case 1 -> random.nextLong(-64, ShmSession.SEGMENT_SIZE + 64);
                    default -> ((SharedMemoryMessage) live.get(random.nextInt(live.size())))
                            .meta().handle() + random.nextInt(-2, 3) * 16L;
                };
                final long size = random.nextBoolean() ? random.nextLong(0, 1 << 17) : random.nextLong(0,
                        Long.MAX_VALUE);
                final boolean managed = random.nextBoolean();
                final int id = random.nextInt(4) == 0 ? random.nextInt(0x10000) : managed ? 0 : regionId;
                final MetaHeader meta = new MetaHeader(size, 0, handle, MetaHeader.NOT_SHARED, managed ? 0 : id,
                        managed ? id : 0, managed);
                try {
                    final MemorySegment payload = consumer.resolve(meta);
                    assertEquals(size == 0 && managed ? 0 : size, payload.byteSize());
                    resolved++;
                } catch (SharedMemoryException expected) {
                    // the only acceptable failure
                }
            }
            assertTrue(resolved > 0);
        }
        live.forEach(Message::close);
    }

    @Test
    void shouldAnswerEveryHandleNearTheSegmentEndWithSharedMemoryException() {
        final ShmemFactory producer = shm.factory("producer");
        final ShmemFactory consumer = shm.factory("consumer");
        for (long h = ShmSession.SEGMENT_SIZE - 96; h <= ShmSession.SEGMENT_SIZE + 32; h += 8) {
            final long handle = h;
            for (final long size : new long[] {0, 1, 16, 32, 64, 1 << 20}) {
                final MetaHeader meta = new MetaHeader(size, 0, handle, MetaHeader.NOT_SHARED, 0, 0, true);
                if (size == 0) {
                    continue; // a managed header of size 0 resolves to NULL without reading the block
                }
                final SharedMemoryException e = assertThrows(SharedMemoryException.class, () -> consumer.resolve(meta),
                        "handle=" + handle + ", size=" + size);
                assertTrue(e.getMessage().contains("handle=" + handle), e.getMessage());
            }
        }
        assertEquals(producer.freeMemory(), consumer.freeMemory());
    }

    private static void writeInt(final Path file, final long offset, final int value) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(0, value), offset);
        }
    }

    @Test
    void shouldRefuseSessionFileOfAnotherVersionNamingBoth() throws IOException {
        final ShmemFactory first = shm.factory("a");
        writeInt(ShmFiles.management(ShmSession.DIRECTORY, shm.shmId()), 8, 99);
        final SharedMemoryException e = assertThrows(SharedMemoryException.class, () -> shm.factory("b"));
        assertTrue(e.getMessage().contains("version=99 (expected " + ManagementLayout.VERSION + ")"), e.getMessage());
        assertEquals(first.freeMemory(), first.freeMemory());
    }

    @Test
    void shouldRefuseASessionFileOfAnotherKindAtOnceWhileItsVersionIsStillZero() throws IOException {
        shm.factory("a");
        final Path file = ShmFiles.management(ShmSession.DIRECTORY, shm.shmId());
        writeInt(file, 8, 0);
        writeInt(file, 0, 0x12345678);
        final long started = System.nanoTime();
        final SharedMemoryException e = assertThrows(SharedMemoryException.class, () -> shm.factory("b"));
        final long waitedMs = (System.nanoTime() - started) / 1_000_000;
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("field=magic")
                && e.getMessage().contains("expected 31474e4d514d4853"), e.getMessage());
        assertTrue(waitedMs < 5_000, "incompatible at once, not after the 5 s ready timeout: waited " + waitedMs);
    }

    @Test
    void shouldRefuseSegmentWithWrongMagicNamingBoth() throws IOException {
        shm.factory("a");
        writeInt(ShmFiles.segment(ShmSession.DIRECTORY, shm.shmId(), 0), 0, 0x12345678);
        final SharedMemoryException e = assertThrows(SharedMemoryException.class, () -> shm.factory("b"));
        assertTrue(e.getMessage().contains("magic=") && e.getMessage().contains("expected 31474553514d4853"),
                e.getMessage());
    }

    @Test
    void shouldReplaceASessionLeftHalfCreatedByADeadProcess() throws IOException {
        // A management file whose creator (a pid that cannot exist) died before writing the version.
        final Path file = ShmFiles.management(ShmSession.DIRECTORY, shm.shmId());
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            final ByteBuffer bytes = ByteBuffer.allocate((int) ManagedSegment.align(ManagementLayout.BYTES, 4096))
                    .order(ByteOrder.nativeOrder());
            bytes.putLong((int) ManagementLayout.LAYOUT.byteOffset(groupElement("magic")), ManagementLayout.MAGIC)
                    .putLong((int) ManagementLayout.LAYOUT.byteOffset(groupElement("creatorPid")), 1L << 30);
            channel.write(bytes);
        }
        final ShmemFactory factory = shm.factory("a");
        try (Message message = factory.createMessage(100)) {
            assertEquals(100, message.size());
        }
    }

    @Test
    void shouldRefuseTruncatedSegmentFile() throws IOException {
        new ShmemFactory(shm.config("a").option(ShmemFactory.OPTION_CLEANUP, "false").build()).close();
        try (FileChannel channel = FileChannel.open(ShmFiles.segment(ShmSession.DIRECTORY, shm.shmId(), 0),
                StandardOpenOption.WRITE)) {
            channel.truncate(100);
        }
        final SharedMemoryException e = assertThrows(SharedMemoryException.class, () -> shm.factory("b"));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }
}
