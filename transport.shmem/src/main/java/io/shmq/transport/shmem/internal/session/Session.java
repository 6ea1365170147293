package io.shmq.transport.shmem.internal.session;

import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.shmem.internal.os.Doorbell;
import io.shmq.transport.shmem.internal.os.FileHeaderLayout;
import io.shmq.transport.shmem.internal.os.IdleStrategy;
import io.shmq.transport.shmem.internal.os.Native;
import io.shmq.transport.shmem.internal.os.ProcessIdentity;
import io.shmq.transport.shmem.internal.os.RobustLock;
import io.shmq.transport.shmem.internal.os.ShmFiles;
import io.shmq.transport.shmem.internal.segment.Holder;
import io.shmq.transport.shmem.internal.segment.ManagedSegment;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static io.shmq.transport.shmem.internal.session.ManagementLayout.ACTIVE;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.DESTROYED;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.DEVICES_OFFSET;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.DEVICE_BEAT_H;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.DEVICE_PID_H;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.DEVICE_TOKEN_H;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.FREE;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.MAX_DEVICES;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.MAX_REGIONS;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.MAX_SEGMENTS;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.REGIONS_OFFSET;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.REGION_CREATOR_H;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.REGION_FLAGS_H;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.REGION_ID_H;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.REGION_INSTANCE_H;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.REGION_PATH_LENGTH_H;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.REGION_SIZE_H;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.REGION_STATE_H;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.SEGMENTS_OFFSET;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.SEGMENT_ID_H;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.SEGMENT_SIZE_ENTRY_H;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.SEGMENT_STATE_H;

/**
 * One factory's membership in a session: the mapped management segment, the session lock and this factory's
 * device slot. The first factory of a session creates the management file (CREATE_NEW decides who) and segment 0,
 * then writes the version last; the others wait for the version, check magic and version, and take a device slot.
 * A session whose last live device leaves is marked removed and its files are deleted under the session lock, so
 * a factory that joins at that moment sees the mark and starts over with fresh files.
 */
public final class Session {
    /** Size of the management file (the layout rounded up to a page). */
    public static final long MNG_BYTES = ManagedSegment.align(ManagementLayout.BYTES, 4096);
    private static final long READY_TIMEOUT_NANOS = 5_000_000_000L;
    /** How often a joiner looks at a session file that is not ready yet. */
    private static final long READY_POLL_NANOS = 1_000_000L;
    private static final System.Logger LOG = System.getLogger(Session.class.getName());

    private final String name;
    private final String shmId;
    private final int tag;
    private final Path directory;
    private final Arena arena;
    private final MemorySegment memory;
    private final RobustLock lock;
    private final int deviceSlot;
    /** Rung on every event of the session's tables (regions created and destroyed): factories' workers sleep on it. */
    private final Doorbell events;

    private Session(final String name, final String shmId, final Path directory, final Arena arena,
                    final MemorySegment memory, final int deviceSlot) {
        this.name = name;
        this.shmId = shmId;
        this.tag = ShmFiles.tag(shmId);
        this.directory = directory;
        this.arena = arena;
        this.memory = memory;
        this.lock = lockOf(memory);
        this.deviceSlot = deviceSlot;
        this.events = new Doorbell(memory, ManagementLayout.EVENT_BELL_OFFSET, ManagementLayout.EVENT_SLEEPERS_OFFSET);
    }

    static RobustLock lockOf(final MemorySegment memory) {
        // Nothing under the session lock needs repair: every table write is a single store of a state word.
        return new RobustLock(memory, ManagementLayout.LOCK_OFFSET, () -> { });
    }

    /**
     * Joins (or creates) a session.
     *
     * @param segmentSize the size of segment 0 when this factory creates the session
     * @throws IllegalArgumentException when the name is not well-formed Unicode
     * @throws SharedMemoryException    when the session file belongs to another user, or another session name has
     *                                  the same 32-bit shmId
     */
    public static Session join(final String name, final Path directory, final long segmentSize) {
        final byte[] digest = ShmFiles.nameDigest(Native.uid(), name);
        return join(name, java.util.HexFormat.of().formatHex(digest, 0, 4), digest, directory, segmentSize);
    }

    /** Joins under a given shmId and name digest (tests inject a collision here). */
    static Session join(final String name, final String shmId, final byte[] digest, final Path directory,
                        final long segmentSize) {
        final Path file = ShmFiles.management(directory, shmId);
        final IdleStrategy idle = new IdleStrategy(100, 0, 1_000L, 1_000_000L);
        for (int attempt = 0; attempt < 100; attempt++) {
            final Arena arena = Arena.ofShared();
            try {
                final Mapped mapped = createOrOpen(file, directory, shmId, digest, segmentSize, arena);
                if (mapped == null) {
                    arena.close();
                    continue;
                }
                final MemorySegment memory = mapped.memory();
                final RobustLock lock = lockOf(memory);
                lock.lock();
                try {
                    // The last factory removed this session after we opened the file: start over with new files.
                    // Unlock before unmapping: other threads of this process may wait for this very lock word.
                    if ((int) ManagementLayout.REMOVED_H.getAcquire(memory, 0L) == 0) {
                        checkName(memory, file, name, digest);
                        return new Session(name, shmId, directory, arena, memory, claimDevice(memory, directory,
                                shmId));
                    }
                    // Removal happens under this lock, so the remover is done, or died before it deleted the file
                    // (then the file is still the one at the path): finish its work, or the name is blocked.
                    if (mapped.inode() != null && mapped.inode().equals(ShmFiles.inode(file))) {
                        LOG.log(System.Logger.Level.WARNING, "finishing the removal of session " + shmId
                                + " that a dead process began");
                        ShmFiles.deleteAll(directory, shmId);
                    }
                } finally {
                    lock.unlock();
                }
                arena.close();
                idle.idle();
            } catch (RuntimeException e) {
                if (arena.scope().isAlive()) {
                    arena.close();
                }
                throw e;
            }
        }
        throw new SharedMemoryException("cannot join session '" + name + "' (" + shmId + "): it was removed "
                + "concurrently 100 times in a row");
    }

    private static void checkName(final MemorySegment memory, final Path file, final String name,
                                  final byte[] digest) {
        final MemorySegment stored = memory.asSlice(ManagementLayout.NAME_DIGEST_OFFSET, ShmFiles.DIGEST_BYTES);
        if (stored.mismatch(MemorySegment.ofArray(digest)) != -1) {
            throw new SharedMemoryException("session '" + name + "' cannot use " + file + ": that file is the session "
                    + "of another name whose 32-bit shmId is the same (a hash collision). Choose another session "
                    + "name, or another directory (option shmem.directory)");
        }
    }

    /** Tells apart the private files of several creators in this process. */
    private static final java.util.concurrent.atomic.AtomicLong CREATIONS = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Creates the session files, or opens the existing management file. A creator formats the management file under
     * a private name, with its identity and the name digest, and links it into place (the link fails when another
     * won): the management file never exists half-written, so a joiner always knows who is creating it and can
     * prove a dead creator dead. Then it creates segment 0 and writes the version last.
     *
     * @return the mapped file, or null to start over
     */
    /** A mapped management file and the inode it had at its path when it was mapped (null if unknown). */
    private record Mapped(MemorySegment memory, Object inode) {
    }


    private static Mapped createOrOpen(final Path file, final Path directory, final String shmId,
                                       final byte[] digest, final long segmentSize, final Arena arena) {
        if (Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return open(file, shmId, arena);
        }
        final Path temp = ShmFiles.creating(directory, shmId, ProcessIdentity.PID, CREATIONS.incrementAndGet());
        final MemorySegment memory;
        try {
            memory = ShmFiles.createMapped(temp, MNG_BYTES, MNG_BYTES, arena);
        } catch (SharedMemoryException e) {
            if (e.getCause() instanceof NoSuchFileException) {
                return null; // the end of a session of this name swept our private file: start over
            }
            throw e;
        }
        final Object inode;
        try {
            FileHeaderLayout.format(memory, ManagementLayout.MAGIC);
            ManagementLayout.CREATOR_TOKEN_H.set(memory, 0L, ProcessIdentity.TOKEN);
            MemorySegment.copy(MemorySegment.ofArray(digest), 0, memory, ManagementLayout.NAME_DIGEST_OFFSET,
                    ShmFiles.DIGEST_BYTES);
            ManagementLayout.SEGMENT_SIZE_H.set(memory, 0L, segmentSize);
            ManagementLayout.REGION_ID_COUNTER_H.set(memory, 0L, (long) io.shmq.transport.api.RegionConfig
                    .FIRST_AUTO_ID);
            ManagementLayout.CREATOR_PID_H.setRelease(memory, 0L, ProcessIdentity.PID);
            inode = ShmFiles.inode(temp);
            try {
                Files.createLink(file, temp);
            } catch (FileAlreadyExistsException | NoSuchFileException e) {
                // Another creator won (or a session end swept our private file): open theirs, or start over.
                return null;
            }
        } catch (IOException | RuntimeException e) {
            ShmFiles.deleteQuietly(temp);
            if (e instanceof SharedMemoryException | e instanceof IllegalArgumentException) {
                throw (RuntimeException) e;
            }
            throw new SharedMemoryException("cannot create session file " + file + ": " + e, e);
        } finally {
            ShmFiles.deleteQuietly(temp);
        }
        try {
            final Path segmentFile = ShmFiles.segment(directory, shmId, 0);
            Files.deleteIfExists(segmentFile);
            ManagedSegment.create(segmentFile, 0, segmentSize, ShmFiles.tag(shmId), shmId).close();
            SEGMENT_ID_H.set(memory, SEGMENTS_OFFSET, 0L, 0);
            SEGMENT_SIZE_ENTRY_H.set(memory, SEGMENTS_OFFSET, 0L, segmentSize);
            SEGMENT_STATE_H.setRelease(memory, SEGMENTS_OFFSET, 0L, ACTIVE);
            ManagementLayout.EVENT_COUNTER_H.getAndAdd(memory, 0L, 1L);
            FileHeaderLayout.signalReady(memory, ManagementLayout.VERSION);
            return new Mapped(memory, inode);
        } catch (IOException | RuntimeException e) {
            // Joiners may wait on this file already: mark it removed under its lock before deleting, as a dead
            // creator's file is removed.
            final RobustLock lock = lockOf(memory);
            lock.lock();
            try {
                ManagementLayout.REMOVED_H.setRelease(memory, 0L, 1);
                ShmFiles.deleteAll(directory, shmId);
            } finally {
                lock.unlock();
            }
            if (e instanceof SharedMemoryException | e instanceof IllegalArgumentException) {
                throw (RuntimeException) e;
            }
            throw new SharedMemoryException("cannot create session file " + file + ": " + e, e);
        }
    }


    private static void checkInterrupt(final String shmId) {
        if (Thread.currentThread().isInterrupted()) {
            throw new SharedMemoryException("interrupted while joining session " + shmId);
        }
    }

    private static Mapped open(final Path file, final String shmId, final Arena arena) {
        final long deadline = System.nanoTime() + READY_TIMEOUT_NANOS;
        final IdleStrategy idle = IdleStrategy.parking(READY_POLL_NANOS);
        final Object before = ShmFiles.inode(file);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            ShmFiles.checkOwner(file);
            // The same inode before and after the open: the channel's file is that inode.
            final Object inode = before != null && before.equals(ShmFiles.inode(file)) ? before : null;
            if (channel.size() < MNG_BYTES) {
                // A creator links the file only once it has its full size: this is not a session file of ours.
                throw FileHeaderLayout.incompatible(file, "size", Long.toString(MNG_BYTES),
                        Long.toString(channel.size()));
            }
            final MemorySegment memory = channel.map(FileChannel.MapMode.READ_WRITE, 0, MNG_BYTES, arena);
            // An incompatible file (another kind or version) throws at once; only "not ready yet" waits.
            while (FileHeaderLayout.check(memory, file, ManagementLayout.MAGIC, ManagementLayout.VERSION)
                    == FileHeaderLayout.State.NOT_READY) {
                final long creator = (long) ManagementLayout.CREATOR_PID_H.getAcquire(memory, 0L);
                final long token = (long) ManagementLayout.CREATOR_TOKEN_H.get(memory, 0L);
                if (creator == 0 || !ProcessIdentity.alive(creator, token)) {
                    // The creator died half-way (a linked file always names its creator; 0 is no creator at all):
                    // the file can never become ready. Remove it and start over, under its own lock and removed
                    // mark, so that of several joiners only one deletes, and only these files (a successor's
                    // management file cannot exist before this one is gone).
                    removeHalfCreated(memory, file, shmId, creator);
                    return null;
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new SharedMemoryException("session file not ready: file=" + file + ", version=0 after "
                            + READY_TIMEOUT_NANOS / 1_000_000 + " ms while its creator pid " + creator
                            + " is alive (hung?)");
                }
                idle.idle();
                checkInterrupt(shmId);
            }
            return new Mapped(memory, inode);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new SharedMemoryException("cannot open session file " + file + ": " + e, e);
        }
    }

    /** Removes a session file whose creator died before it was ready; shared with the monitor's cleanup. */
    static void removeHalfCreated(final MemorySegment memory, final Path file, final String shmId, final long creator) {
        final RobustLock lock = lockOf(memory);
        lock.lock();
        try {
            if ((int) ManagementLayout.REMOVED_H.getAcquire(memory, 0L) == 0) {
                ManagementLayout.REMOVED_H.setRelease(memory, 0L, 1);
                LOG.log(System.Logger.Level.WARNING, "removing session " + shmId
                        + " left half-created by dead pid " + creator);
                ShmFiles.deleteAll(file.getParent(), shmId);
            }
        } finally {
            lock.unlock();
        }
    }

    private static int claimDevice(final MemorySegment memory, final Path directory, final String shmId) {
        for (int i = 0; i < MAX_DEVICES; i++) {
            final long pid = (long) DEVICE_PID_H.getAcquire(memory, DEVICES_OFFSET, (long) i);
            final long token = (long) DEVICE_TOKEN_H.get(memory, DEVICES_OFFSET, (long) i);
            // A dead device's slot is taken only once its ledger is reclaimed (the file gone): the ledger is what
            // says which payloads it held.
            if (pid == 0 || !ProcessIdentity.alive(pid, token)
                    && !Files.exists(ShmFiles.ledger(directory, shmId, i), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                DEVICE_TOKEN_H.set(memory, DEVICES_OFFSET, (long) i, ProcessIdentity.TOKEN);
                DEVICE_BEAT_H.set(memory, DEVICES_OFFSET, (long) i, System.currentTimeMillis());
                // Every join its own holder id (under the lock): a block a dead device held names that device only.
                int holder = (int) ManagementLayout.HOLDER_COUNTER_H.get(memory, 0L) + 1;
                if (!Holder.device(holder)) {
                    holder = 1;
                }
                ManagementLayout.HOLDER_COUNTER_H.set(memory, 0L, holder);
                ManagementLayout.DEVICE_HOLDER_H.set(memory, DEVICES_OFFSET, (long) i, holder);
                DEVICE_PID_H.setRelease(memory, DEVICES_OFFSET, (long) i, ProcessIdentity.PID);
                ManagementLayout.DEVICE_COUNTER_H.getAndAdd(memory, 0L, 1L);
                return i;
            }
        }
        throw new SharedMemoryException("session " + shmId + " is full: " + MAX_DEVICES + " live devices");
    }

    String name() {
        return name;
    }

    /** @return this factory's device slot */
    public int deviceSlot() {
        return deviceSlot;
    }

    /** @return this factory's holder id ({@link Holder}): its join's, unique in the session */
    public int holderId() {
        return (int) ManagementLayout.DEVICE_HOLDER_H.get(memory, DEVICES_OFFSET, (long) deviceSlot);
    }

    /** A device slot whose process is gone, as read at one moment; {@code holder} is its join's holder id. */
    public record DeadDevice(int slot, long pid, long token, int holder) {
    }

    /** @return the device slots whose process is dead (pid + start time); read without the lock */
    public List<DeadDevice> deadDevices() {
        List<DeadDevice> dead = null;
        for (int i = 0; i < MAX_DEVICES; i++) {
            final long pid = (long) DEVICE_PID_H.getAcquire(memory, DEVICES_OFFSET, (long) i);
            if (pid != 0) {
                final long token = (long) DEVICE_TOKEN_H.get(memory, DEVICES_OFFSET, (long) i);
                if (!ProcessIdentity.alive(pid, token)) {
                    if (dead == null) {
                        dead = new ArrayList<>();
                    }
                    dead.add(new DeadDevice(i, pid, token,
                            (int) ManagementLayout.DEVICE_HOLDER_H.get(memory, DEVICES_OFFSET, (long) i)));
                }
            }
        }
        return dead == null ? List.of() : dead;
    }

    /**
     * @return whether a device of the session other than this factory's own is alive (pid + start time; another
     * factory of this process counts): while none is, nobody can take what a socket of this factory queued
     */
    public boolean otherDeviceAlive() {
        for (int i = 0; i < MAX_DEVICES; i++) {
            if (i == deviceSlot) {
                continue;
            }
            final long pid = (long) DEVICE_PID_H.getAcquire(memory, DEVICES_OFFSET, (long) i);
            if (pid != 0 && ProcessIdentity.alive(pid, (long) DEVICE_TOKEN_H.get(memory, DEVICES_OFFSET, (long) i))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Frees the slot of {@code device} when it still holds that dead process; the caller holds the session lock.
     *
     * @return whether this call freed it (false: another factory did, or the slot changed hands)
     */
    public boolean freeDeadDevice(final DeadDevice device) {
        final long i = device.slot();
        if ((long) DEVICE_PID_H.getAcquire(memory, DEVICES_OFFSET, i) != device.pid()
                || (long) DEVICE_TOKEN_H.get(memory, DEVICES_OFFSET, i) != device.token()) {
            return false;
        }
        DEVICE_PID_H.setRelease(memory, DEVICES_OFFSET, i, 0L);
        ManagementLayout.DEVICE_COUNTER_H.getAndAdd(memory, 0L, -1L);
        return true;
    }

    public String shmId() {
        return shmId;
    }

    public int tag() {
        return tag;
    }

    public Path directory() {
        return directory;
    }

    public MemorySegment memory() {
        return memory;
    }

    public RobustLock lock() {
        return lock;
    }

    long segmentSize() {
        return (long) ManagementLayout.SEGMENT_SIZE_H.get(memory, 0L);
    }

    public long eventCounter() {
        return (long) ManagementLayout.EVENT_COUNTER_H.getAcquire(memory, 0L);
    }

    /** @return the doorbell rung on every event of the session's tables (and by {@link #ringEvents}) */
    public Doorbell eventBell() {
        return events;
    }

    /** Rings the event doorbell: wakes every factory's worker of the session, which looks at its work. */
    public void ringEvents() {
        events.ring();
    }

    void bumpEvents() {
        ManagementLayout.EVENT_COUNTER_H.getAndAdd(memory, 0L, 1L);
        events.ring();
    }

    /** Writes this device's heartbeat. */
    public void beat() {
        DEVICE_BEAT_H.setRelease(memory, DEVICES_OFFSET, (long) deviceSlot, System.currentTimeMillis());
    }

    /** @return the size of segment {@code id}, or -1 when the session has no such segment */
    public long segmentEntrySize(final int id) {
        for (long i = 0; i < MAX_SEGMENTS; i++) {
            if ((int) SEGMENT_STATE_H.getAcquire(memory, SEGMENTS_OFFSET, i) == ACTIVE
                    && (int) SEGMENT_ID_H.get(memory, SEGMENTS_OFFSET, i) == id) {
                return (long) SEGMENT_SIZE_ENTRY_H.get(memory, SEGMENTS_OFFSET, i);
            }
        }
        return -1;
    }

    /** A snapshot of a region table entry. */
    public record RegionEntry(int slot, int id, long size, long userFlags, long creatorPid, long instance, String path) {
    }

    /** @return the active entry of region {@code id}, or null */
    public RegionEntry findRegion(final int id) {
        for (int i = 0; i < MAX_REGIONS; i++) {
            if ((int) REGION_STATE_H.getAcquire(memory, REGIONS_OFFSET, (long) i) == ACTIVE
                    && (int) REGION_ID_H.get(memory, REGIONS_OFFSET, (long) i) == id) {
                final RegionEntry entry = entry(i);
                if (entry.instance() == (long) REGION_INSTANCE_H.getAcquire(memory, REGIONS_OFFSET, (long) i)
                        && entry.instance() != 0) {
                    return entry;
                }
            }
        }
        return null;
    }

    /** @return every active region */
    public List<RegionEntry> activeRegions() {
        final List<RegionEntry> result = new ArrayList<>();
        for (int i = 0; i < MAX_REGIONS; i++) {
            if ((int) REGION_STATE_H.getAcquire(memory, REGIONS_OFFSET, (long) i) == ACTIVE) {
                result.add(entry(i));
            }
        }
        return result;
    }

    private RegionEntry entry(final int slot) {
        final long s = slot;
        final int length = (int) REGION_PATH_LENGTH_H.get(memory, REGIONS_OFFSET, s);
        final long pathOffset = REGIONS_OFFSET + s * ManagementLayout.REGION.byteSize()
                + ManagementLayout.REGION_PATH_OFFSET;
        final byte[] bytes = new byte[Math.max(0, Math.min(length, ManagementLayout.MAX_PATH))];
        MemorySegment.copy(memory, java.lang.foreign.ValueLayout.JAVA_BYTE, pathOffset, bytes, 0, bytes.length);
        return new RegionEntry(slot, (int) REGION_ID_H.get(memory, REGIONS_OFFSET, s),
                (long) REGION_SIZE_H.get(memory, REGIONS_OFFSET, s), (long) REGION_FLAGS_H.get(memory, REGIONS_OFFSET,
                s), (long) REGION_CREATOR_H.get(memory, REGIONS_OFFSET, s),
                (long) REGION_INSTANCE_H.getAcquire(memory, REGIONS_OFFSET, s), new String(bytes,
                StandardCharsets.UTF_8));
    }

    /** @return the instance word of region slot {@code slot}: 0 once destroyed (one acquire load, no lock) */
    public long regionInstance(final int slot) {
        return (long) REGION_INSTANCE_H.getAcquire(memory, REGIONS_OFFSET, (long) slot);
    }

    /** @return the next free automatic region id from 1024 up; the caller holds the session lock */
    public int nextRegionId() {
        long next = (long) ManagementLayout.REGION_ID_COUNTER_H.get(memory, 0L);
        for (int tries = 0; tries <= 0xFFFF; tries++) {
            if (next > 0xFFFF || next < io.shmq.transport.api.RegionConfig.FIRST_AUTO_ID) {
                next = io.shmq.transport.api.RegionConfig.FIRST_AUTO_ID;
            }
            if (findRegion((int) next) == null) {
                ManagementLayout.REGION_ID_COUNTER_H.set(memory, 0L, next + 1);
                return (int) next;
            }
            next++;
        }
        throw new SharedMemoryException("no free region id in session " + shmId);
    }

    /**
     * Registers region {@code id} (not active); the caller holds the session lock and has created its files.
     *
     * @return the new entry
     */
    public RegionEntry registerRegion(final int id, final long size, final long userFlags, final String path) {
        int slot = -1;
        for (int i = 0; i < MAX_REGIONS && slot < 0; i++) {
            final int state = (int) REGION_STATE_H.getAcquire(memory, REGIONS_OFFSET, (long) i);
            if (state == FREE || state == DESTROYED) {
                slot = i;
            }
        }
        if (slot < 0) {
            throw new SharedMemoryException("region table of session " + shmId + " is full: " + MAX_REGIONS
                    + " regions");
        }
        final byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > ManagementLayout.MAX_PATH) {
            throw new IllegalArgumentException("region path longer than " + ManagementLayout.MAX_PATH + " bytes: "
                    + path);
        }
        final long s = slot;
        // The event counter moves only under the session lock, so the next value is known now; it is published
        // after the entry is ACTIVE, so that whoever sees the new count also sees the region.
        final long instance = (long) ManagementLayout.EVENT_COUNTER_H.getAcquire(memory, 0L) + 1;
        REGION_INSTANCE_H.setRelease(memory, REGIONS_OFFSET, s, 0L);
        REGION_ID_H.set(memory, REGIONS_OFFSET, s, id);
        REGION_SIZE_H.set(memory, REGIONS_OFFSET, s, size);
        REGION_FLAGS_H.set(memory, REGIONS_OFFSET, s, userFlags);
        REGION_CREATOR_H.set(memory, REGIONS_OFFSET, s, ProcessIdentity.PID);
        MemorySegment.copy(bytes, 0, memory, java.lang.foreign.ValueLayout.JAVA_BYTE, REGIONS_OFFSET
                + s * ManagementLayout.REGION.byteSize() + ManagementLayout.REGION_PATH_OFFSET, bytes.length);
        REGION_PATH_LENGTH_H.set(memory, REGIONS_OFFSET, s, bytes.length);
        REGION_INSTANCE_H.setRelease(memory, REGIONS_OFFSET, s, instance);
        REGION_STATE_H.setRelease(memory, REGIONS_OFFSET, s, ACTIVE);
        ManagementLayout.EVENT_COUNTER_H.setRelease(memory, 0L, instance);
        events.ring();
        return entry(slot);
    }

    /** Marks a region destroyed; the caller holds the session lock. */
    public void destroyRegion(final int slot) {
        REGION_INSTANCE_H.setRelease(memory, REGIONS_OFFSET, (long) slot, 0L);
        REGION_STATE_H.setRelease(memory, REGIONS_OFFSET, (long) slot, DESTROYED);
        bumpEvents();
    }

    /**
     * Leaves the session: frees the device slot and, when no live device remains and {@code cleanup} is set,
     * marks the session removed and deletes its files. Unmaps the management segment.
     *
     * @return whether this call removed the session's files
     */
    public boolean leave(final boolean cleanup) {
        boolean removed = false;
        lock.lock();
        try {
            DEVICE_PID_H.setRelease(memory, DEVICES_OFFSET, (long) deviceSlot, 0L);
            ManagementLayout.DEVICE_COUNTER_H.getAndAdd(memory, 0L, -1L);
            boolean anyLive = false;
            for (int i = 0; i < MAX_DEVICES && !anyLive; i++) {
                final long pid = (long) DEVICE_PID_H.getAcquire(memory, DEVICES_OFFSET, (long) i);
                anyLive = pid != 0 && ProcessIdentity.alive(pid, (long) DEVICE_TOKEN_H.get(memory, DEVICES_OFFSET,
                        (long) i));
            }
            // Not when the session was marked removed already (SessionMonitor --force removed it under a live
            // device): its files may belong to a successor session by now.
            if (!anyLive && cleanup && (int) ManagementLayout.REMOVED_H.getAcquire(memory, 0L) == 0) {
                ManagementLayout.REMOVED_H.setRelease(memory, 0L, 1);
                ShmFiles.deleteAll(directory, shmId);
                removed = true;
            }
        } finally {
            lock.unlock();
            arena.close();
        }
        return removed;
    }
}
