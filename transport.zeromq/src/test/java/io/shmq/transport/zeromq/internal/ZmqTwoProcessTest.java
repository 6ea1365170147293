package io.shmq.transport.zeromq.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.testkit.StreamSpec;
import io.shmq.transport.testkit.TestAddresses;
import io.shmq.transport.testkit.TwoJvmStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two JVMs over tcp on loopback: a child JVM ({@link io.shmq.transport.testkit.StreamSender}) pushes a stream of
 * {@link StreamSpec} messages to a pull socket in this JVM, which checks that every message arrives once, in order,
 * with its size and checksum, and that nothing follows the last one ({@link TwoJvmStream}).
 *
 * <p>The stream: one message in 1000 is large (uniform in [1 MiB, 16 MiB], every 50 000th exactly 16 MiB), the rest
 * are small (uniform in [16, 4096] bytes). The default run sends 1 000 000 messages (about 11 GB); the long run,
 * tagged {@code stress}, sends 10 000 000.
 */
class ZmqTwoProcessTest {
    @TempDir
    Path directory;

    @Test
    void shouldDeliverMillionMixedMessagesUpTo16MiBOnceInOrderBetweenTwoJvms() throws Exception {
        stream(1_000_000);
    }

    @Test
    @Tag("stress")
    void shouldDeliverTenMillionMixedMessagesOnceInOrderBetweenTwoJvms() throws Exception {
        stream(10_000_000);
    }

    private void stream(final long count) throws IOException, InterruptedException {
        final String address = TestAddresses.freeTcp();
        try (TransportFactory factory = new ZmqTransport().createFactory(FactoryConfig.of("receiver", "two-jvm"));
             Socket pull = factory.createSocket(SocketType.PULL, "stream");
             Message message = factory.createMessage()) {
            pull.bind(address);
            // The sender closes right after its last send: its factory's linger delivers what is still queued.
            new TwoJvmStream(ZmqTransport.class, List.of(), false, "over tcp").receive(pull, message, address, count,
                    directory.resolve("sender.log"));
        }
    }
}
