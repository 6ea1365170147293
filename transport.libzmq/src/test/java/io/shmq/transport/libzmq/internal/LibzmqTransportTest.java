package io.shmq.transport.libzmq.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;
import io.shmq.transport.testkit.ComponentConfigs;
import io.shmq.transport.zeromq.common.ZeromqOptions;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What is particular to the libzmq provider, beyond the shared contract. */
class LibzmqTransportTest {
    @TempDir
    Path directory;

    @BeforeEach
    void requireLibzmq() {
        Libzmq.require();
    }

    @Test
    void shouldLinkLibzmqFourAndSayWhichImplementationItIs() {
        assertTrue(LibZmq.version().startsWith("4."), LibZmq.version());
        final LibzmqTransport transport = new LibzmqTransport();
        assertEquals(TransportKind.ZEROMQ, transport.kind());
        assertEquals("libzmq", transport.implementation());
        assertTrue(transport.toString().contains("libzmq " + LibZmq.version()), transport.toString());
        try (TransportFactory factory = transport.createFactory(FactoryConfig.of("dev", "which"))) {
            assertTrue(factory.toString().contains("libzmq"), factory.toString());
        }
    }

    @Test
    void shouldBeFoundByServiceLoaderNextToTheJeromqProvider() {
        final List<Transport> zeromq = ServiceLoader.load(Transport.class).stream().map(ServiceLoader.Provider::get)
                .filter(t -> t.kind() == TransportKind.ZEROMQ).toList();
        assertEquals(2, zeromq.size(), zeromq.toString());
        assertEquals(1, zeromq.stream().filter(LibzmqTransport.class::isInstance).count(), zeromq.toString());
    }

    @Test
    void shouldBindARealUnixSocketFileThatIsGoneAfterClose() throws Exception {
        final Path file = directory.resolve("endpoint");
        final String address = "ipc://" + file;
        try (TransportFactory factory = new LibzmqTransport().createFactory(FactoryConfig.of("dev", "ipc-file"))) {
            final Socket pull = factory.createSocket(SocketType.PULL, "in");
            pull.bind(address);
            assertTrue(Files.exists(file), "a socket file at the ipc path while bound");
            assertEquals("socket", fileType(file));
            try (Socket push = factory.createSocket(SocketType.PUSH, "out"); Message message = factory.createMessage(4)) {
                push.connect(address);
                message.data().set(ValueLayout.JAVA_INT, 0, 42);
                assertEquals(4, push.send(message, 10_000));
                assertEquals(4, pull.receive(message, 10_000));
                assertEquals(42, message.data().get(ValueLayout.JAVA_INT, 0));
            }
            pull.close();
            // libzmq 4.3.4 itself leaves the file (it unlinks only ipc://* wildcards): the provider removes it.
            assertFalse(Files.exists(file), "the socket file is gone after close");
        }
    }

    private static String fileType(final Path file) throws Exception {
        final int mode = (Integer) Files.getAttribute(file, "unix:mode");
        return (mode & 0170000) == 0140000 ? "socket" : "mode " + Integer.toOctalString(mode);
    }

    @Test
    void shouldLeaveNoSocketFileWhenTheFactoryClosesWithTheSocketOpen() {
        final Path file = directory.resolve("factory-close");
        final TransportFactory factory = new LibzmqTransport().createFactory(FactoryConfig.of("dev", "ipc-close"));
        factory.createSocket(SocketType.PUB, "out").bind("ipc://" + file);
        assertTrue(Files.exists(file));
        factory.close();
        assertFalse(Files.exists(file), "the socket file is gone after the factory closed");
    }

    @Test
    void shouldNotRemoveTheFileOfALaterBinderOfTheSamePath() {
        final Path file = directory.resolve("rebound");
        try (TransportFactory factory = new LibzmqTransport().createFactory(FactoryConfig.of("dev", "ipc-rebound"))) {
            final Socket first = factory.createSocket(SocketType.PULL, "first");
            first.bind("ipc://" + file);
            // libzmq's bind replaces a file at the path (a stale one, or here a live one's).
            final Socket second = factory.createSocket(SocketType.PULL, "second");
            second.bind("ipc://" + file);
            first.close();
            assertTrue(Files.exists(file), "the second binder's file stays");
            second.close();
            assertFalse(Files.exists(file));
        }
    }

    @Test
    void shouldAcceptEveryZeromqKeyOfBothProvidersAndRejectUnknownOnes() {
        final LibzmqTransport transport = new LibzmqTransport();
        try (TransportFactory factory = transport.createFactory(FactoryConfig.builder("dev").session("opt-1")
                .option(ZeromqOptions.IO_THREADS, "2").option(ZeromqOptions.HANDSHAKE_INTERVAL_MS, "500")
                .option(ZeromqOptions.JEROMQ_IPC_EMULATION, "true").option("shmem.directory", "ignored").build())) {
            assertEquals(2, ((LibzmqFactory) factory).options().ioThreads());
            assertEquals(500, ((LibzmqFactory) factory).options().handshakeIntervalMs());
        }
        final IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> transport.createFactory(FactoryConfig.builder("dev").session("opt-2")
                        .option("zeromq.bogus", "1").build()));
        assertTrue(unknown.getMessage().contains("zeromq.bogus") && unknown.getMessage().contains("known="),
                unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> transport.createFactory(FactoryConfig.builder("dev")
                .session("opt-3").option(ZeromqOptions.IO_THREADS, "0").build()));
    }

    @Test
    void shouldApplyItsConfigurationToNewFactoriesAndCloseThemWhenDeactivated() {
        final LibzmqTransport transport = new LibzmqTransport();
        transport.activate(ComponentConfigs.of(LibzmqTransport.Config.class, Map.of("io$_$threads", 2)));
        final TransportFactory factory = transport.createFactory(FactoryConfig.of("dev", "config-1"));
        assertEquals(2, ((LibzmqFactory) factory).options().ioThreads());
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> transport.modified(
                ComponentConfigs.of(LibzmqTransport.Config.class, Map.of("io$_$threads", 0))));
        assertTrue(e.getMessage().contains(ZeromqOptions.IO_THREADS), e.getMessage());
        transport.deactivate();
        assertThrows(TransportClosedException.class, () -> factory.createMessage(8));
        assertThrows(TransportClosedException.class, () -> transport.createFactory(FactoryConfig.of("late", "c")));
    }

    @Test
    void shouldReceiveIntoLibzmqsOwnBufferAndFreeOpenMessagesOnFactoryClose() {
        final TransportFactory factory = new LibzmqTransport().createFactory(FactoryConfig.of("dev", "zero-copy"));
        final Message kept;
        try (Socket pull = factory.createSocket(SocketType.PULL, "in");
             Socket push = factory.createSocket(SocketType.PUSH, "out")) {
            pull.bind("inproc://zero-copy");
            push.connect("inproc://zero-copy");
            final Message sent = factory.createMessage(1 << 20);
            final long address = sent.data().address();
            sent.data().set(ValueLayout.JAVA_LONG, 0, 7L);
            assertEquals(1 << 20, push.send(sent, 10_000));
            kept = factory.createMessage();
            assertEquals(1 << 20, pull.receive(kept, 10_000));
            // inproc hands libzmq's content over by reference: the receiver sees the sender's very buffer.
            assertEquals(address, kept.data().address(), "no copy from send to receive");
            assertEquals(7L, kept.data().get(ValueLayout.JAVA_LONG, 0));
            sent.close();
        }
        final var view = kept.data();
        factory.close();
        assertThrows(IllegalStateException.class, () -> view.get(ValueLayout.JAVA_LONG, 0),
                "a view of a closed factory throws instead of reading freed memory");
        assertThrows(TransportClosedException.class, kept::data);
        kept.close();
    }

    @Test
    void shouldFreeEveryOpenMessageOnceWhenManyWereClosedAndPrunedBefore() {
        final TransportFactory factory = new LibzmqTransport().createFactory(FactoryConfig.of("dev", "registry"));
        final List<Message> open = new java.util.ArrayList<>();
        // Enough messages for several prunes of the registry; every third stays open, the rest close at once.
        for (int i = 0; i < 10_000; i++) {
            final Message message = factory.createMessage(i % 3 == 0 ? 64 : 32 << 10);
            message.data().set(ValueLayout.JAVA_INT, 0, i);
            if (i % 3 == 0) {
                open.add(message);
            } else {
                message.close();
            }
        }
        for (int i = 0; i < open.size(); i++) {
            assertEquals(3 * i, open.get(i).data().get(ValueLayout.JAVA_INT, 0), "an open message survives prunes");
        }
        open.getFirst().close();
        factory.close();
        for (final Message message : open) {
            assertThrows(TransportClosedException.class, message::data);
            message.close();
        }
    }
}
