package io.shmq.transport.shmem.internal.os;

import io.shmq.transport.api.SharedMemoryException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;

/**
 * Names and creation of a session's files: {@code shmq_<shmId>_mng}, {@code shmq_<shmId>_m_<segment>},
 * {@code shmq_<shmId>_rg_<region>}, {@code shmq_<shmId>_rgq_<region>}. The shmId is the first 4 bytes of
 * SHA-256(uid + session) in hex, as in FairMQ, so two users never share a session by accident.
 */
public final class ShmFiles {
    /** Owner-only permissions (0600) for every file. */
    public static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    /** File name prefix of every shmq file. */
    public static final String PREFIX = "shmq_";
    /** The environment variable that, when set and not empty, replaces {@code /dev/shm} as the default directory. */
    public static final String DIRECTORY_ENV = "SHMQ_DIRECTORY";
    /** The default directory of session files: {@code $SHMQ_DIRECTORY}, else {@code /dev/shm}. */
    public static final Path DEFAULT_DIRECTORY = defaultDirectory();

    private ShmFiles() {
    }

    private static Path defaultDirectory() {
        final String env = System.getenv(DIRECTORY_ENV);
        return env == null || env.isBlank() ? Path.of("/dev/shm") : Path.of(env);
    }

    /** Bytes of {@link #nameDigest}. */
    public static final int DIGEST_BYTES = 32;

    /** @return the 8-hex-digit shmId of {@code session} for user {@code uid}: the digest's first 4 bytes */
    public static String shmId(final long uid, final String session) {
        return HexFormat.of().formatHex(nameDigest(uid, session), 0, 4);
    }

    /**
     * The full SHA-256 of {@code uid + session} in UTF-8 (FairMQ's shmId input). The session file stores it, so two
     * names whose 32-bit shmIds collide are told apart on join.
     *
     * @throws IllegalArgumentException when the name is not well-formed Unicode (a lone surrogate would encode as
     *                                  '?', and two different names would share a session)
     */
    public static byte[] nameDigest(final long uid, final String session) {
        final java.nio.ByteBuffer bytes;
        try {
            bytes = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .encode(java.nio.CharBuffer.wrap(uid + session));
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException("session name is not well-formed Unicode (a lone surrogate?): "
                    + session.codePoints().mapToObj(c -> String.format("U+%04X", c)).toList(), e);
        }
        try {
            final MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(bytes);
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing", e);
        }
    }

    /** @return the shmId as a non-zero int, written into every block so foreign handles are recognised */
    public static int tag(final String shmId) {
        final int tag = Integer.parseUnsignedInt(shmId, 16);
        return tag == 0 ? 1 : tag;
    }

    public static Path management(final Path dir, final String shmId) {
        return dir.resolve(PREFIX + shmId + "_mng");
    }

    /**
     * The private file a creator formats a management file in before it links it to {@link #management} (the
     * name then appears complete, with its creator): {@code shmq_<shmId>_mngnew_<pid>-<n>}.
     */
    public static Path creating(final Path dir, final String shmId, final long pid, final long n) {
        return dir.resolve(PREFIX + shmId + "_mngnew_" + pid + "-" + n);
    }

    /**
     * @return the inode number at {@code file} (links not followed), or null when there is no file or it cannot be
     * read: what "the file at this path is still the one I mapped" is checked against
     */
    public static Object inode(final Path file) {
        try {
            return Files.getAttribute(file, "unix:ino", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Deletes {@code file} if it is there, best effort; @return whether this call deleted it */
    public static boolean deleteQuietly(final Path file) {
        try {
            return Files.deleteIfExists(file);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Checks that {@code file} is a regular file (not a link) of this user.
     *
     * @throws java.nio.file.NoSuchFileException when the file is gone (a concurrent removal: look again)
     * @throws SharedMemoryException naming the file and its owner otherwise
     */
    public static void checkOwner(final Path file) throws java.nio.file.NoSuchFileException {
        final int uid;
        try {
            final java.util.Map<String, Object> attributes = Files.readAttributes(file, "unix:uid,mode",
                    java.nio.file.LinkOption.NOFOLLOW_LINKS);
            if (((int) attributes.get("mode") & 0170000) != 0100000) {
                throw new SharedMemoryException("refusing " + file + ": not a regular file (a link or a directory)");
            }
            uid = (int) attributes.get("uid");
        } catch (java.nio.file.NoSuchFileException e) {
            throw e;
        } catch (IOException e) {
            throw new SharedMemoryException("cannot read the owner of " + file + ": " + e, e);
        }
        if (uid != Native.uid()) {
            String owner;
            try {
                owner = Files.getOwner(file, java.nio.file.LinkOption.NOFOLLOW_LINKS).getName();
            } catch (IOException | RuntimeException e) {
                owner = "?";
            }
            throw new SharedMemoryException("refusing " + file + ": it belongs to uid=" + uid + " (" + owner
                    + "), not to this user (uid=" + Native.uid() + "); another user created it first. Choose another "
                    + "directory: option shmem.directory, or key 'directory' of PID io.shmq.transport.shmem");
        }
    }

    public static Path segment(final Path dir, final String shmId, final int id) {
        return dir.resolve(PREFIX + shmId + "_m_" + id);
    }

    public static Path region(final Path dir, final String shmId, final int id) {
        return dir.resolve(PREFIX + shmId + "_rg_" + id);
    }

    /** The ledger of the factory in device slot {@code slot}: {@code shmq_<shmId>_own_<slot>}. */
    public static Path ledger(final Path dir, final String shmId, final int slot) {
        return dir.resolve(PREFIX + shmId + "_own_" + slot);
    }

    public static Path ring(final Path dir, final String shmId, final int id) {
        return dir.resolve(PREFIX + shmId + "_rgq_" + id);
    }

    /**
     * The one way a new shared file comes to be: created 0600 (it must not exist), sized, its first
     * {@code reserved} bytes reserved, mapped whole into {@code arena}. On failure the file is deleted.
     *
     * @throws SharedMemoryException naming the file when any step fails (the file system is full, for one); its
     *                               cause is a {@link java.nio.file.NoSuchFileException} when the file was deleted
     *                               under it (by the end of a session it belonged to)
     */
    public static java.lang.foreign.MemorySegment createMapped(final Path file, final long size, final long reserved,
                                                               final java.lang.foreign.Arena arena) {
        final java.nio.channels.FileChannel channel;
        try {
            // One atomic create-and-open with the permissions: a path deleted meanwhile is never created again.
            channel = java.nio.channels.FileChannel.open(file, Set.of(java.nio.file.StandardOpenOption.CREATE_NEW,
                    java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE), OWNER_ONLY);
        } catch (IOException e) {
            throw new SharedMemoryException("cannot create " + file + ": " + e, e);
        }
        try (channel) {
            if (size > 0) {
                channel.write(java.nio.ByteBuffer.allocate(1), size - 1); // the size; the file stays sparse
            }
            reserve(file, 0, reserved);
            return channel.map(java.nio.channels.FileChannel.MapMode.READ_WRITE, 0, size, arena);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // best effort: the file is ours
            }
            if (e instanceof SharedMemoryException s) {
                throw s;
            }
            throw new SharedMemoryException("cannot create " + file + " of size=" + size + ": " + e, e);
        }
    }

    /**
     * Reserves file blocks so that touching them never raises SIGBUS.
     *
     * @throws SharedMemoryException when the file system has no room
     */
    public static void reserve(final Path file, final long offset, final long length) {
        if (length <= 0) {
            return;
        }
        // Check first: a doomed fallocate on tmpfs would fill the file system (and everyone's memory) before it
        // fails and rolls back. The check is racy, so fallocate stays the authority.
        final long usable;
        try {
            usable = Files.getFileStore(file).getUsableSpace();
        } catch (IOException e) {
            throw new SharedMemoryException("cannot check free space for " + file + ": " + e, e);
        }
        if (usable < length) {
            throw new SharedMemoryException("no space to reserve " + length + " bytes at offset " + offset + " of "
                    + file + ": usable=" + usable + " (the shared-memory file system is full)");
        }
        final int rc = Native.fallocate(file, offset, length);
        if (rc == 0 || rc == -1) {
            // -1: no downcall (native access denied); the free-space check above is all we have.
            return;
        }
        throw new SharedMemoryException("cannot reserve " + length + " bytes at offset " + offset + " of " + file
                + ": errno=" + rc + (rc == 28 ? " (ENOSPC: the shared-memory file system is full)" : ""));
    }

    /**
     * Deletes every file of session {@code shmId} in {@code dir}, the management file last: a new session of the
     * same name cannot start before that file is gone, so this never deletes the files of its successor.
     *
     * @return how many files it deleted
     */
    public static int deleteAll(final Path dir, final String shmId) {
        final java.util.List<Path> files = new java.util.ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, PREFIX + shmId + "_*")) {
            stream.forEach(files::add);
        } catch (IOException e) {
            return 0;
        }
        final Path management = management(dir, shmId);
        files.remove(management);
        files.add(management);
        int deleted = 0;
        for (final Path file : files) {
            try {
                if (Files.deleteIfExists(file)) {
                    deleted++;
                }
            } catch (IOException e) {
                // best effort: a concurrent deletion is fine
            }
        }
        return deleted;
    }
}
