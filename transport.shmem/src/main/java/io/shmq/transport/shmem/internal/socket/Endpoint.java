package io.shmq.transport.shmem.internal.socket;

import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.api.SocketException;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.shmem.internal.os.FileHeaderLayout;
import io.shmq.transport.shmem.internal.os.ProcessIdentity;
import io.shmq.transport.shmem.internal.os.RobustLock;
import io.shmq.transport.shmem.internal.os.ShmFiles;
import io.shmq.transport.shmem.internal.ring.SocketRing;
import io.shmq.transport.shmem.internal.ring.SocketRingLayout;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A mapped socket endpoint ({@link EndpointLayout}): created by {@link #bind}, attached by {@link #attach}; its
 * mapping lives in its own shared arena, closed once by {@link #unmap}.
 */
public final class Endpoint {
    /** The private file a binder builds before publishing it: {@code <endpoint file name>_bind_<pid>-<n>}. */
    public static final String BIND_SUFFIX = "_bind_";
    private static final AtomicLong BINDS = new AtomicLong();

    private final Path file;
    private final Arena arena;
    private final MemorySegment memory;
    private final SocketRing[] rings;
    private final int pattern;
    /** The binding socket's type ({@link EndpointLayout#binderCode}). */
    private final int binder;
    /** The session lock, held while the binder's file is published, replaced or deleted; null when attached. */
    private final RobustLock lock;
    /** The binder's file identity (inode), so that its close never deletes a successor's file; null when attached. */
    private final Object fileKey;
    private final AtomicBoolean unmapped = new AtomicBoolean();

    private Endpoint(final Path file, final Arena arena, final MemorySegment memory) {
        this(file, arena, memory, null, null);
    }

    private Endpoint(final Path file, final Arena arena, final MemorySegment memory, final RobustLock lock,
                     final Object fileKey) {
        this.file = file;
        this.lock = lock;
        this.fileKey = fileKey;
        this.arena = arena;
        this.memory = memory;
        this.pattern = (int) EndpointLayout.PATTERN_H.get(memory, 0L);
        this.binder = (int) EndpointLayout.BINDER_H.get(memory, 0L);
        final int count = (int) EndpointLayout.RINGS_H.get(memory, 0L);
        final int capacity = (int) EndpointLayout.CAPACITY_H.get(memory, 0L);
        if (count < 1 || count > EndpointLayout.MAX_RINGS) {
            throw FileHeaderLayout.incompatible(file, "rings", "1.." + EndpointLayout.MAX_RINGS,
                    Integer.toString(count));
        }
        this.rings = new SocketRing[count];
        for (int i = 0; i < count; i++) {
            // Each ring checks the capacity it reads (power of two, records inside the mapping) before use.
            rings[i] = new SocketRing(memory, EndpointLayout.RINGS_OFFSET + i * SocketRingLayout.bytes(capacity),
                    "ring " + i + " of " + file);
        }
    }

    /** The pattern family both ends of an endpoint must share. */
    static int pattern(final SocketType type) {
        return switch (type) {
            case PUSH, PULL -> 1;
            case PAIR -> 2;
            case REQ, REP -> 3;
            case PUB, SUB -> 4;
        };
    }

    /**
     * @return whether every ring of an endpoint bound by a {@code type} socket has one producer by construction, and
     * so runs {@link io.shmq.transport.shmem.internal.ring.SequencedRing}'s single-producer protocol: a bound push's
     * or pub's rings (the binder writes them), a bound pull's, a pair's and req/rep's (each ring is written by the
     * binder or by the one peer that holds its slot). A bound sub's ring takes every connecting pub: many producers.
     */
    static boolean singleProducer(final SocketType type) {
        return type != SocketType.SUB;
    }

    /** @return the rings of an endpoint bound by a {@code type} socket with {@code peers} peer slots */
    static int ringCount(final SocketType type, final int peers) {
        return switch (type) {
            case PUSH -> 1;
            case PULL, PUB, SUB -> peers;
            case REQ, REP -> 2 * peers;
            case PAIR -> 2;
        };
    }

    /** @return whether the endpoint was bound by a {@code type} socket */
    boolean boundBy(final SocketType type) {
        return binder == EndpointLayout.binderCode(type);
    }

    public static Path file(final Path directory, final String shmId, final String name) {
        try {
            final byte[] digest = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
            return directory.resolve(ShmFiles.PREFIX + shmId + "_ep_" + HexFormat.of().formatHex(digest, 0, 8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing", e);
        }
    }

    /**
     * Binds: builds the whole endpoint in a file of this process's own ({@code <name>_bind_<pid>-<n>}), then,
     * under the session lock, publishes it with an atomic hard link to the endpoint's name, replacing a file whose
     * binder is dead or closed it. So the endpoint's name only ever holds complete files (a binder killed inside bind
     * leaves at most its private file, removed by the next binder of the address), and of binders racing for an
     * address exactly one wins.
     *
     * @param lock the session lock
     * @throws SocketException when the address is bound by a live binder or the file cannot be made
     */
    static Endpoint bind(final Path file, final String address, final SocketType type, final int capacity,
                         final int peers, final RobustLock lock) {
        final int pattern = pattern(type);
        final int count = ringCount(type, peers);
        final long bytes = EndpointLayout.bytes(count, capacity);
        final Path temp = file.resolveSibling(file.getFileName() + BIND_SUFFIX + ProcessIdentity.PID + "-"
                + BINDS.incrementAndGet());
        final Arena arena = Arena.ofShared();
        try {
            Files.deleteIfExists(temp);
            Files.createFile(temp, ShmFiles.OWNER_ONLY);
            final MemorySegment memory;
            try (RandomAccessFile raf = new RandomAccessFile(temp.toFile(), "rw")) {
                raf.setLength(bytes);
                ShmFiles.reserve(temp, 0, bytes);
                memory = raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
            }
            FileHeaderLayout.format(memory, EndpointLayout.MAGIC);
            EndpointLayout.PATTERN_H.set(memory, 0L, pattern);
            EndpointLayout.RINGS_H.set(memory, 0L, count);
            EndpointLayout.CAPACITY_H.set(memory, 0L, capacity);
            EndpointLayout.BINDER_PID_H.set(memory, 0L, ProcessIdentity.PID);
            EndpointLayout.BINDER_TOKEN_H.set(memory, 0L, ProcessIdentity.TOKEN);
            EndpointLayout.BINDER_H.set(memory, 0L, EndpointLayout.binderCode(type));
            final boolean single = singleProducer(type);
            for (int i = 0; i < count; i++) {
                SocketRing.format(memory, EndpointLayout.RINGS_OFFSET + i * SocketRingLayout.bytes(capacity), capacity,
                        single);
            }
            FileHeaderLayout.signalReady(memory, EndpointLayout.VERSION);
            final Object key = Files.readAttributes(temp, BasicFileAttributes.class).fileKey();
            lock.lock();
            try {
                removeDeadBinds(file);
                if (Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !removeStale(file)) {
                    throw new SocketException("address already bound in this session: " + address);
                }
                Files.createLink(file, temp);
            } finally {
                lock.unlock();
            }
            return new Endpoint(file, arena, memory, lock, key);
        } catch (IOException | RuntimeException e) {
            arena.close();
            if (e instanceof SocketException se) {
                throw se;
            }
            if (e instanceof SharedMemoryException sm) {
                throw sm;
            }
            throw new SocketException("cannot bind " + address + ": " + e, e);
        } finally {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // the session's cleanup removes it
            }
        }
    }

    /** Removes the private files of binders of this address that died inside bind (under the session lock). */
    private static void removeDeadBinds(final Path file) throws IOException {
        final String prefix = file.getFileName() + BIND_SUFFIX;
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(file.getParent(), prefix + "*")) {
            for (final Path temp : stream) {
                final String rest = temp.getFileName().toString().substring(prefix.length());
                final String pid = rest.substring(0, Math.max(0, rest.indexOf('-')));
                if (pid.matches("\\d{1,18}") && ProcessHandle.of(Long.parseLong(pid)).isEmpty()) {
                    Files.deleteIfExists(temp);
                }
            }
        }
    }

    /** Deletes {@code file} when its binder is dead or closed it; @return whether it did. */
    private static boolean removeStale(final Path file) {
        final Endpoint old = attachQuietly(file);
        if (old == null) {
            return false;
        }
        try {
            if (old.isClosed() || !old.binderAlive()) {
                Files.deleteIfExists(file);
                return true;
            }
            return false;
        } catch (IOException e) {
            return false;
        } finally {
            old.unmap();
        }
    }

    private static Endpoint attachQuietly(final Path file) {
        try {
            return attach(file, "", -1, false);
        } catch (SocketException e) {
            return null;
        }
    }

    /**
     * Maps an existing, ready endpoint.
     *
     * @param pattern the caller's pattern family, or -1 for any
     * @return the endpoint, or null when there is none (yet) or it is not ready or closed
     * @throws SocketException when it belongs to another pattern
     */
    static Endpoint attach(final Path file, final String address, final int pattern) {
        return attach(file, address, pattern, true);
    }

    /**
     * @param liveBinder whether an endpoint whose binder died counts as none (a connecting socket waits for the next
     *                   binder, who replaces the file) or is returned (to inspect and remove it)
     */
    private static Endpoint attach(final Path file, final String address, final int pattern,
                                   final boolean liveBinder) {
        final Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(file, java.nio.file.StandardOpenOption.READ,
                java.nio.file.StandardOpenOption.WRITE)) {
            final long size = channel.size();
            if (size < EndpointLayout.RINGS_OFFSET) {
                arena.close();
                return null;
            }
            final MemorySegment memory = channel.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            // Not ready: the binder is still writing it (a later call looks again). Incompatible: an error now.
            if (FileHeaderLayout.check(memory, file, EndpointLayout.MAGIC, EndpointLayout.VERSION)
                    == FileHeaderLayout.State.NOT_READY) {
                arena.close();
                return null;
            }
            final Endpoint endpoint = new Endpoint(file, arena, memory);
            if (pattern >= 0 && endpoint.pattern != pattern) {
                endpoint.unmap();
                throw new SocketException("address " + address + " is bound by a socket of another pattern: "
                        + "pattern=" + endpoint.pattern + ", expected=" + pattern);
            }
            if (endpoint.isClosed() || liveBinder && !endpoint.binderAlive()) {
                endpoint.unmap();
                return null;
            }
            return endpoint;
        } catch (NoSuchFileException e) {
            arena.close();
            return null;
        } catch (IOException e) {
            arena.close();
            throw new SocketException("cannot connect to " + address + ": " + e, e);
        } catch (RuntimeException e) {
            if (arena.scope().isAlive()) {
                arena.close();
            }
            throw e;
        }
    }

    SocketRing ring(final int index) {
        return rings[index];
    }

    int ringCount() {
        return rings.length;
    }

    /** @return the req/rep slots held now, bit k for slot k (acquire load) */
    int peers() {
        return (int) EndpointLayout.PEERS_H.getAcquire(memory, 0L);
    }

    /** Sets or clears bit {@code slot} of the held req/rep slots (CAS loop: connectors change it concurrently). */
    void markPeer(final int slot, final boolean held) {
        while (true) {
            final int now = (int) EndpointLayout.PEERS_H.getVolatile(memory, 0L);
            final int next = held ? now | 1 << slot : now & ~(1 << slot);
            if (now == next || EndpointLayout.PEERS_H.compareAndSet(memory, 0L, now, next)) {
                return;
            }
        }
    }

    /** @return whether the process that bound the endpoint still runs (pid and start token; reads /proc) */
    boolean binderAlive() {
        return ProcessIdentity.alive((long) EndpointLayout.BINDER_PID_H.get(memory, 0L),
                (long) EndpointLayout.BINDER_TOKEN_H.get(memory, 0L));
    }

    boolean isClosed() {
        return (int) EndpointLayout.CLOSED_H.getVolatile(memory, 0L) != 0;
    }

    /**
     * The binder's close: marks the endpoint closed (connectors let go of it) and removes the file, under the session
     * lock and only while the name still holds this binder's file (a successor may have replaced it already).
     */
    void markClosedAndDelete() {
        EndpointLayout.CLOSED_H.setVolatile(memory, 0L, 1);
        for (final SocketRing ring : rings) {
            ring.wakeAll();
        }
        if (lock == null) {
            return;
        }
        lock.lock();
        try {
            if (fileKey.equals(Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                    .fileKey())) {
                Files.delete(file);
            }
        } catch (IOException ignored) {
            // gone already, or the session's cleanup removes it
        } finally {
            lock.unlock();
        }
    }

    /** Unmaps the endpoint, once; later calls do nothing. */
    void unmap() {
        if (unmapped.compareAndSet(false, true)) {
            arena.close();
        }
    }
}
