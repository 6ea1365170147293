package io.shmq.transport.libzmq.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.testkit.StreamSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two JVMs over real {@code ipc://} (a Unix socket file): a child JVM ({@link StreamSender}) pushes a stream of
 * {@link StreamSpec} messages to a pull socket of this JVM, which checks that every message arrives once, in order,
 * with its size and checksum, and that nothing follows the last one; the socket file is there while bound and gone
 * after the factory closed.
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
        final Path log = directory.resolve("sender.log");
        final TransportFactory factory = new LibzmqTransport().createFactory(FactoryConfig.of("receiver", "two-jvm"));
        try (Socket pull = factory.createSocket(SocketType.PULL, "stream");
             Message message = factory.createMessage()) {
            pull.bind(address);
            assertTrue(Files.exists(file), "the socket file exists while bound");
            final Process sender = new ProcessBuilder(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"),
                    StreamSender.class.getName(), address, Long.toString(count)))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                final long start = System.nanoTime();
                long bytes = 0;
                for (long seq = 0; seq < count; seq++) {
                    final long result = pull.receive(message, 60_000);
                    assertTrue(result >= 0, "receive failed: seq=" + seq + ", result=" + result + ", sender log: "
                            + Files.readString(log));
                    assertNull(StreamSpec.check(message.data(), seq));
                    bytes += result;
                }
                final double seconds = (System.nanoTime() - start) / 1e9;
                sender.getOutputStream().close(); // everything arrived: the sender may disconnect (see StreamSender)
                assertTrue(sender.waitFor(60, TimeUnit.SECONDS), "sender did not exit");
                assertEquals(0, sender.exitValue(), "sender log: " + Files.readString(log));
                assertEquals(Socket.TIMEOUT, pull.receive(message, 200), "nothing may follow the last message");
                assertEquals(count, pull.messagesReceived());
                assertEquals(bytes, pull.bytesReceived());
                System.out.printf("two JVMs over ipc (libzmq): %d messages, %.1f MB in %.2f s: %.0f messages/s, "
                        + "%.0f MB/s%n", count, bytes / 1e6, seconds, count / seconds, bytes / 1e6 / seconds);
            } finally {
                sender.destroyForcibly();
                sender.waitFor(10, TimeUnit.SECONDS);
            }
        } finally {
            factory.close();
        }
        assertFalse(Files.exists(file), "the socket file is gone after close");
    }
}
