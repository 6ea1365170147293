package io.shmq.transport.shmem.internal.region;

import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.shmem.internal.ring.AckRing;
import io.shmq.transport.shmem.internal.session.Session;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One instance of an unmanaged region as mapped in this process: its data and its acknowledgement ring. The
 * creator's view shares the creator's arena; a view attached by another factory owns its own shared arena, closed
 * when the factory closes or when the region turns out destroyed.
 *
 * @param id       the region id
 * @param slot     the region table slot
 * @param instance the instance word the slot held when mapped; a different word means the region is gone
 * @param data     the region's bytes
 * @param ring     the acknowledgement ring
 * @param arena    the arena this view owns, or null when the creator owns the mapping
 */
public record RegionView(int id, int slot, long instance, MemorySegment data, AckRing ring, Arena arena) {

    /** @return the region size */
    public long size() {
        return data.byteSize();
    }

    /** Maps region {@code entry} created by another factory. */
    public static RegionView attach(final Session.RegionEntry entry, final Path ringFile, final String session) {
        final Arena arena = Arena.ofShared();
        try (FileChannel data = FileChannel.open(Path.of(entry.path()), StandardOpenOption.READ,
                StandardOpenOption.WRITE);
             FileChannel ring = FileChannel.open(ringFile, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (data.size() < entry.size()) {
                throw new SharedMemoryException("truncated region file: regionId=" + entry.id() + ", file="
                        + entry.path() + ", size=" + data.size() + ", expected=" + entry.size() + " in session "
                        + session);
            }
            final MemorySegment bytes = data.map(FileChannel.MapMode.READ_WRITE, 0, entry.size(), arena);
            final MemorySegment ringBytes = ring.map(FileChannel.MapMode.READ_WRITE, 0, ring.size(), arena);
            final AckRing ackRing = AckRing.check(ringBytes, "regionId=" + entry.id() + ", file=" + ringFile);
            return new RegionView(entry.id(), entry.slot(), entry.instance(), bytes, ackRing, arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            if (e instanceof SharedMemoryException s) {
                throw s;
            }
            throw new SharedMemoryException("cannot attach regionId=" + entry.id() + " (file=" + entry.path()
                    + ") in session " + session + ": " + e, e);
        }
    }

    /** Unmaps an attached view; the creator's view is unmapped by its region. */
    public void close() {
        if (arena != null && arena.scope().isAlive()) {
            try {
                arena.close();
            } catch (IllegalStateException ignored) {
                // already closing concurrently
            }
        }
    }
}
