package io.shmq.transport.shmem.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.testkit.ComponentConfigs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class ShmemTransportTest {
    @RegisterExtension
    final ShmSession shm = new ShmSession();

    @Test
    void shouldCloseItsOpenFactoriesAndRemoveTheirFilesWhenDeactivated() throws Exception {
        final ShmemTransport transport = new ShmemTransport();
        final TransportFactory first = transport.createFactory(shm.config("first").build());
        final TransportFactory second = transport.createFactory(shm.config("second").build());
        final Message held = first.createMessage(64);
        transport.createFactory(shm.config("closed-before").build()).close();
        assertTrue(sessionFiles() > 0);

        transport.deactivate();

        assertThrows(TransportClosedException.class, () -> first.createMessage(8));
        assertThrows(TransportClosedException.class, () -> second.createMessage(8));
        held.close(); // releasing a message of a closed factory is harmless
        assertEquals(0, sessionFiles(), "the last factory of the session removed its files");
        final TransportClosedException e = assertThrows(TransportClosedException.class,
                () -> transport.createFactory(shm.config("late").build()));
        assertTrue(e.getMessage().contains("deactivated"), e.getMessage());
    }

    /** A DS configuration as SCR would pass it: the annotation's defaults, overridden by {@code values}. */
    static ShmemTransport.Config config(final Map<String, Object> values) {
        return ComponentConfigs.of(ShmemTransport.Config.class, values);
    }

    @Test
    void shouldHonourItsConfiguredDirectoryAndApplyAChangeToNewFactoriesWithoutRestarting(@TempDir final Path first,
                                                                                         @TempDir final Path second)
            throws Exception {
        final ShmemTransport transport = new ShmemTransport();
        transport.activate(config(Map.of("directory", first.toString(), "segment$_$size", 16L << 20)));
        try (ShmemFactory inFirst = (ShmemFactory) transport.createFactory(shm.config("a").build())) {
            assertEquals(first, inFirst.directory());
            assertEquals(ShmSession.SEGMENT_SIZE, inFirst.ownSegment().size(), "the factory's own size wins");
            transport.modified(config(Map.of("directory", second.toString(), "segment$_$size", 16L << 20)));
            try (ShmemFactory inSecond = (ShmemFactory) transport.createFactory(
                    FactoryConfig.builder("b").session(shm.newSession()).build())) {
                assertEquals(second, inSecond.directory(), "a factory made after the change");
                assertEquals(16L << 20, inSecond.ownSegment().size(), "the configured size replaces the API default");
                assertTrue(Files.exists(second.resolve("shmq_" + inSecond.shmId() + "_mng")));
                assertEquals(first, inFirst.directory(), "a factory made before keeps its files where they are");
                inFirst.createMessage(8).close();
            }
            try (ShmemFactory own = (ShmemFactory) transport.createFactory(shm.config("c")
                    .option(ShmemOptions.DIRECTORY, first.toString()).build())) {
                assertEquals(first, own.directory(), "a factory's own option wins over the configuration");
            }
        } finally {
            transport.deactivate();
        }
        try (Stream<Path> left = Stream.concat(Files.list(first), Files.list(second))) {
            assertEquals(0, left.count(), "every file removed by the last factory of its session");
        }
    }

    @Test
    void shouldRefuseABadConfigurationNamingTheKey() {
        final ShmemTransport transport = new ShmemTransport();
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> transport.activate(config(Map.of("spin$_$rounds", -1))));
        assertTrue(e.getMessage().contains("shmem.spin-rounds"), e.getMessage());
        final IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> transport.createFactory(shm.config("d").option("shmem.directroy", "/dev/shm").build()));
        assertTrue(unknown.getMessage().contains("shmem.directroy") && unknown.getMessage().contains(
                ShmemOptions.KEYS.toString()), unknown.getMessage());
    }

    private long sessionFiles() throws Exception {
        try (Stream<Path> files = Files.list(ShmSession.DIRECTORY)) {
            return files.filter(f -> f.getFileName().toString().startsWith("shmq_" + shm.shmId())).count();
        }
    }
}
