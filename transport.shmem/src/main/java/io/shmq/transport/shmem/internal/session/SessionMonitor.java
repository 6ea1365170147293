package io.shmq.transport.shmem.internal.session;

import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.shmem.internal.os.FileHeaderLayout;
import io.shmq.transport.shmem.internal.os.Native;
import io.shmq.transport.shmem.internal.os.ProcessIdentity;
import io.shmq.transport.shmem.internal.os.RobustLock;
import io.shmq.transport.shmem.internal.os.ShmFiles;
import io.shmq.transport.shmem.internal.segment.ManagedSegment;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.shmq.transport.shmem.internal.session.ManagementLayout.ACTIVE;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.SEGMENT_STATE_H;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.SEGMENT_SIZE_ENTRY_H;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.SEGMENT_ID_H;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.SEGMENTS_OFFSET;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.DEVICE_BEAT_H;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.DEVICES_OFFSET;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.DEVICE_PID_H;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.DEVICE_TOKEN_H;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.MAX_DEVICES;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.MAX_REGIONS;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.REGIONS_OFFSET;
import static io.shmq.transport.shmem.internal.session.ManagementLayout.REGION_STATE_H;

/**
 * Lists the shmq sessions of this user in a directory and removes the ones no live process uses (FairMQ #330,
 * #367). Library and command line ({@link #main}). Liveness is the core's: a device slot is live while its
 * process (pid + start time) runs.
 *
 * <p>It deletes only what is provably a session of this user that nobody uses: a management file of this user,
 * of the exact size, magic and version, not marked removed, and with no live device slot; the deletion happens
 * under the session lock, after marking the session removed, management file last, exactly as the last factory
 * of a session does, so a factory joining at that moment starts over with new files. Anything else (a foreign,
 * truncated or half-written file, files without a management file, files of another user) is reported and left.
 */
public final class SessionMonitor {
    /** What a session's files say about it. */
    public enum State {
        /** At least one device slot belongs to a running process. */
        LIVE,
        /** No live device but a device slot of a dead process (a crash), or half-created by a dead creator. */
        STALE,
        /** Ready, but no device slot in use: left on purpose ({@code shmem.cleanup-on-close=false}). */
        IDLE,
        /** Being created (no version yet, creator alive) or being removed right now. */
        BUSY,
        /** Not provably a session of this user and version; never deleted. */
        INVALID
    }

    /**
     * One session (or one group of files that looks like one).
     *
     * @param shmId      the 8 hex digits of the file names (for an unrecognised file, its name)
     * @param state      see {@link State}
     * @param creatorPid the pid that created it, 0 when unknown
     * @param livePids   pids of live device slots
     * @param deadSlots  device slots whose process is gone
     * @param regions    active unmanaged regions
     * @param files      files of the session in the directory
     * @param bytes      their apparent size (segment files are sparse)
     * @param reason     why it is {@link State#INVALID} or {@link State#BUSY}, or half-created; else empty
     */
    public record SessionInfo(String shmId, State state, long creatorPid, List<Long> livePids, int deadSlots,
                              int regions, int files, long bytes, String reason) {
        @Override
        public String toString() {
            return shmId + " " + state.name().toLowerCase() + " creator=" + creatorPid + " live=" + livePids.size()
                    + " dead=" + deadSlots + " live-pids=" + livePids + " regions=" + regions + " files=" + files
                    + " bytes=" + bytes + (reason.isEmpty() ? "" : " (" + reason + ")");
        }
    }

    /**
     * The result of a removal.
     *
     * @param removed whether the session's files were deleted
     * @param files   how many files were deleted
     * @param message what happened, for people
     */
    public record Outcome(boolean removed, int files, String message) {
    }

    /** The default directory: {@code $SHMQ_DIRECTORY}, else {@code /dev/shm}. */
    public static final Path DEFAULT_DIRECTORY = ShmFiles.DEFAULT_DIRECTORY;
    /**
     * Every file kind a session creates: management, segments, regions, region rings, socket endpoints and the
     * private file a binder builds an endpoint in.
     */
    private static final Pattern NAME = Pattern.compile(
            "shmq_([0-9a-f]{8})_(mng|mngnew_(\\d+)-\\d+|m_\\d+|own_\\d+(_reclaim_\\d+-r)?|rg_\\d+|rgq_\\d+|ep_[0-9a-f]{16}(_bind_\\d+-\\d+)?)");
    private static final System.Logger LOG = System.getLogger(SessionMonitor.class.getName());
    private static final String USAGE = """
            usage: sessions list [--dir D] [--details]
                   sessions cleanup [--dir D] [--force] <shmId>
                   sessions cleanup --stale [--dir D]
              list           every shmq session of this user in D (default $SHMQ_DIRECTORY, else /dev/shm), one line each;
                             --details adds its devices (last heartbeat), segments (free memory), regions
              cleanup shmId  removes a session without a live device (stale or idle); --force also a live one
              cleanup --stale  removes every stale session (no live device, at least one dead one)
            exit codes: 0 ok, 1 something refused or failed, 2 usage error""";

    private SessionMonitor() {
    }

    /** @return every session (and unrecognised {@code shmq_*} file) in {@code dir}, sorted by shmId */
    public static List<SessionInfo> list(final Path dir) {
        final Map<String, List<Path>> groups = new TreeMap<>();
        final List<SessionInfo> result = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, ShmFiles.PREFIX + "*")) {
            for (final Path file : stream) {
                final Matcher m = NAME.matcher(file.getFileName().toString());
                if (m.matches()) {
                    groups.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(file);
                } else {
                    result.add(new SessionInfo(file.getFileName().toString(), State.INVALID, 0, List.of(), 0, 0, 1,
                            size(file), "unrecognised file name"));
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot list directory " + dir + ": " + e, e);
        }
        groups.forEach((shmId, files) -> result.add(inspect(dir, shmId, files)));
        result.sort((a, b) -> a.shmId().compareTo(b.shmId()));
        return result;
    }

    /** @return the session {@code shmId} in {@code dir}, or null when it has no file there */
    public static SessionInfo inspect(final Path dir, final String shmId) {
        if (!shmId.matches("[0-9a-f]{8}")) {
            throw new IllegalArgumentException("shmId must be 8 lower-case hex digits: shmId=" + shmId);
        }
        final List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, ShmFiles.PREFIX + shmId + "_*")) {
            for (final Path file : stream) {
                if (NAME.matcher(file.getFileName().toString()).matches()) {
                    files.add(file);
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot list directory " + dir + ": " + e, e);
        }
        return files.isEmpty() ? null : inspect(dir, shmId, files);
    }

    private static SessionInfo inspect(final Path dir, final String shmId, final List<Path> files) {
        long bytes = 0;
        for (final Path file : files) {
            bytes += size(file);
        }
        final int count = files.size();
        final Path mng = ShmFiles.management(dir, shmId);
        if (!files.contains(mng)) {
            final List<Path> creating = creatingFiles(files);
            if (creating.size() == files.size()) {
                final List<Long> creators = creating.stream().map(SessionMonitor::creatorOf).distinct().toList();
                return creators.stream().anyMatch(pid -> ProcessIdentity.alive(pid, 0))
                        ? new SessionInfo(shmId, State.BUSY, creators.getFirst(), List.of(), 0, 0, count, bytes,
                        "being created by pid " + creators)
                        : new SessionInfo(shmId, State.STALE, creators.getFirst(), List.of(), 0, 0, count, bytes,
                        "half-created by dead pid " + creators + " (never linked)");
            }
            return invalid(shmId, count, bytes, "files without a management file");
        }
        final String problem = foreign(mng);
        if (problem != null) {
            return invalid(shmId, count, bytes, problem);
        }
        try (Arena arena = Arena.ofConfined();
             FileChannel channel = FileChannel.open(mng, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            final long size = channel.size();
            if (size != Session.MNG_BYTES) {
                return invalid(shmId, count, bytes, "management file size=" + size + ", expected="
                        + Session.MNG_BYTES + " (truncated, foreign, or being created)");
            }
            final MemorySegment memory = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return read(shmId, memory, count, bytes);
        } catch (IOException | RuntimeException e) {
            return invalid(shmId, count, bytes, "cannot read management file: " + e);
        }
    }

    private static SessionInfo read(final String shmId, final MemorySegment memory, final int files,
                                    final long bytes) {
        final int version = FileHeaderLayout.version(memory);
        final long magic = FileHeaderLayout.magic(memory);
        // The creator writes the pid (release) after the magic, so a pid seen here comes with a valid magic.
        final long creator = (long) ManagementLayout.CREATOR_PID_H.getAcquire(memory, 0L);
        if (magic == ManagementLayout.MAGIC && (int) ManagementLayout.REMOVED_H.getAcquire(memory, 0L) != 0) {
            // First: an unlinked file still mapped here is marked removed, and its successor must not be touched.
            // A remover deletes under the session lock: a free lock (or a dead owner's) means it died half-way.
            final long owner = (long) ManagementLayout.LOCK_H.getAcquire(memory, 0L);
            if (owner == 0 || owner == ProcessIdentity.lockWord() || !ProcessIdentity.alive(owner)) {
                return new SessionInfo(shmId, State.STALE, creator, List.of(), 0, 0, files, bytes,
                        "marked removed by a process that died before it deleted the files");
            }
            return new SessionInfo(shmId, State.BUSY, creator, List.of(), 0, 0, files, bytes,
                    "marked removed: being deleted");
        }
        if (version == 0) {
            // A creator links the file with its pid and start token set; creator 0 is an older build's file.
            if (magic == ManagementLayout.MAGIC && (creator == 0 || !ProcessIdentity.alive(creator,
                    (long) ManagementLayout.CREATOR_TOKEN_H.get(memory, 0L)))) {
                return new SessionInfo(shmId, State.STALE, creator, List.of(), 0, 0, files, bytes,
                        creator == 0 ? "half-created by an unknown process" : "half-created by dead pid " + creator);
            }
            return new SessionInfo(shmId, State.BUSY, creator, List.of(), 0, 0, files, bytes,
                    "no version yet: being created");
        }
        try {
            FileHeaderLayout.checkReady(memory, ShmFiles.PREFIX + shmId + "_mng", ManagementLayout.MAGIC,
                    ManagementLayout.VERSION);
        } catch (SharedMemoryException e) {
            return invalid(shmId, files, bytes, e.getMessage());
        }
        final List<Long> live = new ArrayList<>();
        int dead = 0;
        for (int i = 0; i < MAX_DEVICES; i++) {
            final long pid = (long) DEVICE_PID_H.getAcquire(memory, DEVICES_OFFSET, (long) i);
            if (pid == 0) {
                continue;
            }
            if (ProcessIdentity.alive(pid, (long) DEVICE_TOKEN_H.get(memory, DEVICES_OFFSET, (long) i))) {
                live.add(pid);
            } else {
                dead++;
            }
        }
        int regions = 0;
        for (int i = 0; i < MAX_REGIONS; i++) {
            if ((int) REGION_STATE_H.getAcquire(memory, REGIONS_OFFSET, (long) i) == ACTIVE) {
                regions++;
            }
        }
        final State state;
        if (!live.isEmpty()) {
            state = State.LIVE;
        } else {
            state = dead > 0 ? State.STALE : State.IDLE;
        }
        return new SessionInfo(shmId, state, creator, List.copyOf(live), dead, regions, files, bytes, "");
    }

    /**
     * The details of a session that is live, idle or stale: its devices (pid, alive, age of the last heartbeat), its
     * managed segments (size and free memory) and its regions (size and file). Read-only; nothing is attached.
     *
     * @return one line per device, segment and region; empty when the session is not there or not readable
     */
    public static List<String> details(final Path dir, final String shmId) {
        final SessionInfo info = inspect(dir, shmId);
        if (info == null || info.state() == State.INVALID || info.state() == State.BUSY) {
            return List.of();
        }
        final List<String> lines = new ArrayList<>();
        try (Arena arena = Arena.ofConfined();
             FileChannel channel = FileChannel.open(ShmFiles.management(dir, shmId), StandardOpenOption.READ,
                     LinkOption.NOFOLLOW_LINKS)) {
            final MemorySegment memory = channel.map(FileChannel.MapMode.READ_ONLY, 0, Session.MNG_BYTES, arena);
            final long now = System.currentTimeMillis();
            for (int i = 0; i < MAX_DEVICES; i++) {
                final long pid = (long) DEVICE_PID_H.getAcquire(memory, DEVICES_OFFSET, (long) i);
                if (pid != 0) {
                    final boolean alive = ProcessIdentity.alive(pid, (long) DEVICE_TOKEN_H.get(memory, DEVICES_OFFSET,
                            (long) i));
                    final long beat = (long) DEVICE_BEAT_H.getAcquire(memory, DEVICES_OFFSET, (long) i);
                    lines.add("  device slot=" + i + " pid=" + pid + (alive ? " alive" : " dead") + " last-beat="
                            + (beat == 0 ? "never" : (now - beat) + " ms ago"));
                }
            }
            for (long i = 0; i < ManagementLayout.MAX_SEGMENTS; i++) {
                if ((int) SEGMENT_STATE_H.getAcquire(memory, SEGMENTS_OFFSET, i) == ACTIVE) {
                    final int id = (int) SEGMENT_ID_H.get(memory, SEGMENTS_OFFSET, i);
                    final long size = (long) SEGMENT_SIZE_ENTRY_H.get(memory, SEGMENTS_OFFSET, i);
                    String free;
                    try {
                        free = Long.toString(ManagedSegment.peekFreeMemory(ShmFiles.segment(dir, shmId, id), size));
                    } catch (RuntimeException e) {
                        free = "unreadable (" + e.getMessage() + ")";
                    }
                    lines.add("  segment id=" + id + " size=" + size + " free=" + free);
                }
            }
            for (long i = 0; i < MAX_REGIONS; i++) {
                if ((int) REGION_STATE_H.getAcquire(memory, REGIONS_OFFSET, i) == ACTIVE) {
                    lines.add("  region id=" + (int) ManagementLayout.REGION_ID_H.get(memory, REGIONS_OFFSET, i)
                            + " size=" + (long) ManagementLayout.REGION_SIZE_H.get(memory, REGIONS_OFFSET, i)
                            + " creator=" + (long) ManagementLayout.REGION_CREATOR_H.get(memory, REGIONS_OFFSET, i));
                }
            }
        } catch (IOException | RuntimeException e) {
            lines.add("  unreadable: " + e.getMessage());
        }
        return lines;
    }

    /** @return why {@code file} is not ours to touch, or null when it is a regular file of this user */
    private static String foreign(final Path file) {
        try {
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                return "management file is not a regular file";
            }
            final int uid = (int) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            if (uid != Native.uid()) {
                return "owned by uid=" + uid + ", this user is uid=" + Native.uid();
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return "cannot read owner: " + e;
        }
    }

    private static SessionInfo invalid(final String shmId, final int files, final long bytes, final String why) {
        return new SessionInfo(shmId, State.INVALID, 0, List.of(), 0, 0, files, bytes, why);
    }

    private static long size(final Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * Removes session {@code shmId} when no device of it is alive ({@link State#STALE} or {@link State#IDLE}), or
     * with {@code force} also a {@link State#LIVE} one: its processes go on with unlinked files, and a new factory
     * of the same name starts a new session, so force only sessions whose processes are hung.
     */
    public static Outcome cleanup(final Path dir, final String shmId, final boolean force) {
        return remove(dir, shmId, force, false);
    }

    /** @return the stale sessions of {@code dir} removed now, except {@code keep} (may be null) */
    public static List<Outcome> cleanupStale(final Path dir, final String keep) {
        final List<Outcome> outcomes = new ArrayList<>();
        for (final SessionInfo info : list(dir)) {
            if (info.state() == State.STALE && !info.shmId().equals(keep)) {
                outcomes.add(remove(dir, info.shmId(), false, true));
            }
        }
        return outcomes;
    }

    /**
     * The factory's automatic sweep: removes the stale sessions of {@code dir} other than {@code keep}, logs what
     * it removed and never throws.
     *
     * @return how many sessions it removed
     */
    public static int sweep(final Path dir, final String keep) {
        int removed = 0;
        try {
            for (final Outcome outcome : cleanupStale(dir, keep)) {
                if (outcome.removed()) {
                    removed++;
                    LOG.log(System.Logger.Level.INFO, outcome.message());
                } else {
                    LOG.log(System.Logger.Level.DEBUG, outcome.message());
                }
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "sweep of stale sessions in " + dir + " failed: " + e, e);
        }
        return removed;
    }

    /**
     * @param onlyStale remove only when the state under the lock is still {@link State#STALE} (the sweep), never an
     *                  idle session someone kept on purpose or is about to join
     */
    private static Outcome remove(final Path dir, final String shmId, final boolean force, final boolean onlyStale) {
        final SessionInfo before = inspect(dir, shmId);
        if (before == null) {
            return new Outcome(false, 0, "session " + shmId + ": no such session in " + dir);
        }
        switch (before.state()) {
            case INVALID, BUSY -> {
                return new Outcome(false, 0, "session " + shmId + " left alone: " + before.reason());
            }
            case LIVE -> {
                if (!force) {
                    return refusedLive(shmId, before.livePids());
                }
            }
            case IDLE -> {
                if (onlyStale) {
                    return new Outcome(false, 0, "session " + shmId + " left alone: idle, not stale");
                }
            }
            case STALE -> {
                // removable
            }
        }
        final Path mng = ShmFiles.management(dir, shmId);
        if (before.state() == State.STALE && !Files.exists(mng, LinkOption.NOFOLLOW_LINKS)) {
            // Only the private files of creators that died before linking: nobody else ever opens them.
            int deleted = 0;
            for (final Path file : creatingFiles(listOf(dir, shmId))) {
                if (!ProcessIdentity.alive(creatorOf(file), 0) && ShmFiles.deleteQuietly(file)) {
                    deleted++;
                }
            }
            return new Outcome(deleted > 0, deleted, "removed half-created session " + shmId + " of dead pid "
                    + before.creatorPid() + ": " + deleted + " files");
        }
        final Object inode = ShmFiles.inode(mng);
        try (Arena arena = Arena.ofConfined();
             FileChannel channel = FileChannel.open(mng, StandardOpenOption.READ, StandardOpenOption.WRITE,
                     LinkOption.NOFOLLOW_LINKS)) {
            if (channel.size() != Session.MNG_BYTES) {
                return new Outcome(false, 0, "session " + shmId + " left alone: management file changed size");
            }
            final MemorySegment memory = channel.map(FileChannel.MapMode.READ_WRITE, 0, Session.MNG_BYTES, arena);
            final RobustLock lock = Session.lockOf(memory);
            lock.lock();
            try {
                // Decide again under the lock: joins and leaves happen under it, so this state is the truth. The
                // file must still be the one at the path: deleting by name must never hit a successor's files.
                if (inode == null || !inode.equals(ShmFiles.inode(mng))) {
                    return new Outcome(false, 0, "session " + shmId + " left alone: management file replaced");
                }
                final SessionInfo now = read(shmId, memory, before.files(), before.bytes());
                final boolean removable = switch (now.state()) {
                    case STALE -> true;
                    case IDLE -> !onlyStale;
                    case LIVE -> force && !onlyStale;
                    case BUSY, INVALID -> false;
                };
                if (!removable) {
                    return now.state() == State.LIVE ? refusedLive(shmId, now.livePids())
                            : new Outcome(false, 0, "session " + shmId + " left alone: now "
                            + now.state().name().toLowerCase() + " " + now.reason());
                }
                ManagementLayout.REMOVED_H.setRelease(memory, 0L, 1);
                final int deleted = ShmFiles.deleteAll(dir, shmId);
                return new Outcome(true, deleted, "removed " + now.state().name().toLowerCase() + " session "
                        + shmId + " (creator pid " + now.creatorPid() + ", live pids " + now.livePids() + "): "
                        + deleted + " files");
            } finally {
                lock.unlock();
            }
        } catch (IOException | RuntimeException e) {
            return new Outcome(false, 0, "session " + shmId + ": cannot remove: " + e);
        }
    }

    /** @return the private creation files ({@code _mngnew_<pid>-<n>}) among {@code files} */
    private static List<Path> creatingFiles(final List<Path> files) {
        return files.stream().filter(f -> {
            final Matcher m = NAME.matcher(f.getFileName().toString());
            return m.matches() && m.group(3) != null;
        }).toList();
    }

    private static long creatorOf(final Path creating) {
        final Matcher m = NAME.matcher(creating.getFileName().toString());
        return m.matches() && m.group(3) != null ? Long.parseLong(m.group(3)) : 0;
    }

    private static List<Path> listOf(final Path dir, final String shmId) {
        final List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, ShmFiles.PREFIX + shmId + "_*")) {
            stream.forEach(files::add);
        } catch (IOException e) {
            return List.of();
        }
        return files;
    }


    private static Outcome refusedLive(final String shmId, final List<Long> pids) {
        return new Outcome(false, 0, "session " + shmId + " refused: live devices, pids " + pids
                + " (--force removes it anyway)");
    }

    /**
     * The command line; see {@link #USAGE}.
     *
     * @return the exit code: 0 ok, 1 something refused or failed, 2 usage error
     */
    public static int run(final String[] args, final PrintStream out, final PrintStream err) {
        Path dir = DEFAULT_DIRECTORY;
        boolean force = false;
        boolean stale = false;
        boolean details = false;
        final List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dir" -> {
                    if (i + 1 >= args.length) {
                        return usage(err, "--dir needs a directory");
                    }
                    dir = Path.of(args[++i]);
                }
                case "--force" -> force = true;
                case "--stale" -> stale = true;
                case "--details" -> details = true;
                case "-h", "--help" -> {
                    out.println(USAGE);
                    return 0;
                }
                default -> {
                    if (args[i].startsWith("-")) {
                        return usage(err, "unknown option " + args[i]);
                    }
                    rest.add(args[i]);
                }
            }
        }
        if (rest.isEmpty()) {
            return usage(err, "no command");
        }
        if (!Files.isDirectory(dir)) {
            return usage(err, "not a directory: " + dir);
        }
        try {
            switch (rest.getFirst()) {
                case "list" -> {
                    if (rest.size() != 1 || force || stale) {
                        return usage(err, "list takes only --dir and --details");
                    }
                    final List<SessionInfo> sessions = list(dir);
                    if (sessions.isEmpty()) {
                        err.println("no shmq sessions in " + dir); // stdout stays empty for scripts
                    }
                    for (final SessionInfo info : sessions) {
                        out.println(info);
                        if (details && NAME.matcher(ShmFiles.PREFIX + info.shmId() + "_mng").matches()) {
                            details(dir, info.shmId()).forEach(out::println);
                        }
                    }
                    return 0;
                }
                case "cleanup" -> {
                    if (details) {
                        return usage(err, "--details belongs to list");
                    }
                    if (stale == (rest.size() == 2) || rest.size() > 2 || stale && force) {
                        return usage(err, "cleanup takes either one shmId (optionally --force) or --stale");
                    }
                    if (stale) {
                        int failed = 0;
                        final List<Outcome> outcomes = cleanupStale(dir, null);
                        if (outcomes.isEmpty()) {
                            err.println("no stale shmq sessions in " + dir);
                        }
                        for (final Outcome outcome : outcomes) {
                            out.println(outcome.message());
                            failed += outcome.removed() ? 0 : 1;
                        }
                        return failed == 0 ? 0 : 1;
                    }
                    if (!rest.get(1).matches("[0-9a-f]{8}")) {
                        return usage(err, "shmId must be 8 lower-case hex digits: " + rest.get(1));
                    }
                    final Outcome outcome = cleanup(dir, rest.get(1), force);
                    (outcome.removed() ? out : err).println(outcome.message());
                    return outcome.removed() ? 0 : 1;
                }
                default -> {
                    return usage(err, "unknown command " + rest.getFirst());
                }
            }
        } catch (RuntimeException e) {
            err.println("failed: " + e);
            return 1;
        }
    }

    private static int usage(final PrintStream err, final String problem) {
        err.println(problem);
        err.println(USAGE);
        return 2;
    }

    /**
     * Command-line entry; see the usage text ({@code --help}).
     *
     * @param args the command and its options
     */
    public static void main(final String[] args) {
        System.exit(run(args, System.out, System.err));
    }
}
