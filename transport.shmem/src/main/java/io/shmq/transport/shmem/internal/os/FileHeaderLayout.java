package io.shmq.transport.shmem.internal.os;

import io.shmq.transport.api.SharedMemoryException;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * The header every shared file of a session starts with, and its one protocol (Aeron's CnC descriptor): the
 * creator writes {@code magic} first ({@link #format}), fills the file, and writes {@code version} last with a
 * release store ({@link #signalReady}); the version doubles as the "ready" flag. Whoever maps the file calls
 * {@link #check}, which tells "not ready yet" (version 0: still being created) from "incompatible" (another magic
 * or another version: an exception at once, naming the file, the field, what was expected and what was found).
 * Native byte order.
 *
 * <pre>
 *  0   | magic u64 (the file kind: "SHMQMNG1", "SHMQSEG1", "SHMQACK1", "SHMQSOK1" as little-endian longs) |
 *  8   | version u32 (0 while the creator writes the file; written last, release)                        |
 *  12  | (the file's own fields follow)                                                                  |
 * </pre>
 * Each file's layout starts with {@link #MAGIC} and {@link #VERSION} as its first two fields.
 */
public final class FileHeaderLayout {
    /** The first field of every file layout. */
    public static final MemoryLayout MAGIC = ValueLayout.JAVA_LONG.withName("magic");
    /** The second field of every file layout. */
    public static final MemoryLayout VERSION = ValueLayout.JAVA_INT.withName("version");
    /** The header alone. */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(MAGIC, VERSION);
    /** Bytes a file must have before its header can be read. */
    public static final long BYTES = LAYOUT.byteSize();

    private static final VarHandle MAGIC_H = LAYOUT.varHandle(groupElement("magic"));
    private static final VarHandle VERSION_H = LAYOUT.varHandle(groupElement("version"));

    private FileHeaderLayout() {
    }

    /** What {@link #check} found in a compatible file. */
    public enum State {
        /** The creator has written the version: the file is complete. */
        READY,
        /** The version is still 0: the creator is writing the file (or died doing it). */
        NOT_READY
    }

    /** The creator's first step: writes {@code magic} (plain store; published by {@link #signalReady}). */
    public static void format(final MemorySegment memory, final long magic) {
        MAGIC_H.set(memory, 0L, magic);
    }

    /** The creator's last step: release-stores {@code version}; the file is ready for everyone. */
    public static void signalReady(final MemorySegment memory, final int version) {
        VERSION_H.setRelease(memory, 0L, version);
    }

    /** @return the magic word (plain load, after {@link #version}) */
    public static long magic(final MemorySegment memory) {
        return (long) MAGIC_H.get(memory, 0L);
    }

    /** @return the version word (acquire load: what the creator wrote before it is visible after it) */
    public static int version(final MemorySegment memory) {
        return (int) VERSION_H.getAcquire(memory, 0L);
    }

    /**
     * Checks the header of a mapped file.
     *
     * @param memory  the file's mapping, at least {@link #BYTES} long
     * @param file    what names the file in the exception (its path)
     * @param magic   the expected magic
     * @param version the expected version
     * @return {@link State#READY}, or {@link State#NOT_READY} while the version is 0 (and the magic is 0 or right)
     * @throws SharedMemoryException when the file is of another kind or version
     */
    public static State check(final MemorySegment memory, final Object file, final long magic, final int version) {
        final int foundVersion = version(memory);
        final long foundMagic = magic(memory);
        if (foundVersion == 0 && (foundMagic == 0 || foundMagic == magic)) {
            return State.NOT_READY;
        }
        if (foundMagic != magic) {
            throw incompatible(file, "magic", Long.toHexString(magic), Long.toHexString(foundMagic));
        }
        if (foundVersion != version) {
            throw incompatible(file, "version", Integer.toString(version), Integer.toString(foundVersion));
        }
        return State.READY;
    }

    /** Like {@link #check}, for files that must be complete when they are mapped: not ready is an error too. */
    public static void checkReady(final MemorySegment memory, final Object file, final long magic,
                                  final int version) {
        if (check(memory, file, magic, version) == State.NOT_READY) {
            throw new SharedMemoryException("shared-memory file not ready: file=" + file + ", field=version, version=0"
                    + " (expected " + version + "), magic=" + Long.toHexString(magic(memory)) + " (expected "
                    + Long.toHexString(magic) + ")");
        }
    }

    /**
     * @return the exception for a field of a file that does not hold what this provider expects, reading
     * {@code incompatible shared-memory file: file=F, field=version, version=99 (expected 1)}
     */
    public static SharedMemoryException incompatible(final Object file, final String field, final String expected,
                                                     final String found) {
        return new SharedMemoryException("incompatible shared-memory file: file=" + file + ", field=" + field + ", "
                + field + "=" + found + " (expected " + expected + ")");
    }
}
