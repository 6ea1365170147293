package io.shmq.transport.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.Transport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The receiving half of a two-JVM stream test: starts a child JVM ({@link StreamSender}) that pushes {@code count}
 * {@link StreamSpec} messages to a bound pull socket of this JVM, and checks that every message arrives once, in
 * order, with its size and checksum, that the sender exits with 0, that nothing follows the last message, and that
 * the socket's counters agree. Prints the rate.
 *
 * @param transport the sender's transport class (public, with a public no-argument constructor)
 * @param jvmFlags  the child JVM's flags before {@code -cp} (e.g. {@code --enable-native-access=ALL-UNNAMED})
 * @param waitForReceiver whether the sender stays connected until everything arrived ({@code received}, see
 *                  {@link StreamSender}) or closes right after its last send ({@code sent})
 * @param label     how the printed rate line names the run, e.g. {@code "over tcp"}
 */
public record TwoJvmStream(Class<? extends Transport> transport, List<String> jvmFlags, boolean waitForReceiver,
                           String label) {
    /**
     * @param pull    a bound pull socket
     * @param message a message to receive into
     * @param address the address the sender connects to
     * @param count   how many messages
     * @param log     where the sender's output goes (shown on failure)
     */
    public void receive(final Socket pull, final Message message, final String address, final long count,
                        final Path log) throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmFlags);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), StreamSender.class.getName(),
                transport.getName(), address, Long.toString(count), waitForReceiver ? "received" : "sent"));
        final Process sender = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                .start();
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
            // Everything arrived: a sender that waits for it may disconnect now (and one that does not ignores it).
            sender.getOutputStream().close();
            assertTrue(sender.waitFor(60, TimeUnit.SECONDS), "sender did not exit");
            assertEquals(0, sender.exitValue(), "sender log: " + Files.readString(log));
            assertEquals(Socket.TIMEOUT, pull.receive(message, 200), "nothing may follow the last message");
            assertEquals(count, pull.messagesReceived());
            assertEquals(bytes, pull.bytesReceived());
            System.out.printf("two JVMs %s: %d messages, %.1f MB in %.2f s: %.0f messages/s, %.0f MB/s%n", label,
                    count, bytes / 1e6, seconds, count / seconds, bytes / 1e6 / seconds);
        } finally {
            sender.destroyForcibly();
            sender.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
