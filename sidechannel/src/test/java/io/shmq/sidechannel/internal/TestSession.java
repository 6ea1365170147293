package io.shmq.sidechannel.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportKind;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.UUID;

/**
 * A test's own shared-memory session: a unique name, the shared-memory transport from {@link ServiceLoader}, and
 * what the test opened, closed in reverse order at the end, after which no file of the session may be left (any
 * left are removed: they are the test's own).
 */
final class TestSession implements AutoCloseable {
    /** A unique tag for names and addresses. */
    final String tag = UUID.randomUUID().toString().substring(0, 8);
    /** The session name. */
    final String session;
    /** The shared-memory transport. */
    final Transport shmem = ServiceLoader.load(Transport.class).stream().map(ServiceLoader.Provider::get)
            .filter(t -> t.kind() == TransportKind.SHMEM).findFirst().orElseThrow();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    TestSession(final String prefix) {
        session = prefix + "-" + tag;
    }

    /** @return the closeable, closed by {@link #close()} */
    <T extends AutoCloseable> T keep(final T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    @Override
    public void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        assertEquals(0, ChildJvm.removeSessionFiles(session), "files of session " + session + " left");
    }
}
