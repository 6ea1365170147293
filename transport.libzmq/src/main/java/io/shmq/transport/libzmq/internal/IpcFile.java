package io.shmq.transport.libzmq.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.Optional;

/**
 * The Unix socket file a bound {@code ipc://path} address made, and its identity (device and inode) at bind time.
 *
 * <p>libzmq 4.3.4 does not remove the file when the socket closes (its {@code ipc_listener_t::close} unlinks only
 * the files of {@code ipc://*} wildcard binds), so a FairMQ-style {@code ipc://} path would stay behind after every
 * run. {@link #remove()} deletes the file only if it is still the one this bind made: libzmq's bind replaces an
 * existing file at the path, so a later binder's file must not be taken away by an earlier socket's close.
 */
record IpcFile(Path path, Object key) {
    private static final String SCHEME = "ipc://";

    /** @return the file of {@code address} when it is a bound {@code ipc://} path (not a {@code *} wildcard) */
    static Optional<IpcFile> of(final String address) {
        if (!address.startsWith(SCHEME) || address.contains("*")) {
            return Optional.empty();
        }
        try {
            final Path path = Path.of(address.substring(SCHEME.length()));
            return Optional.of(new IpcFile(path, key(path)));
        } catch (final InvalidPathException | IOException e) {
            return Optional.empty();
        }
    }

    private static Object key(final Path path) throws IOException {
        return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    }

    /** Deletes the file if it is still the one this bind made; best effort. */
    void remove() {
        try {
            if (key != null && Objects.equals(key, key(path))) {
                Files.deleteIfExists(path);
            }
        } catch (final IOException e) {
            // Gone already, or not ours to remove.
        }
    }
}
