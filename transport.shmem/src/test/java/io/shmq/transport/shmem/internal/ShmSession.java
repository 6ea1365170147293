package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.shmem.internal.os.Native;
import io.shmq.transport.shmem.internal.os.ShmFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Gives each test a unique session and removes the session's files after the test, whether it passed or not, so
 * that a test run leaves the shared-memory directory as it found it. Factories made through it are closed first;
 * a file still there afterwards means the product's own cleanup failed, and fails the test.
 */
final class ShmSession implements BeforeEachCallback, AfterEachCallback {
    /** Managed segment size for tests: small, so that full-segment tests are quick. */
    static final long SEGMENT_SIZE = 64L << 20;
    static final Path DIRECTORY = ShmemOptions.DEFAULT_DIRECTORY;
    /** A region callback that ignores releases. */
    static final io.shmq.transport.api.RegionCallback IGNORE = block -> { };

    private final List<ShmemFactory> factories = new ArrayList<>();
    private final List<String> sessions = new ArrayList<>();
    private String name;

    /**
     * Waits up to {@code boundNanos} for {@code factory}'s free memory to come back to {@code expected} (a beat, a
     * factory's close, or a survivor's reclamation after a kill).
     *
     * @return the free memory then, for the caller to assert
     */
    static long awaitFreeMemory(final ShmemFactory factory, final long expected, final long boundNanos)
            throws InterruptedException {
        final long deadline = System.nanoTime() + boundNanos;
        while (factory.freeMemory() != expected && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return factory.freeMemory();
    }

    @Override
    public void beforeEach(final ExtensionContext context) {
        name = newSession();
    }

    /** @return a further unique session name, cleaned up after the test */
    String newSession() {
        final String session = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        sessions.add(session);
        return session;
    }

    String name() {
        return name;
    }

    String shmId() {
        return shmId(name);
    }

    static String shmId(final String session) {
        return ShmFiles.shmId(Native.uid(), session);
    }

    FactoryConfig.Builder config(final String id) {
        return FactoryConfig.builder(id).session(name).segmentSize(SEGMENT_SIZE);
    }

    ShmemFactory factory(final String id) {
        return track(new ShmemFactory(config(id).build()));
    }

    ShmemFactory track(final ShmemFactory factory) {
        factories.add(factory);
        return factory;
    }

    @Override
    public void afterEach(final ExtensionContext context) {
        for (int i = factories.size() - 1; i >= 0; i--) {
            try {
                factories.get(i).close();
            } catch (RuntimeException ignored) {
                // keep cleaning up
            }
        }
        factories.clear();
        int leftovers = 0;
        for (final String session : sessions) {
            leftovers += ShmFiles.deleteAll(DIRECTORY, shmId(session));
        }
        sessions.clear();
        if (leftovers > 0 && context.getExecutionException().isEmpty()) {
            throw new AssertionError(leftovers + " shared-memory files were left after every factory closed");
        }
    }
}
