package io.shmq.transport.zeromq.internal;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.RegionBlock;
import io.shmq.transport.api.RegionCallback;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.RegionEvent;
import io.shmq.transport.api.RegionEventSubscription;
import io.shmq.transport.api.RegionInfo;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketException;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;
import io.shmq.transport.api.UnmanagedRegion;
import io.shmq.transport.testkit.ComponentConfigs;
import io.shmq.transport.zeromq.common.ZeromqOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What is particular to the zeromq provider, beyond the shared contract. */
class ZmqTransportTest {
    @Test
    void shouldBeFoundByServiceLoaderAsZeroMqKind() {
        final List<Transport> found = ServiceLoader.load(Transport.class).stream().map(ServiceLoader.Provider::get)
                .filter(t -> t.kind() == TransportKind.ZEROMQ).toList();
        assertEquals(1, found.size());
        assertTrue(found.getFirst() instanceof ZmqTransport);
    }

    @Test
    void shouldCloseItsOpenFactoriesWhenDeactivated() {
        final ZmqTransport transport = new ZmqTransport();
        final TransportFactory first = transport.createFactory(FactoryConfig.of("first", "deactivate-1"));
        final TransportFactory second = transport.createFactory(FactoryConfig.of("second", "deactivate-1"));
        first.createSocket(SocketType.PUSH, "data").bind("inproc://deactivate");
        transport.createFactory(FactoryConfig.of("closed-before", "deactivate-1")).close();

        transport.deactivate();

        assertThrows(TransportClosedException.class, () -> first.createMessage(8));
        assertThrows(TransportClosedException.class, () -> second.createSocket(SocketType.PULL, "in"));
        final TransportClosedException e = assertThrows(TransportClosedException.class,
                () -> transport.createFactory(FactoryConfig.of("late", "deactivate-1")));
        assertTrue(e.getMessage().contains("deactivated"), e.getMessage());
    }

    @Test
    void shouldAcceptIoThreadsOptionAndRejectUnknownZeroMqOptions() {
        final ZmqTransport transport = new ZmqTransport();
        try (TransportFactory factory = transport.createFactory(FactoryConfig.builder("dev").session("opt-1")
                .option(ZmqTransport.IO_THREADS, "2").option("shmem.directory", "ignored").build())) {
            assertEquals(TransportKind.ZEROMQ, factory.kind());
        }
        final var unknown = assertThrows(IllegalArgumentException.class, () -> transport.createFactory(
                FactoryConfig.builder("dev").session("opt-2").option("zeromq.bogus", "1").build()));
        assertTrue(unknown.getMessage().contains("zeromq.bogus"), unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> transport.createFactory(
                FactoryConfig.builder("dev").session("opt-3").option(ZmqTransport.IO_THREADS, "0").build()));
    }

    /** The JeroMQ threads of live contexts (each context runs a reaper and its I/O threads). */
    private static long jeromqThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .filter(t -> t.getName().startsWith("reaper-") || t.getName().startsWith("iothread-")).count();
    }

    @Test
    void shouldCloseFromAnInterruptedThreadWithoutErrorAndLeaveNoJeroMqThread() throws Exception {
        final long before = jeromqThreads();
        final ZmqTransport transport = new ZmqTransport();
        final TransportFactory factory = transport.createFactory(FactoryConfig.of("dev", "interrupted-close"));
        final Socket push = factory.createSocket(SocketType.PUSH, "data");
        push.bind("inproc://interrupted-close");
        assertTrue(jeromqThreads() > before, "the factory's context runs threads");
        final Throwable[] thrown = new Throwable[1];
        final boolean[] stillInterrupted = new boolean[1];
        final Thread closer = Thread.ofPlatform().start(() -> {
            Thread.currentThread().interrupt(); // as a DS deactivate may run
            try {
                factory.close();
            } catch (Throwable e) {
                thrown[0] = e;
            }
            stillInterrupted[0] = Thread.currentThread().isInterrupted();
        });
        closer.join(30_000);
        assertEquals(null, thrown[0], "close on an interrupted thread");
        assertTrue(stillInterrupted[0], "the interrupt flag is given back");
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (jeromqThreads() > before && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        // At most as many as before: a thread of an earlier test's factory may still have been ending then.
        final long after = jeromqThreads();
        assertTrue(after <= before, "no JeroMQ thread left behind: before=" + before + ", after=" + after);
        assertThrows(TransportClosedException.class, () -> factory.createSocket(SocketType.PULL, "late"));
        factory.close(); // a second close is harmless
    }

    @Test
    void shouldApplyItsConfigurationToNewFactoriesWithoutRestarting() {
        final ZmqTransport transport = new ZmqTransport();
        transport.activate(config(Map.of("io$_$threads", 2, "handshake$_$interval$_$ms", 250)));
        try (TransportFactory factory = transport.createFactory(FactoryConfig.of("dev", "config-1"))) {
            assertEquals("2", factory.config().options().get(ZeromqOptions.IO_THREADS));
            assertEquals(250, ((ZmqFactory) factory).handshakeIntervalMs());
        }
        transport.modified(config(Map.of("handshake$_$interval$_$ms", 500)));
        try (TransportFactory factory = transport.createFactory(FactoryConfig.builder("dev").session("config-2")
                .option(ZeromqOptions.IO_THREADS, "3").build())) {
            assertEquals(500, ((ZmqFactory) factory).handshakeIntervalMs(), "the changed configuration");
            assertEquals("3", factory.config().options().get(ZeromqOptions.IO_THREADS),
                    "the factory's own option wins");
        }
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> transport.modified(config(Map.of("io$_$threads", 0))));
        assertTrue(e.getMessage().contains(ZeromqOptions.IO_THREADS), e.getMessage());
        transport.deactivate();
    }

    private static ZmqTransport.Config config(final Map<String, Object> values) {
        return ComponentConfigs.of(ZmqTransport.Config.class, values);
    }

    @Test
    void shouldCopyRegionBlockAndReleaseItAtOnceAsFairMqZeroMqDoes() {
        final List<RegionBlock> released = new ArrayList<>();
        try (TransportFactory factory = new ZmqTransport().createFactory(FactoryConfig.of("dev", "region-1"));
             UnmanagedRegion region = factory.createUnmanagedRegion(1024, (RegionCallback) released::add,
                     RegionConfig.DEFAULT)) {
            region.data().set(JAVA_BYTE, 10, (byte) 42);
            try (Message message = factory.createMessage(region, 10, 4, 7)) {
                assertEquals(List.of(new RegionBlock(10, 4, 7)), released, "released before the message is sent");
                region.data().set(JAVA_BYTE, 10, (byte) 0);
                assertEquals(42, message.data().get(JAVA_BYTE, 0), "a copy");
            }
            assertEquals(RegionConfig.FIRST_AUTO_ID, region.id());
        }
    }

    @Test
    void shouldBatchReleaseForBulkCallbackAndReportLocalRegions() {
        final List<List<RegionBlock>> batches = new ArrayList<>();
        final List<RegionInfo> events = new ArrayList<>();
        try (TransportFactory factory = new ZmqTransport().createFactory(FactoryConfig.of("dev", "region-2"));
             RegionEventSubscription subscription = factory.subscribeToRegionEvents(events::add)) {
            final UnmanagedRegion region = factory.createUnmanagedRegionBulk(1024,
                    blocks -> batches.add(List.copyOf(blocks)),
                    RegionConfig.builder().id(7).userFlags(3).build());
            factory.createMessage(region, 0, 8, 1).close();
            assertEquals(List.of(List.of(new RegionBlock(0, 8, 1))), batches);
            assertEquals(List.of(new RegionInfo(false, 7, 1024, 3, RegionEvent.LOCAL_ONLY)), factory.regionInfo());
            region.close();
            assertEquals(List.of(new RegionInfo(false, 7, 1024, 3, RegionEvent.LOCAL_ONLY),
                    new RegionInfo(false, 7, 1024, 3, RegionEvent.DESTROYED)), events);
            assertTrue(factory.regionInfo().isEmpty());
        }
    }

    @Test
    void shouldRefuseIpcNamingTheWayOutUnlessJeromqEmulationIsAsked(@TempDir final Path directory) {
        final String address = "ipc://" + directory.resolve("refused");
        try (TransportFactory factory = new ZmqTransport().createFactory(FactoryConfig.of("dev", "ipc-refused"));
             Socket pull = factory.createSocket(SocketType.PULL, "in");
             Socket push = factory.createSocket(SocketType.PUSH, "out")) {
            for (final Runnable endpoint : List.<Runnable>of(() -> pull.bind(address), () -> push.connect(address))) {
                final SocketException e = assertThrows(SocketException.class, endpoint::run);
                assertTrue(e.getMessage().contains(address), e.getMessage());
                assertTrue(e.getMessage().contains("JeroMQ's ipc is not libzmq's"), e.getMessage());
                assertTrue(e.getMessage().contains("tcp://") && e.getMessage().contains("libzmq provider")
                        && e.getMessage().contains(ZeromqOptions.JEROMQ_IPC_EMULATION), e.getMessage());
            }
        }
        try (TransportFactory factory = new ZmqTransport().createFactory(FactoryConfig.builder("dev")
                .session("ipc-emulated").option(ZeromqOptions.JEROMQ_IPC_EMULATION, "true").build());
             Socket pull = factory.createSocket(SocketType.PULL, "in");
             Socket push = factory.createSocket(SocketType.PUSH, "out");
             Message message = factory.createMessage(3)) {
            pull.bind(address);
            push.connect(address);
            assertEquals(3, push.send(message, 10_000));
            assertEquals(3, pull.receive(message, 10_000));
            assertFalse(Files.exists(directory.resolve("refused")), "JeroMQ's emulation makes no socket file");
        }
        assertThrows(IllegalArgumentException.class, () -> new ZmqTransport().createFactory(FactoryConfig
                .builder("dev").session("ipc-bad").option(ZeromqOptions.JEROMQ_IPC_EMULATION, "yes").build()));
    }

    @Test
    void shouldDefaultToLingerThatOutlastsFairMqs500Ms() {
        try (TransportFactory factory = new ZmqTransport().createFactory(FactoryConfig.of("dev", "linger"));
             Socket push = factory.createSocket(SocketType.PUSH, "push")) {
            assertEquals(ZmqSocket.DEFAULT_LINGER, push.linger());
            assertTrue(push.linger().toMillis() > 500);
        }
    }
}
