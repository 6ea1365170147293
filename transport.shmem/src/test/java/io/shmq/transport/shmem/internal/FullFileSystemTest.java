package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.shmem.internal.os.ShmFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A shared-memory file system without room gives {@link SharedMemoryException}, never a SIGBUS: file blocks are
 * reserved before any page is touched. The tests ask for more than the file system holds (the refusal comes from
 * the free-space check, so the shared tmpfs is never filled); the fallocate error path is shown with bad input.
 */
class FullFileSystemTest {
    @RegisterExtension
    final ShmSession shm = new ShmSession();

    private static long usable() throws IOException {
        return Files.getFileStore(ShmSession.DIRECTORY).getUsableSpace();
    }

    @Test
    void shouldRefuseManagedBlockLargerThanFreeSpaceOfSparseSegment() throws IOException {
        final long segmentSize = 1L << 36;
        final long tooBig = usable() + (1L << 30);
        assumeTrue(tooBig < segmentSize - (1L << 30), "a 64 GiB segment cannot exceed this file system");
        final ShmemFactory factory = shm.track(new ShmemFactory(shm.config("a").segmentSize(segmentSize).build()));
        final long start = factory.freeMemory();
        final SharedMemoryException e = assertThrows(SharedMemoryException.class,
                () -> factory.createMessage(tooBig));
        assertTrue(e.getMessage().contains("file system is full"), e.getMessage());
        try (Message message = factory.createMessage(1 << 20)) {
            message.data().fill((byte) 1);
        }
        assertEquals(start, factory.freeMemory(), "the refused allocation left the heap untouched");
    }

    @Test
    void shouldRefuseRegionLargerThanFreeSpaceAndLeaveNoFile() throws IOException {
        final ShmemFactory factory = shm.factory("a");
        final long tooBig = usable() + (1L << 30);
        final SharedMemoryException e = assertThrows(SharedMemoryException.class,
                () -> factory.createUnmanagedRegion(tooBig, ShmSession.IGNORE, RegionConfig.DEFAULT));
        assertTrue(e.getMessage().contains("file system is full"), e.getMessage());
        try (Stream<Path> files = Files.list(ShmSession.DIRECTORY)) {
            assertFalse(files.anyMatch(f -> f.getFileName().toString().startsWith("shmq_" + shm.shmId() + "_rg")));
        }
        assertEquals(1, factory.regionInfo().size(), "only the managed segment");
    }

    @Test
    void shouldReportFallocateErrors() throws IOException {
        final ShmemFactory factory = shm.factory("a");
        final Path file = factory.ownSegment().file();
        final SharedMemoryException e = assertThrows(SharedMemoryException.class,
                () -> ShmFiles.reserve(file, -4096, 4096));
        assertTrue(e.getMessage().contains("errno=22"), e.getMessage());
    }
}
