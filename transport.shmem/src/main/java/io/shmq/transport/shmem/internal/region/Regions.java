package io.shmq.transport.shmem.internal.region;

import io.shmq.transport.api.RegionBulkCallback;
import io.shmq.transport.api.RegionCallback;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.shmem.internal.os.Native;
import io.shmq.transport.shmem.internal.os.RobustLock;
import io.shmq.transport.shmem.internal.os.ShmFiles;
import io.shmq.transport.shmem.internal.ring.AckRing;
import io.shmq.transport.shmem.internal.ring.AckRingLayout;
import io.shmq.transport.shmem.internal.session.Session;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The unmanaged regions one factory created: their creation (files, mapping, acknowledgement ring, the session's
 * region table, all under the session lock), their destruction, and the delivery of their acknowledgements
 * ({@link #drainAll}, the factory's duty cycle). Thread-safe.
 */
public final class Regions {
    private static final System.Logger LOG = System.getLogger(Regions.class.getName());

    private final Session session;
    private final boolean openExisting;
    private final List<LocalRegion> local = new CopyOnWriteArrayList<>();
    private volatile Consumer<RegionView> onDestroyed = view -> { };

    /**
     * @param session      the session the regions are created in
     * @param openExisting whether a region with a {@code path} may open a file that exists there
     */
    public Regions(final Session session, final boolean openExisting) {
        this.session = Objects.requireNonNull(session, "session");
        this.openExisting = openExisting;
    }

    /** Tells {@code listener} of every region destroyed here (the mappings forget their cached view). */
    public void onDestroyed(final Consumer<RegionView> listener) {
        this.onDestroyed = Objects.requireNonNull(listener, "listener");
    }

    /** @return the view of this factory's region {@code id} of {@code instance}, or null when it is not one */
    public RegionView localView(final int id, final long instance) {
        for (final LocalRegion region : local) {
            if (region.id() == id && region.view().instance() == instance) {
                return region.view();
            }
        }
        return null;
    }

    /** @return whether {@code region} was created here */
    public boolean owns(final LocalRegion region) {
        return region.owner() == this;
    }

    /** Creates a region; exactly one of {@code callback} and {@code bulk} is non-null. */
    public synchronized LocalRegion create(final long size, final RegionCallback callback,
                                           final RegionBulkCallback bulk, final RegionConfig config) {
        Objects.requireNonNull(config, "config");
        if (size <= 0) {
            throw new IllegalArgumentException("region size must be positive: size=" + size);
        }
        final RobustLock lock = session.lock();
        final Arena arena = Arena.ofShared();
        final List<Path> created = new ArrayList<>();
        lock.lock();
        try {
            final int id = config.id() == RegionConfig.AUTO_ID ? session.nextRegionId() : config.id();
            if (session.findRegion(id) != null) {
                throw new SharedMemoryException("regionId=" + id + " already exists in session " + session.shmId());
            }
            final boolean userPath = !config.path().isEmpty();
            final Path dataFile = userPath ? Path.of(config.path()).toAbsolutePath()
                    : ShmFiles.region(session.directory(), session.shmId(), id);
            if (userPath && !openExisting && Files.exists(dataFile, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                throw new SharedMemoryException("region path " + dataFile + " exists: refusing to take it over and "
                        + "resize it (set option shmem.region-open-existing=true to open an existing file)");
            }
            final MemorySegment data = mapNew(dataFile, size, !userPath, arena, created);
            if (config.zero()) {
                data.fill((byte) 0);
            }
            if (config.lock()) {
                final int rc = Native.mlock(data);
                if (rc != 0) {
                    LOG.log(System.Logger.Level.WARNING, "cannot lock regionId=" + id + " in memory (size=" + size
                            + "): errno=" + rc);
                }
            }
            final Path ringFile = ShmFiles.ring(session.directory(), session.shmId(), id);
            final MemorySegment ringBytes = mapNew(ringFile, AckRingLayout.bytes(AckRing.DEFAULT_CAPACITY), true,
                    arena, created);
            final AckRing ring = AckRing.format(ringBytes, AckRing.DEFAULT_CAPACITY, "regionId=" + id + ", file="
                    + ringFile);
            final Session.RegionEntry entry = session.registerRegion(id, size, config.userFlags(),
                    dataFile.toString());
            final RegionView view = new RegionView(id, entry.slot(), entry.instance(), data, ring, null);
            final List<Path> toDelete = new ArrayList<>();
            toDelete.add(ringFile);
            if (config.removeOnDestruction()) {
                toDelete.add(dataFile); // a path region's file too, as FairMQ does
            }
            final LocalRegion region = new LocalRegion(this, view, arena, callback, bulk, config.linger(), toDelete);
            local.add(region);
            // The worker may be asleep on the doorbells it knew: wake it to sleep on this region's too.
            session.ringEvents();
            return region;
        } catch (RuntimeException e) {
            arena.close();
            for (final Path file : created) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // best effort
                }
            }
            throw e;
        } finally {
            lock.unlock();
        }
    }

    private static MemorySegment mapNew(final Path file, final long size, final boolean fresh, final Arena arena,
                                        final List<Path> created) {
        try {
            if (fresh) {
                Files.deleteIfExists(file);
            }
            if (!Files.exists(file)) {
                Files.createFile(file, ShmFiles.OWNER_ONLY);
                created.add(file);
            }
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                if (raf.length() < size) {
                    raf.setLength(size);
                }
                ShmFiles.reserve(file, 0, size);
                return raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            }
        } catch (IOException e) {
            throw new SharedMemoryException("cannot create region file " + file + " of size=" + size + ": " + e, e);
        }
    }

    /** Removes {@code region} from the session (its files under the session lock); called by its close. */
    void destroy(final LocalRegion region) {
        final RobustLock lock = session.lock();
        lock.lock();
        try {
            if (session.regionInstance(region.view().slot()) == region.view().instance()) {
                region.deleteFiles();
                session.destroyRegion(region.view().slot());
            }
        } finally {
            lock.unlock();
        }
        onDestroyed.accept(region.view());
        local.remove(region);
    }

    /**
     * Destroys the regions a dead process created (its device proven dead and reclaimed): their files in the session
     * directory are deleted and their table entries marked destroyed under the session lock, so every factory unmaps
     * them; a file at a user path is left to its user.
     *
     * @return how many regions it destroyed
     */
    public int destroyRegionsOf(final long deadPid) {
        int destroyed = 0;
        final RobustLock lock = session.lock();
        lock.lock();
        try {
            for (final Session.RegionEntry entry : session.activeRegions()) {
                if (entry.creatorPid() != deadPid || session.regionInstance(entry.slot()) != entry.instance()) {
                    continue;
                }
                final Path data = ShmFiles.region(session.directory(), session.shmId(), entry.id());
                for (final Path file : List.of(ShmFiles.ring(session.directory(), session.shmId(), entry.id()), data)) {
                    if (file.equals(data) && !Path.of(entry.path()).equals(data)) {
                        continue;
                    }
                    try {
                        Files.deleteIfExists(file);
                    } catch (IOException e) {
                        LOG.log(System.Logger.Level.WARNING, "cannot delete " + file + " of a dead creator's region: " + e);
                    }
                }
                session.destroyRegion(entry.slot());
                destroyed++;
                LOG.log(System.Logger.Level.INFO, "session " + session.shmId() + ": destroyed regionId=" + entry.id()
                        + " of dead pid " + deadPid);
            }
        } finally {
            lock.unlock();
        }
        return destroyed;
    }

    /**
     * Arms the acknowledgement doorbell of each region created here, from index {@code at} (the duty cycle then
     * sleeps on all of them at once; the ring that wakes it disarms, see
     * {@link io.shmq.transport.shmem.internal.os.Doorbell}).
     *
     * @return the next free index, or -1 when they do not fit
     */
    public int enterAckBells(final io.shmq.transport.shmem.internal.os.Doorbell[] bells, final long[] addresses,
                             final int[] values, final int at) {
        int next = at;
        for (final LocalRegion region : local) {
            if (next == bells.length) {
                return -1; // the bells armed so far stay armed: their next rings make one needless wake each
            }
            final io.shmq.transport.shmem.internal.os.Doorbell bell = region.view().ring().doorbell();
            values[next] = bell.enter();
            addresses[next] = bell.address();
            bells[next++] = bell;
        }
        return next;
    }

    /** @return whether an acknowledgement waits in any region created here */
    public boolean hasAcknowledgements() {
        for (final LocalRegion region : local) {
            if (region.view().ring().hasInput()) {
                return true;
            }
        }
        return false;
    }

    /** Delivers one batch of acknowledgements of every region; returns how many (the duty cycle's work). */
    public int drainAll() {
        int work = 0;
        for (final LocalRegion region : local) {
            work += region.drainOnce();
        }
        return work;
    }

    /** Closes every region (each waits its linger for acknowledgements). */
    public void closeAll() {
        for (final LocalRegion region : List.copyOf(local)) {
            region.close();
        }
    }
}
