package io.shmq.transport.shmem.internal.socket;

import io.shmq.transport.api.SocketException;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.shmem.internal.os.FileHeaderLayout;
import io.shmq.transport.shmem.internal.os.ProcessIdentity;
import io.shmq.transport.shmem.internal.os.ShmFiles;
import io.shmq.transport.shmem.internal.ring.SocketRing;
import io.shmq.transport.shmem.internal.ring.SocketRingLayout;
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
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A mapped socket endpoint ({@link EndpointLayout}): created by {@link #bind}, attached by {@link #attach}; its
 * mapping lives in its own shared arena, closed once by {@link #unmap}.
 */
public final class Endpoint {
    private final Path file;
    private final Arena arena;
    private final MemorySegment memory;
    private final SocketRing[] rings;
    private final int pattern;

    private Endpoint(final Path file, final Arena arena, final MemorySegment memory) {
        this.file = file;
        this.arena = arena;
        this.memory = memory;
        this.pattern = (int) EndpointLayout.PATTERN_H.get(memory, 0L);
        final int count = (int) EndpointLayout.RINGS_H.get(memory, 0L);
        final int capacity = (int) EndpointLayout.CAPACITY_H.get(memory, 0L);
        if (count < 1 || count > EndpointLayout.SUB_SLOTS) {
            throw FileHeaderLayout.incompatible(file, "rings", "1.." + EndpointLayout.SUB_SLOTS,
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

    static int ringCount(final int pattern) {
        return switch (pattern) {
            case 1 -> 1;
            case 4 -> EndpointLayout.SUB_SLOTS;
            default -> 2;
        };
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
     * Creates the endpoint file exclusively (a second bind of the address fails); a file left by a binder that
     * died or closed is replaced.
     *
     * @throws SocketException when the address is bound already or the file cannot be made
     */
    static Endpoint bind(final Path file, final String address, final SocketType type, final int capacity) {
        final int pattern = pattern(type);
        final int count = ringCount(pattern);
        final long bytes = EndpointLayout.bytes(count, capacity);
        for (int attempt = 0; ; attempt++) {
            try {
                Files.createFile(file, ShmFiles.OWNER_ONLY);
            } catch (FileAlreadyExistsException e) {
                if (attempt < 3 && removeStale(file)) {
                    continue;
                }
                throw new SocketException("address already bound in this session: " + address);
            } catch (IOException e) {
                throw new SocketException("cannot bind " + address + ": " + e);
            }
            break;
        }
        final Arena arena = Arena.ofShared();
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(bytes);
            ShmFiles.reserve(file, 0, bytes);
            final MemorySegment memory = raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
            FileHeaderLayout.format(memory, EndpointLayout.MAGIC);
            EndpointLayout.PATTERN_H.set(memory, 0L, pattern);
            EndpointLayout.RINGS_H.set(memory, 0L, count);
            EndpointLayout.CAPACITY_H.set(memory, 0L, capacity);
            EndpointLayout.BINDER_PID_H.set(memory, 0L, ProcessIdentity.PID);
            EndpointLayout.BINDER_TOKEN_H.set(memory, 0L, ProcessIdentity.TOKEN);
            for (int i = 0; i < count; i++) {
                SocketRing.format(memory, EndpointLayout.RINGS_OFFSET + i * SocketRingLayout.bytes(capacity), capacity);
            }
            FileHeaderLayout.signalReady(memory, EndpointLayout.VERSION);
            return new Endpoint(file, arena, memory);
        } catch (IOException | RuntimeException e) {
            arena.close();
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // best effort
            }
            if (e instanceof SocketException se) {
                throw se;
            }
            throw new SocketException("cannot bind " + address + ": " + e, e);
        }
    }

    /** Deletes {@code file} when its binder is dead or closed it; @return whether it did. */
    private static boolean removeStale(final Path file) {
        final Endpoint old = attachQuietly(file);
        if (old == null) {
            return false;
        }
        try {
            final long pid = (long) EndpointLayout.BINDER_PID_H.get(old.memory, 0L);
            final long token = (long) EndpointLayout.BINDER_TOKEN_H.get(old.memory, 0L);
            if (old.isClosed() || !ProcessIdentity.alive(pid, token)) {
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
            return attach(file, "", -1);
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
            if (endpoint.isClosed()) {
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

    boolean isClosed() {
        return (int) EndpointLayout.CLOSED_H.getVolatile(memory, 0L) != 0;
    }

    /** The binder's close: marks the endpoint closed (connectors let go of it) and removes the file. */
    void markClosedAndDelete() {
        EndpointLayout.CLOSED_H.setVolatile(memory, 0L, 1);
        for (final SocketRing ring : rings) {
            ring.wakeAll();
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // the session's cleanup removes it
        }
    }

    void unmap() {
        arena.close();
    }
}
