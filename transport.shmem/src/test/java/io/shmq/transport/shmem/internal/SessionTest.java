package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.DataAddressResolver;
import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.RegionBlock;
import io.shmq.transport.api.RegionCallback;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;
import io.shmq.transport.api.UnmanagedRegion;
import io.shmq.transport.shmem.internal.os.ShmFiles;
import io.shmq.transport.shmem.internal.session.ManagementLayout;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sessions: file names and permissions, sharing, isolation, cleanup, options, service discovery. */
class SessionTest {
    @RegisterExtension
    final ShmSession shm = new ShmSession();

    private List<Path> files(final String shmId) throws IOException {
        try (Stream<Path> list = Files.list(ShmSession.DIRECTORY)) {
            return list.filter(p -> p.getFileName().toString().startsWith("shmq_" + shmId + "_")).sorted().toList();
        }
    }

    @Test
    void shouldDeriveShmIdFromUidAndSessionAsEightHexDigits() {
        final String id = ShmFiles.shmId(1000, "default");
        assertTrue(id.matches("[0-9a-f]{8}"), id);
        assertEquals(id, ShmFiles.shmId(1000, "default"));
        assertFalse(id.equals(ShmFiles.shmId(1001, "default")));
        assertFalse(id.equals(ShmFiles.shmId(1000, "other")));
    }

    @Test
    void shouldCreateOwnerOnlyFilesNamedFromShmId() throws IOException {
        final ShmemFactory factory = shm.factory("a");
        assertEquals(shm.shmId(), factory.shmId());
        final List<Path> files = files(shm.shmId());
        assertEquals(List.of("shmq_" + shm.shmId() + "_m_0", "shmq_" + shm.shmId() + "_mng",
                        "shmq_" + shm.shmId() + "_own_" + factory.session().deviceSlot()),
                files.stream().map(p -> p.getFileName().toString()).toList());
        for (final Path file : files) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        }
    }

    @Test
    void shouldShareObjectsBetweenFactoriesOfOneSessionAndRemoveFilesWithTheLast() throws IOException {
        final ShmemFactory first = shm.factory("a");
        final ShmemFactory second = shm.factory("b");
        final long start = first.freeMemory();
        final Message message = first.createMessage(1000);
        assertEquals(first.freeMemory() - first.cachedBytes(), second.freeMemory() - second.cachedBytes(),
                "one allocator for both (each factory's block cache is its own)");
        assertTrue(second.freeMemory() < start);
        final SharedMemoryMessage adopted = (SharedMemoryMessage) second.adopt(first.detach(message));
        adopted.close();
        assertEquals(start, first.freeMemory() + second.cachedBytes(), "freed by the other factory (into its cache)");
        first.close();
        assertFalse(files(shm.shmId()).isEmpty(), "the second factory still uses the session");
        second.close();
        assertEquals(List.of(), files(shm.shmId()));
    }

    @Test
    void shouldKeepSessionsApart() {
        final ShmemFactory a = shm.factory("a");
        final String otherName = shm.newSession();
        final ShmemFactory b = shm.track(new ShmemFactory(FactoryConfig.builder("b").session(otherName)
                .segmentSize(ShmSession.SEGMENT_SIZE).build()));
        final long startB = b.freeMemory();
        try (Message message = a.createMessage(1 << 20)) {
            assertEquals(startB, b.freeMemory());
            assertFalse(a.shmId().equals(b.shmId()));
        }
    }

    @Test
    void shouldKeepFilesWhenCleanupIsDisabled() throws IOException {
        final ShmemFactory factory = new ShmemFactory(shm.config("a").option(ShmemFactory.OPTION_CLEANUP, "false")
                .build());
        factory.close();
        assertEquals(2, files(shm.shmId()).size());
        final ShmemFactory again = shm.factory("b");
        assertEquals(again.freeMemory(), again.freeMemory());
    }

    @Test
    void shouldRejectUnknownShmemOptionsAndBadDirectories() {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ShmemFactory(shm.config("a").option("shmem.bogus", "1").build()));
        assertTrue(e.getMessage().contains("shmem.bogus"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new ShmemFactory(shm.config("a").option(ShmemFactory.OPTION_CLEANUP, "maybe").build()));
        assertThrows(SharedMemoryException.class,
                () -> new ShmemFactory(shm.config("a").option(ShmemFactory.OPTION_DIRECTORY, "/nonexistent-shmq")
                        .build()));
    }

    @Test
    void shouldRejectSegmentSizesItCannotHoldAndLeaveNoFile() throws IOException {
        final IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> new ShmemFactory(shm.config("a").segmentSize(1000).build()));
        assertTrue(small.getMessage().contains("segmentSize=1000"), small.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new ShmemFactory(shm.config("a").segmentSize(1L << 40).build()));
        assertEquals(List.of(), files(shm.shmId()));
    }

    @Test
    void shouldLetTheFirstFactoryDecideTheSegmentSize() {
        final ShmemFactory first = shm.factory("a");
        final ShmemFactory second = shm.track(new ShmemFactory(shm.config("b").segmentSize(1L << 30).build()));
        assertEquals(ShmSession.SEGMENT_SIZE, second.ownSegment().size());
        assertEquals(first.freeMemory(), second.freeMemory());
    }

    @Test
    void shouldRejectSessionNamesThatEscapeTheDirectory() {
        assertThrows(IllegalArgumentException.class, () -> shm.config("a").session("../x").build());
        assertThrows(IllegalArgumentException.class, () -> shm.config("a").session("a/b").build());
    }

    @Test
    void shouldReleaseMessagesStillOpenWhenTheirFactoryCloses() throws Exception {
        final ShmemFactory survivor = shm.factory("survivor");
        final ShmemFactory closing = shm.factory("closing");
        final long start = survivor.freeMemory();
        final BlockingQueue<RegionBlock> acks = new LinkedBlockingQueue<>();
        final RegionCallback callback = acks::add;
        final UnmanagedRegion region = survivor.createUnmanagedRegion(4096, callback, RegionConfig.DEFAULT);
        final List<Message> open = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            open.add(closing.createMessage(1 + i * 997L));
        }
        open.add(open.get(0).copy());
        final Message fromOtherThread = CompletableFuture.supplyAsync(() -> closing.createMessage(50_000)).get();
        open.add(fromOtherThread);
        final Message inRegion = survivor.createMessage(region, 0, 16, 5);
        open.add(closing.adopt(survivor.detach(inRegion)));
        final Message closedBefore = closing.createMessage(10);
        closedBefore.close();
        assertTrue(survivor.freeMemory() < start);
        closing.close();
        assertEquals(start, survivor.freeMemory(), "every open message was released");
        assertEquals(new RegionBlock(0, 16, 5), acks.poll(10, TimeUnit.SECONDS),
                "the region message was acknowledged to its creator");
        assertThrows(TransportClosedException.class, () -> open.get(1).data());
        for (final Message message : open) {
            message.close();
        }
        assertEquals(start, survivor.freeMemory(), "closing them afterwards releases nothing twice");
        region.close();
    }

    @Test
    void shouldRefuseUseAfterClose() {
        final ShmemFactory factory = shm.factory("a");
        factory.close();
        factory.close();
        assertThrows(TransportClosedException.class, () -> factory.createMessage(10));
        assertThrows(TransportClosedException.class, factory::regionInfo);
    }

    @Test
    void shouldBeFoundThroughServiceLoader() {
        final Transport transport = ServiceLoader.load(Transport.class).stream().map(ServiceLoader.Provider::get)
                .filter(t -> t.kind() == TransportKind.SHMEM).findFirst().orElseThrow();
        assertInstanceOf(ShmemTransport.class, transport);
        final DataAddressResolver resolver = ServiceLoader.load(DataAddressResolver.class).findFirst().orElseThrow();
        try (TransportFactory factory = transport.createFactory(shm.config("a").build());
             Message message = factory.createMessage(2)) {
            message.data().fill((byte) 'x');
            assertEquals(message.data().address(),
                    resolver.resolve(factory, ((SharedMemoryMessage) message).meta()).address());
        }
    }

    @Test
    void shouldRecordHeartbeatAndCreatorPid() throws InterruptedException {
        final ShmemFactory factory = shm.factory("a");
        assertEquals(ProcessHandle.current().pid(),
                (long) ManagementLayout.CREATOR_PID_H.get(factory.session().memory(), 0L));
        assertTrue(factory.session().eventCounter() > 0);
        final MemorySegment mng = factory.session().memory();
        long mine = -1;
        for (long i = 0; i < ManagementLayout.MAX_DEVICES && mine < 0; i++) {
            if ((long) ManagementLayout.DEVICE_PID_H.get(mng, ManagementLayout.DEVICES_OFFSET, i)
                    == ProcessHandle.current().pid()) {
                mine = i;
            }
        }
        assertTrue(mine >= 0, "a device slot holds this process");
        final long first = (long) ManagementLayout.DEVICE_BEAT_H.get(mng, ManagementLayout.DEVICES_OFFSET, mine);
        Thread.sleep(350);
        assertTrue((long) ManagementLayout.DEVICE_BEAT_H.get(mng, ManagementLayout.DEVICES_OFFSET, mine) > first,
                "the heartbeat moves");
    }
}
