package io.shmq.transport.shmem.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

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

    private long sessionFiles() throws Exception {
        try (Stream<Path> files = Files.list(ShmSession.DIRECTORY)) {
            return files.filter(f -> f.getFileName().toString().startsWith("shmq_" + shm.shmId())).count();
        }
    }
}
