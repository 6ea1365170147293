package io.shmq.transport.libzmq.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.testkit.StreamSpec;
import io.shmq.transport.testkit.TwoJvmStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two JVMs over real {@code ipc://} (a Unix socket file): a child JVM ({@link io.shmq.transport.testkit.StreamSender})
 * pushes a stream of {@link StreamSpec} messages to a pull socket of this JVM, which checks that every message
 * arrives once, in order, with its size and checksum, and that nothing follows the last one
 * ({@link TwoJvmStream}); the socket file is there while bound and gone after the factory closed.
 *
 * <p>The stream: one message in 1000 is large (uniform in [1 MiB, 16 MiB], every 50 000th exactly 16 MiB), the
 * rest small (uniform in [16, 4096] bytes). The default run sends 20 000 messages (about 0.2 GB); the {@code stress}
 * run 1 000 000 (about 11 GB).
 */
class LibzmqIpcTwoProcessTest {
    @TempDir
    Path directory;

    @BeforeEach
    void requireLibzmq() {
        Libzmq.require();
    }

    @Test
    void shouldDeliverMixedMessagesUpTo16MiBOnceInOrderBetweenTwoJvmsOverIpc() throws Exception {
        stream(20_000);
    }

    @Test
    @Tag("stress")
    void shouldDeliverAMillionMixedMessagesUpTo16MiBOnceInOrderBetweenTwoJvmsOverIpc() throws Exception {
        stream(1_000_000);
    }

    private void stream(final long count) throws IOException, InterruptedException {
        final Path file = directory.resolve("stream");
        final String address = "ipc://" + file;
        final TransportFactory factory = new LibzmqTransport().createFactory(FactoryConfig.of("receiver", "two-jvm"));
        try (Socket pull = factory.createSocket(SocketType.PULL, "stream");
             Message message = factory.createMessage()) {
            pull.bind(address);
            assertTrue(Files.exists(file), "the socket file exists while bound");
            // The sender stays connected until everything arrived (libzmq's limit, see StreamSender).
            new TwoJvmStream(LibzmqTransport.class, List.of("--enable-native-access=ALL-UNNAMED"), true,
                    "over ipc (libzmq)").receive(pull, message, address, count, directory.resolve("sender.log"));
        } finally {
            factory.close();
        }
        assertFalse(Files.exists(file), "the socket file is gone after close");
    }
}
