package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.Poller;
import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketException;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.shmem.internal.ring.SocketRingLayout;
import io.shmq.transport.shmem.internal.socket.Endpoint;
import io.shmq.transport.shmem.internal.socket.EndpointLayout;
import java.io.IOException;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shared-memory sockets beyond the provider contract: two JVMs, shared pub payloads, futex sleeps, cleanup. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SocketTest {
    /** Big enough for the few 16 MiB messages in flight next to the ring of small ones. */
    private static final long SEGMENT = 256L << 20;

    @RegisterExtension
    final ShmSession shm = new ShmSession();

    /** Mostly small messages, every 1000th 64 KiB to 1 MiB, every 10000th 16 MiB. */
    static long sizeOf(final int seq) {
        if (seq % 10_000 == 5_000) {
            return 16L << 20;
        }
        if (seq % 1_000 == 500) {
            return (64L << 10) << (seq / 1_000 % 5);
        }
        return 8 + Math.floorMod(Payload.mix(seq), 249);
    }

    private ShmemFactory factory(final String id) {
        return shm.track(new ShmemFactory(shm.config(id).segmentSize(SEGMENT).build()));
    }

    @Test
    void shouldDeliverAMillionMixedMessagesFromAnotherJvmInOrderOnceEachAndFreeEverything() throws Exception {
        pushPullAcrossJvms(1_000_000);
    }

    @Test
    @Tag("stress")
    void shouldDeliverTenMillionMixedMessagesFromAnotherJvm() throws Exception {
        pushPullAcrossJvms(10_000_000);
    }

    private void pushPullAcrossJvms(final int count) throws Exception {
        final ShmemFactory parent = factory("parent");
        final long start = parent.freeMemory();
        try (Socket pull = parent.createSocket(SocketType.PULL, "pull");
             ChildJvm child = new ChildJvm(shm.name(), SEGMENT);
             Message into = parent.createMessage()) {
            pull.setReceiveHighWaterMark(100);
            pull.setSendHighWaterMark(100);
            pull.bind("ipc://million");
            child.send("push ipc://million " + count);
            for (int seq = 0; seq < count; seq++) {
                final long size = pull.receive(into, 30_000);
                assertEquals(sizeOf(seq), size, "size of seq=" + seq);
                final long bad = size > 4096 && seq % 1_000 != 500 && seq % 10_000 != 5_000 ? -1
                        : Payload.check(into.data(), seq);
                assertEquals(-1, bad, "payload of seq=" + seq);
            }
            assertEquals(Integer.toString(count), child.expect("PUSHED", 60));
            assertEquals(Socket.TIMEOUT, pull.receive(into, 50), "nothing after the last message");
            into.rebuild();
            assertEquals(count, pull.messagesReceived());
        }
        assertEquals(start, parent.freeMemory(), "every payload freed once");
    }

    @Test
    void shouldShareOnePublishedPayloadAmongThreeSubscribersOneInAnotherJvmAndFreeItOnce() throws Exception {
        final ShmemFactory parent = factory("parent");
        final long start = parent.freeMemory();
        final int count = 50;
        try (Socket pub = parent.createSocket(SocketType.PUB, "pub");
             ChildJvm child = new ChildJvm(shm.name(), SEGMENT)) {
            pub.bind("ipc://events");
            final Socket sub1 = parent.createSocket(SocketType.SUB, "sub1");
            final Socket sub2 = parent.createSocket(SocketType.SUB, "sub2");
            sub1.connect("ipc://events");
            sub2.connect("ipc://events");
            child.send("sub ipc://events " + count);
            child.expect("SUBSCRIBED", 30);
            final List<MetaHeader> sent = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                try (Message message = parent.createMessage(1000 + i)) {
                    Payload.fill(message.data(), i);
                    sent.add(((SharedMemoryMessage) message).meta());
                    assertEquals(1000 + i, pub.send(message, 1000));
                    assertEquals(0, message.size());
                }
            }
            final List<Message> held = new ArrayList<>();
            for (final Socket sub : List.of(sub1, sub2)) {
                for (int i = 0; i < count; i++) {
                    final Message message = parent.createMessage();
                    assertEquals(1000 + i, sub.receive(message, 10_000));
                    assertEquals(-1, Payload.check(message.data(), i));
                    assertEquals(sent.get(i).handle(), ((SharedMemoryMessage) message).meta().handle(),
                            "one payload shared, not copied");
                    held.add(message);
                }
            }
            for (int i = 0; i < count; i++) {
                final String[] got = child.expect("GOT", 30).split(" ");
                assertEquals(sent.get(i).handle(), Payload.meta(got[0]).handle(), "the child shares it too");
                assertEquals("-1", got[1]);
            }
            sub1.close();
            sub2.close();
            for (final Message message : held) {
                assertTrue(parent.freeMemory() < start, "alive while any subscriber holds it");
                message.close();
            }
            assertTrue(parent.freeMemory() < start, "the child still holds its copies");
            assertEquals("CLOSED", "CLOSED" + child.call("closeheld", "CLOSED", 30));
        }
        assertEquals(start, parent.freeMemory(), "freed exactly once, after the last subscriber closed its copy");
    }

    @Test
    void shouldWakeReceiverSleepingInFutexOnInterruptAndBurnNoCpuWhileIdle() throws Exception {
        final ShmemFactory parent = factory("parent");
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final AtomicLong cpu = new AtomicLong(-1);
        try (Socket pull = parent.createSocket(SocketType.PULL, "pull"); Message into = parent.createMessage()) {
            pull.bind("ipc://idle");
            final CompletableFuture<Long> blocked = CompletableFuture.supplyAsync(() -> {
                final long before = threads.getCurrentThreadCpuTime();
                final long idle = pull.receive(into, 1000);
                cpu.set(threads.getCurrentThreadCpuTime() - before);
                return idle == Socket.TIMEOUT ? pull.receive(into, -1) : idle;
            });
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (cpu.get() < 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(cpu.get() >= 0, "the timed receive ended");
            assertTrue(cpu.get() < TimeUnit.MILLISECONDS.toNanos(50),
                    "an idle receiver sleeps (resource check, not speed): cpuNanos=" + cpu.get());
            Thread.sleep(200);
            assertFalse(blocked.isDone());
            parent.interrupt();
            assertEquals(Socket.INTERRUPTED, blocked.get(10, TimeUnit.SECONDS));
            parent.resume();
        }
    }

    @Test
    void shouldSleepInOneFutexWaitOverFourSocketsAndWakeWhenAnyGetsAMessage() throws Exception {
        final ShmemFactory parent = factory("parent");
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final List<Socket> pulls = new ArrayList<>();
        final List<Socket> pushes = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                final Socket pull = parent.createSocket(SocketType.PULL, "pull" + i);
                pull.bind("ipc://poll4-" + i);
                pulls.add(pull);
                final Socket push = parent.createSocket(SocketType.PUSH, "push" + i);
                push.connect("ipc://poll4-" + i);
                pushes.add(push);
            }
            try (Poller poller = parent.createPoller(pulls); Message message = parent.createMessage(8)) {
                final long[] cpu = new long[1];
                final CompletableFuture<Integer> idle = CompletableFuture.supplyAsync(() -> {
                    final long before = threads.getCurrentThreadCpuTime();
                    final int events = poller.poll(2000);
                    cpu[0] = threads.getCurrentThreadCpuTime() - before;
                    return events;
                });
                assertEquals(0, idle.get(30, TimeUnit.SECONDS), "nothing arrived for 2 s");
                assertTrue(cpu[0] < TimeUnit.MILLISECONDS.toNanos(20),
                        "an idle poller over 4 sockets sleeps (resource check, not speed): cpuNanos=" + cpu[0]);
                final long[] woke = new long[1];
                final CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> {
                    final int events = poller.poll(-1);
                    woke[0] = System.nanoTime();
                    return events;
                });
                Thread.sleep(300); // into its futex wait
                final long sent = System.nanoTime();
                assertEquals(8, pushes.get(2).send(message, 1000));
                assertEquals(1, waiting.get(30, TimeUnit.SECONDS), "woken by the message");
                assertTrue(poller.checkInput(2) && !poller.checkInput(0), "the socket that got it");
                System.out.printf("idle poller over 4 sockets: cpu %d us in 2 s, woken %d us after the send%n",
                        cpu[0] / 1000, (woke[0] - sent) / 1000);
            }
        } finally {
            pushes.forEach(Socket::close);
            pulls.forEach(Socket::close);
        }
    }

    @Test
    void shouldSleepOverABoundRepWithThreePeersAndAPullAndWakeOnARequest() throws Exception {
        final ShmemFactory parent = factory("parent");
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (Socket rep = parent.createSocket(SocketType.REP, "rep");
             Socket pull = parent.createSocket(SocketType.PULL, "pull");
             Socket r1 = parent.createSocket(SocketType.REQ, "r1");
             Socket r2 = parent.createSocket(SocketType.REQ, "r2");
             Socket r3 = parent.createSocket(SocketType.REQ, "r3");
             Message message = parent.createMessage(8)) {
            rep.bind("ipc://pollrep");
            pull.bind("ipc://pollrep-pull");
            for (final Socket req : List.of(r1, r2, r3)) {
                req.connect("ipc://pollrep");
            }
            Thread.sleep(50); // the reqs take their slots
            try (Poller poller = parent.createPoller(List.of(rep, pull))) {
                final long[] cpu = new long[1];
                final CompletableFuture<Integer> idle = CompletableFuture.supplyAsync(() -> {
                    final long before = threads.getCurrentThreadCpuTime();
                    final int events = poller.poll(2000);
                    cpu[0] = threads.getCurrentThreadCpuTime() - before;
                    return events;
                });
                assertEquals(0, idle.get(30, TimeUnit.SECONDS), "nothing arrived for 2 s");
                // Before: a bound rep made the poller look every 1 ms (2,000 wake-ups in 2 s).
                assertTrue(cpu[0] < TimeUnit.MILLISECONDS.toNanos(20),
                        "an idle poller over a bound rep sleeps (resource check, not speed): cpuNanos=" + cpu[0]);
                final CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> poller.poll(-1));
                Thread.sleep(300); // into its futex wait
                assertEquals(8, r2.send(message, 1000));
                assertEquals(1, waiting.get(30, TimeUnit.SECONDS), "woken by the request");
                assertTrue(poller.checkInput(0) && !poller.checkInput(1), "the rep has it");
                System.out.printf("idle poller over a bound rep with 3 peers and a pull: cpu %d us in 2 s%n",
                        cpu[0] / 1000);
            }
        }
    }

    @Test
    void shouldRefuseTcpAndSecondBindAndReleaseQueuedMessagesWhenBinderCloses() {
        final ShmemFactory parent = factory("parent");
        final long start = parent.freeMemory();
        final Path endpoint = Endpoint.file(parent.directory(), parent.shmId(), "queue");
        try (Socket push = parent.createSocket(SocketType.PUSH, "push")) {
            final Socket pull = parent.createSocket(SocketType.PULL, "pull");
            final SocketException tcp = assertThrows(SocketException.class, () -> pull.bind("tcp://127.0.0.1:5555"));
            assertTrue(tcp.getMessage().contains("tcp://127.0.0.1:5555"), tcp.getMessage());
            pull.bind("shm://queue");
            assertTrue(Files.exists(endpoint));
            try (Socket again = parent.createSocket(SocketType.PULL, "again")) {
                assertThrows(SocketException.class, () -> again.bind("ipc://queue"));
            }
            push.connect("inproc://queue");
            for (int i = 0; i < 10; i++) {
                try (Message message = parent.createMessage(10_000)) {
                    assertEquals(10_000, push.send(message, 1000));
                }
            }
            assertNotEquals(start, parent.freeMemory());
            pull.close();
            assertFalse(Files.exists(endpoint), "the binder's close removes the endpoint");
            assertEquals(start, parent.freeMemory(), "queued payloads released when the binder closed");
        }
    }

    @Test
    void shouldRefuseASecondProducerOnTheRingsOfABoundPushOrPubAndKeepServingTheFirst() {
        // A bound push's or pub's rings have one producer, their binder (the single-producer protocol): a push or
        // pub that connects to them is refused at once, naming the address and the way out.
        final ShmemFactory parent = factory("parent");
        for (final SocketType type : List.of(SocketType.PUSH, SocketType.PUB)) {
            final SocketType consumerType = type == SocketType.PUSH ? SocketType.PULL : SocketType.SUB;
            final String address = "ipc://one-producer-" + type;
            try (Socket binder = parent.createSocket(type, "binder");
                 Socket second = parent.createSocket(type, "second");
                 Socket consumer = parent.createSocket(consumerType, "consumer")) {
                binder.bind(address);
                if (consumerType == SocketType.SUB) {
                    consumer.subscribe(new byte[0]);
                }
                consumer.connect(address);
                final SocketException refused = assertThrows(SocketException.class, () -> second.connect(address));
                assertTrue(refused.getMessage().contains(address) && refused.getMessage().contains("second"),
                        refused.getMessage());
                try (Message message = parent.createMessage(8)) {
                    assertEquals(8, binder.send(message, 1000));
                }
                try (Message into = parent.createMessage()) {
                    assertEquals(8, consumer.receive(into, 1000), "the binder's ring serves on: " + type);
                }
            }
        }
    }

    @Test
    void shouldRefuseAnEndpointFileOfAnotherVersionAtOnceNamingFileAndField() throws Exception {
        final ShmemFactory parent = factory("parent");
        final Path endpoint = Endpoint.file(parent.directory(), parent.shmId(), "other-version");
        try (Socket pull = parent.createSocket(SocketType.PULL, "pull");
             Socket push = parent.createSocket(SocketType.PUSH, "push");
             Message message = parent.createMessage(8)) {
            pull.bind("ipc://other-version");
            try (FileChannel channel = FileChannel.open(endpoint, StandardOpenOption.WRITE)) {
                channel.write(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(0, 99), 8);
            }
            final long started = System.nanoTime();
            final SharedMemoryException e = assertThrows(SharedMemoryException.class, () -> {
                push.connect("ipc://other-version");
                push.send(message, 30_000);
            });
            final long waitedMs = (System.nanoTime() - started) / 1_000_000;
            assertTrue(e.getMessage().contains(endpoint.toString()) && e.getMessage().contains("field=version")
                    && e.getMessage().contains("version=99 (expected " + EndpointLayout.VERSION + ")"), e.getMessage());
            assertTrue(waitedMs < 30_000, "an error, not the send timeout: waited " + waitedMs + " ms");
        }
    }

    /** Makes the endpoint file at {@code endpoint} look like the one of a binder that was killed. */
    private static void killBinderOf(final Path endpoint) throws IOException {
        try (FileChannel channel = FileChannel.open(endpoint, StandardOpenOption.WRITE)) {
            // binderPid at offset 24 (LayoutTest pins it): a pid above the kernel's pid_max never runs
            channel.write(ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(0, 1L << 40), 24);
        }
    }

    @Test
    void shouldLetExactlyOneOfFourBinderProcessesRacingForAStaleAddressWin() throws Exception {
        final ShmemFactory parent = factory("parent");
        final Path endpoint = Endpoint.file(parent.directory(), parent.shmId(), "prace");
        final List<ChildJvm> binders = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                binders.add(new ChildJvm(shm.name(), SEGMENT));
            }
            final int[] wins = new int[4];
            for (int round = 0; round < 100; round++) {
                if (Files.exists(endpoint)) {
                    killBinderOf(endpoint); // the last winner's endpoint now names a binder that never runs
                }
                final long start = System.nanoTime() + 30_000_000L;
                for (final ChildJvm binder : binders) {
                    binder.send("bindrace ipc://prace " + start);
                }
                int won = 0;
                for (int i = 0; i < 4; i++) {
                    final String result = binders.get(i).expect("RACE", 30);
                    assertTrue(result.equals("WON") || result.equals("LOST"), "round " + round + ": " + result);
                    if (result.equals("WON")) {
                        won++;
                        wins[i]++;
                    }
                }
                assertEquals(1, won, "exactly one winner in round " + round);
                assertTrue(Files.exists(endpoint), "the winner's endpoint survives the close of the one it replaced");
            }
            System.out.println("four binder processes, 100 rounds on a stale address: wins per process "
                    + java.util.Arrays.toString(wins));
        } finally {
            binders.forEach(ChildJvm::close);
        }
        assertFalse(Files.exists(endpoint), "the last winner's close removes the endpoint");
    }

    @Test
    void shouldBindAnAddressWhoseLastBinderWasKilledInsideBind() throws Exception {
        final ShmemFactory parent = factory("parent");
        final Path endpoint = Endpoint.file(parent.directory(), parent.shmId(), "killed-in-bind");
        // Killed before publishing: only its private file is left (a pid above pid_max never runs).
        final Path leftover = endpoint.resolveSibling(endpoint.getFileName() + Endpoint.BIND_SUFFIX + (1L << 40)
                + "-1");
        Files.write(leftover, new byte[4096]);
        try (Socket pull = parent.createSocket(SocketType.PULL, "pull")) {
            pull.bind("ipc://killed-in-bind");
            assertFalse(Files.exists(leftover), "the dead binder's private file is removed by the next binder");
            // Killed after publishing: a complete endpoint of a dead binder, replaced by the next one.
            killBinderOf(endpoint);
            try (Socket next = parent.createSocket(SocketType.PULL, "next")) {
                next.bind("ipc://killed-in-bind");
            }
        }
    }

    @Test
    void shouldLetExactlyOneOfFourBindersRacingForAStaleAddressWin() throws Exception {
        final ShmemFactory parent = factory("parent");
        final Path endpoint = Endpoint.file(parent.directory(), parent.shmId(), "race");
        final List<ShmemFactory> binders = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            binders.add(factory("binder-" + i));
        }
        Socket stale = parent.createSocket(SocketType.PULL, "stale");
        stale.bind("ipc://race");
        final var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 100; round++) {
                killBinderOf(endpoint);
                final java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(4);
                final List<java.util.concurrent.Future<Socket>> attempts = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    final ShmemFactory binder = binders.get(i);
                    final String name = "r" + round;
                    attempts.add(pool.submit(() -> {
                        final Socket socket = binder.createSocket(SocketType.PULL, name);
                        start.await();
                        try {
                            socket.bind("ipc://race");
                            return socket;
                        } catch (SocketException e) {
                            assertTrue(e.getMessage().contains("already bound"), e.getMessage());
                            socket.close();
                            return null;
                        }
                    }));
                }
                final List<Socket> winners = new ArrayList<>();
                for (final var attempt : attempts) {
                    final Socket socket = attempt.get(30, TimeUnit.SECONDS);
                    if (socket != null) {
                        winners.add(socket);
                    }
                }
                assertEquals(1, winners.size(), "exactly one winner in round " + round);
                stale.close(); // the loser of the round before: its close must not delete the winner's file
                assertTrue(Files.exists(endpoint), "the winner's endpoint survives the close of the one it replaced");
                stale = winners.getFirst();
            }
        } finally {
            pool.shutdownNow();
            stale.close();
        }
        assertFalse(Files.exists(endpoint), "the last binder's close removes the endpoint");
        try (var files = Files.list(parent.directory())) {
            assertEquals(List.of(), files.map(f -> f.getFileName().toString())
                    .filter(n -> n.contains(Endpoint.BIND_SUFFIX)).toList(), "no private bind file left");
        }
    }

    @Test
    void shouldGiveEachPushOfABoundPullASlotQueueFairlyAndKeepWhatAClosedPushSent() {
        // A bound pull has a ring per connecting push (its max-peers slots): one more push is refused naming the
        // limit, the pull takes from the slots in turn (at most 64 in a row from one), and a push that closes leaves
        // its messages for the pull; the next push takes its slot and writes after them.
        final ShmemFactory two = shm.track(new ShmemFactory(shm.config("two").option("shmem.max-peers", "2")
                .build()));
        final ShmemFactory peers = factory("peers");
        final String address = "ipc://fan-in";
        try (Socket pull = two.createSocket(SocketType.PULL, "pull");
             Socket a = peers.createSocket(SocketType.PUSH, "a");
             Socket b = peers.createSocket(SocketType.PUSH, "b");
             Socket third = peers.createSocket(SocketType.PUSH, "third");
             Message into = two.createMessage()) {
            pull.bind(address);
            a.connect(address);
            b.connect(address);
            final SocketException full = assertThrows(SocketException.class, () -> third.connect(address));
            assertTrue(full.getMessage().contains("takes 2") && full.getMessage().contains("shmem.max-peers"),
                    full.getMessage());
            for (int i = 0; i < 100; i++) {
                send(peers, a, 1000 + i);
            }
            for (int i = 0; i < 100; i++) {
                send(peers, b, 2000 + i);
            }
            final List<Long> first = new ArrayList<>();
            for (int i = 0; i < 130; i++) {
                assertEquals(8, pull.receive(into, 1000));
                first.add(into.data().get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
            }
            assertTrue(first.stream().filter(v -> v < 2000).count() >= 64
                    && first.stream().filter(v -> v >= 2000).count() >= 64, "the slots are taken in turn: " + first);
            a.close(); // its third message (or what is left of its three) stays in its slot's ring
            try (Socket c = peers.createSocket(SocketType.PUSH, "c")) {
                c.connect(address);
                send(peers, c, 3000);
                final List<Long> rest = new ArrayList<>();
                while (pull.receive(into, 200) == 8) {
                    rest.add(into.data().get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
                }
                final List<Long> all = new ArrayList<>(first);
                all.addAll(rest);
                final List<Long> expected = new ArrayList<>();
                for (long i = 0; i < 100; i++) {
                    expected.add(1000 + i);
                }
                for (long i = 0; i < 100; i++) {
                    expected.add(2000 + i);
                }
                expected.add(3000L);
                assertEquals(expected, all.stream().sorted().toList(), "every message once, the closed push's too");
                final List<Long> slotOfA = all.stream().filter(v -> v < 2000 || v == 3000).toList();
                assertEquals(expected.subList(0, 100), slotOfA.subList(0, 100), "in order per push");
                assertEquals(3000L, slotOfA.get(100), "the new push writes after what was queued in its slot");
            }
        }
    }

    private static void send(final ShmemFactory factory, final Socket push, final long value) {
        try (Message message = factory.createMessage(8)) {
            message.data().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, value);
            assertEquals(8, push.send(message, 1000));
        }
    }

    @Test
    void shouldServeAsManyPeersAsTheBinderConfiguredAndRefuseOneMoreNamingTheLimit() {
        final ShmemFactory two = shm.track(new ShmemFactory(shm.config("two").option("shmem.max-peers", "2")
                .build()));
        final ShmemFactory wide = shm.track(new ShmemFactory(shm.config("wide").option("shmem.max-peers", "32")
                .build()));
        final ShmemFactory peers = factory("peers");
        final List<Socket> sockets = new ArrayList<>();
        try {
            final Socket rep = two.createSocket(SocketType.REP, "rep");
            sockets.add(rep);
            rep.bind("ipc://two-peers");
            for (int i = 0; i < 2; i++) {
                final Socket req = peers.createSocket(SocketType.REQ, "req" + i);
                sockets.add(req);
                req.connect("ipc://two-peers");
            }
            final Socket third = peers.createSocket(SocketType.REQ, "req-third");
            sockets.add(third);
            final SocketException e = assertThrows(SocketException.class, () -> third.connect("ipc://two-peers"));
            assertTrue(e.getMessage().contains("serves 2") && e.getMessage().contains("shmem.max-peers"),
                    e.getMessage());
            final Socket pub = wide.createSocket(SocketType.PUB, "pub");
            sockets.add(pub);
            pub.bind("ipc://wide-subs");
            for (int i = 0; i < 32; i++) {
                final Socket sub = peers.createSocket(SocketType.SUB, "sub" + i);
                sockets.add(sub);
                sub.connect("ipc://wide-subs");
            }
            final Socket extra = peers.createSocket(SocketType.SUB, "sub-extra");
            sockets.add(extra);
            assertThrows(SocketException.class, () -> extra.connect("ipc://wide-subs"));
        } finally {
            sockets.forEach(Socket::close);
        }
        for (final String bad : List.of("0", "33", "many")) {
            assertThrows(IllegalArgumentException.class, () -> new ShmemFactory(shm.config("bad")
                    .option("shmem.max-peers", bad).build()));
        }
    }

    @Test
    void shouldRefuseASecondAddressForAPairOrTheSameAddressTwiceAndPollAllAddressesOfASocket() throws Exception {
        final ShmemFactory parent = factory("parent");
        try (Socket pair = parent.createSocket(SocketType.PAIR, "pair");
             Socket pull = parent.createSocket(SocketType.PULL, "pull");
             Socket push = parent.createSocket(SocketType.PUSH, "push");
             Message message = parent.createMessage(8); Message into = parent.createMessage()) {
            pair.bind("ipc://pair-one");
            final SocketException e = assertThrows(SocketException.class, () -> pair.bind("ipc://pair-two"));
            assertTrue(e.getMessage().contains("exactly one peer"), e.getMessage());
            pull.bind("ipc://multi-a");
            assertThrows(SocketException.class, () -> pull.bind("shm://multi-a"), "the same endpoint twice");
            pull.bind("ipc://multi-b");
            push.connect("ipc://multi-b");
            try (Poller poller = parent.createPoller(List.of(pull))) {
                final CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> poller.poll(10_000));
                Thread.sleep(200); // into its futex wait over both endpoints' rings
                assertEquals(8, push.send(message, 1_000));
                assertEquals(1, waiting.get(30, TimeUnit.SECONDS), "a message on the second address wakes it");
                assertTrue(poller.checkInput(0));
            }
            assertEquals(8, pull.receive(into, 1_000));
            assertEquals(1, pull.messagesReceived(), "counters add up over the endpoints");
        }
    }

    @Test
    void shouldLetConnectComeBeforeBind() throws Exception {
        final ShmemFactory parent = factory("parent");
        try (Socket push = parent.createSocket(SocketType.PUSH, "push");
             Socket pull = parent.createSocket(SocketType.PULL, "pull");
             Message message = parent.createMessage(8); Message into = parent.createMessage()) {
            push.connect("ipc://late");
            assertEquals(Socket.TIMEOUT, push.send(message, 50), "no binder yet: the message stays");
            assertEquals(8, message.size());
            pull.bind("ipc://late");
            assertEquals(8, push.send(message, 5000));
            assertEquals(8, pull.receive(into, 5000));
        }
    }

    @Test
    void shouldAskTheRepsOfABoundReqRoundRobinSkippingAFreedSlotAndServeTheReqsOfABoundRepSo() {
        final ShmemFactory wide = shm.track(new ShmemFactory(shm.config("wide").option("shmem.max-peers", "32")
                .build()));
        final ShmemFactory peers = factory("peers");
        final List<Socket> reps = new ArrayList<>();
        try (Socket req = wide.createSocket(SocketType.REQ, "req"); Message into = peers.createMessage()) {
            req.bind("ipc://rr-reps");
            for (int i = 0; i < 32; i++) { // every slot held: the order wraps round from slot 31 to slot 0
                final Socket rep = peers.createSocket(SocketType.REP, "rep" + i);
                reps.add(rep);
                rep.connect("ipc://rr-reps");
            }
            final List<Socket> asked = new ArrayList<>();
            for (int i = 0; i < 3 * 32; i++) {
                asked.add(askOnce(wide, req, reps, into));
            }
            assertTurns(32, asked);
            final Socket gone = asked.get(5);
            gone.close(); // its slot is freed: the order skips it
            reps.remove(gone);
            final List<Socket> after = new ArrayList<>();
            for (int i = 0; i < 2 * 31; i++) {
                after.add(askOnce(wide, req, reps, into));
            }
            assertTurns(31, after); // the 31 left
        } finally {
            reps.forEach(Socket::close);
        }
        try (Socket rep = wide.createSocket(SocketType.REP, "rep");
             Socket r0 = peers.createSocket(SocketType.REQ, "r0");
             Socket r1 = peers.createSocket(SocketType.REQ, "r1"); Socket r2 = peers.createSocket(SocketType.REQ, "r2");
             Message into = wide.createMessage()) {
            rep.bind("ipc://rr-reqs");
            final List<Socket> reqs = List.of(r0, r1, r2);
            for (final Socket req : reqs) {
                req.connect("ipc://rr-reqs");
            }
            final List<Integer> served = new ArrayList<>();
            for (int round = 0; round < 4; round++) {
                for (int i = 0; i < 3; i++) {
                    try (Message request = peers.createMessage(1)) {
                        request.data().set(ValueLayout.JAVA_BYTE, 0, (byte) i);
                        assertEquals(1, reqs.get(i).send(request, 1000));
                    }
                }
                for (int i = 0; i < 3; i++) { // all three wait: the rep takes them in slot order from the next one
                    assertEquals(1, rep.receive(into, 1000));
                    served.add((int) into.data().get(ValueLayout.JAVA_BYTE, 0));
                    assertEquals(1, rep.send(into, 1000));
                }
                for (final Socket req : reqs) {
                    try (Message answer = peers.createMessage()) {
                        assertEquals(1, req.receive(answer, 1000));
                    }
                }
            }
            assertEquals(List.of(0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2), served, "each req in turn");
        }
    }

    /** Asserts that {@code asked} goes round {@code n} distinct reps, in the same order every turn. */
    private static void assertTurns(final int n, final List<Socket> asked) {
        final List<String> ids = asked.stream().map(Socket::id).toList();
        assertEquals(n, ids.subList(0, n).stream().distinct().count(), "each rep once a turn: " + ids);
        for (int i = n; i < ids.size(); i++) {
            assertEquals(ids.get(i - n), ids.get(i), "the same order every turn, request " + i + ": " + ids);
        }
    }

    /** Sends a request through a bound req; @return the rep that got it (it answers, the req receives) */
    private static Socket askOnce(final ShmemFactory factory, final Socket req, final List<Socket> reps,
                                  final Message into) {
        try (Message request = factory.createMessage(4)) {
            assertEquals(4, req.send(request, 1000));
        }
        for (final Socket rep : reps) { // the request is in its rep's ring once the send returned
            if (rep.receive(into, 0) == 4) {
                assertEquals(4, rep.send(into, 1000));
                try (Message answer = factory.createMessage()) {
                    assertEquals(4, req.receive(answer, 1000));
                }
                return rep;
            }
        }
        throw new AssertionError("no rep got the request");
    }

    @Test
    void shouldAnswerOutOfTurnRequestAndReplyWithError() {
        final ShmemFactory parent = factory("parent");
        try (Socket rep = parent.createSocket(SocketType.REP, "rep");
             Socket req = parent.createSocket(SocketType.REQ, "req");
             Message message = parent.createMessage(4); Message into = parent.createMessage()) {
            rep.bind("ipc://rr");
            req.connect("ipc://rr");
            assertEquals(Socket.ERROR, req.receive(into, 0), "req must send first");
            assertEquals(Socket.ERROR, rep.send(message, 0), "rep must receive first");
            assertEquals(4, req.send(message, 1000));
            message.rebuild(4);
            assertEquals(Socket.ERROR, req.send(message, 0), "req awaits its reply");
            assertEquals(4, rep.receive(into, 1000));
            assertEquals(Socket.ERROR, rep.receive(into, 0), "rep owes a reply");
            assertEquals(4, rep.send(message, 1000));
            assertEquals(4, req.receive(into, 1000));
        }
    }

    @Test
    void shouldAcceptOnePairPeerAtATime() {
        final ShmemFactory parent = factory("parent");
        try (Socket a = parent.createSocket(SocketType.PAIR, "a"); Socket b = parent.createSocket(SocketType.PAIR, "b");
             Socket c = parent.createSocket(SocketType.PAIR, "c"); Socket d = parent.createSocket(SocketType.PAIR, "d")) {
            a.bind("ipc://pair");
            b.connect("ipc://pair");
            final SocketException e = assertThrows(SocketException.class, () -> c.connect("ipc://pair"));
            assertTrue(e.getMessage().contains("ipc://pair"), e.getMessage());
            b.close();
            d.connect("ipc://pair");
        }
    }

    @Test
    void shouldKeepReceivingAfterAProducerProcessIsKilledMidStream() throws Exception {
        final ShmemFactory parent = factory("parent");
        try (Socket pull = parent.createSocket(SocketType.PULL, "pull");
             Socket push = parent.createSocket(SocketType.PUSH, "push");
             ChildJvm child = new ChildJvm(shm.name(), SEGMENT);
             Message into = parent.createMessage(); Message mine = parent.createMessage(8)) {
            pull.setReceiveHighWaterMark(16);
            pull.setSendHighWaterMark(16);
            pull.bind("ipc://crash");
            child.send("pushforever ipc://crash");
            int seq = 0;
            for (; seq < 200; seq++) {
                assertEquals(64, pull.receive(into, 10_000));
                assertEquals(-1, Payload.check(into.data(), seq));
            }
            child.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            // What the child published arrives in order; then the ring is empty (or holds one dead record).
            while (pull.receive(into, 100) == 64) {
                assertEquals(-1, Payload.check(into.data(), seq++));
            }
            push.connect("ipc://crash");
            mine.data().set(ValueLayout.JAVA_LONG, 0, 42);
            assertEquals(8, push.send(mine, 10_000));
            assertEquals(8, pull.receive(into, 10_000), "a record the dead producer claimed is skipped in time");
            assertEquals(42, into.data().get(ValueLayout.JAVA_LONG, 0));
        }
    }

    @Test
    void shouldReattachAConnectedPullToTheNextBinderWhenTheBindingProcessIsKilled() throws Exception {
        final ShmemFactory parent = factory("parent");
        try (Socket pull = parent.createSocket(SocketType.PULL, "pull");
             Message into = parent.createMessage()) {
            pull.connect("ipc://rebind");
            try (ChildJvm first = new ChildJvm(shm.name(), SEGMENT)) {
                first.send("bindpushforever ipc://rebind");
                first.expect("BOUND", 30);
                for (int i = 0; i < 200; i++) {
                    assertEquals(64, pull.receive(into, 10_000), "message " + i + " of the first binder");
                }
                first.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            while (pull.receive(into, 200) == 64) {
                // what the first binder had queued
            }
            try (ChildJvm second = new ChildJvm(shm.name(), SEGMENT)) {
                second.send("bindpushforever ipc://rebind");
                second.expect("BOUND", 30);
                final long started = System.nanoTime();
                assertEquals(64, pull.receive(into, 10_000), "the connected pull reattached to the new binder");
                assertEquals(-1, Payload.check(into.data(), 0), "the new binder's first message");
                System.out.printf("reattached to the new binder after %d ms%n",
                        (System.nanoTime() - started) / 1_000_000);
            }
        }
    }

    @Test
    void shouldServeANewRequesterAfterTheOneHoldingTheSlotIsKilled() throws Exception {
        final ShmemFactory parent = factory("parent");
        final long start = parent.freeMemory();
        try (Socket rep = parent.createSocket(SocketType.REP, "rep"); Message into = parent.createMessage()) {
            rep.bind("ipc://deadreq");
            try (ChildJvm child = new ChildJvm(shm.name(), SEGMENT)) {
                child.send("reqonce ipc://deadreq");
                child.expect("SENT", 30);
                assertEquals(8, rep.receive(into, 10_000));
                assertEquals(1, into.data().get(ValueLayout.JAVA_LONG, 0));
                child.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            try (Message reply = parent.createMessage(8)) {
                reply.data().set(ValueLayout.JAVA_LONG, 0, 1);
                assertEquals(8, rep.send(reply, 1000), "the reply to the dead requester is dropped, as ZeroMQ does");
            }
            try (Socket req = parent.createSocket(SocketType.REQ, "req"); Message ask = parent.createMessage(8);
                 Message answer = parent.createMessage(8); Message got = parent.createMessage()) {
                req.connect("ipc://deadreq");
                ask.data().set(ValueLayout.JAVA_LONG, 0, 2);
                assertEquals(8, req.send(ask, 1000));
                assertEquals(8, rep.receive(into, 10_000));
                assertEquals(2, into.data().get(ValueLayout.JAVA_LONG, 0));
                answer.data().set(ValueLayout.JAVA_LONG, 0, 22);
                assertEquals(8, rep.send(answer, 1000));
                assertEquals(8, req.receive(got, 10_000));
                assertEquals(22, got.data().get(ValueLayout.JAVA_LONG, 0), "its own reply, not the"
                        + " dead requester's");
            }
            into.close();
        }
        // Its queued request went with its slot; its block cache comes back with its reclamation (grace + duty).
        assertEquals(start, ShmSession.awaitFreeMemory(parent, start, 10_000_000_000L),
                "nothing of the dead requester is left held");
    }

    @Test
    void shouldReleaseThePayloadsAndTheSlotOfAKilledSubscriber() throws Exception {
        final ShmemFactory parent = factory("parent");
        final long start = parent.freeMemory();
        final int size = 256 << 10;
        try (Socket pub = parent.createSocket(SocketType.PUB, "pub")) {
            pub.bind("ipc://deadsub");
            try (ChildJvm child = new ChildJvm(shm.name(), SEGMENT)) {
                child.send("subidle ipc://deadsub");
                child.expect("SUBSCRIBED", 30);
                for (int i = 0; i < 200; i++) {
                    try (Message message = parent.createMessage(size)) {
                        pub.send(message, 1000);
                    }
                }
                assertTrue(parent.freeMemory() <= start - 200L * size, "the idle subscriber holds what it got");
                child.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            // Four times the segment: without freeing the dead subscriber's ring, allocation fails within 1024.
            for (int i = 0; i < 4 * (int) (SEGMENT / size); i++) {
                try (Message message = parent.createMessage(size)) {
                    pub.send(message, 1000);
                }
                if (i % 100 == 0) {
                    Thread.sleep(2);
                }
            }
            Thread.sleep(20);
            try (Message message = parent.createMessage(8)) {
                pub.send(message, 1000); // the publisher's housekeeping runs on a send
            }
            assertEquals(start, parent.freeMemory(), "the dead subscriber's references were released");
            final List<Socket> subs = new ArrayList<>();
            try {
                for (int i = 0; i < EndpointLayout.DEFAULT_PEERS; i++) {
                    final Socket sub = parent.createSocket(SocketType.SUB, "sub" + i);
                    subs.add(sub);
                    sub.connect("ipc://deadsub");
                }
            } finally {
                subs.forEach(Socket::close);
            }
        }
    }

    @Test
    void shouldTimeOutSendsInsteadOfHangingWhenTheConsumerProcessIsKilled() throws Exception {
        final ShmemFactory parent = factory("parent");
        try (Socket push = parent.createSocket(SocketType.PUSH, "push");
             ChildJvm child = new ChildJvm(shm.name(), SEGMENT)) {
            push.setSendHighWaterMark(2);
            push.setReceiveHighWaterMark(2);
            push.bind("ipc://deadpull");
            child.call("pullidle ipc://deadpull", "PULLING", 30);
            child.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            long result = 0;
            int sent = 0;
            while (sent < 100) {
                try (Message message = parent.createMessage(8)) {
                    result = push.send(message, 100);
                    if (result == Socket.TIMEOUT) {
                        assertEquals(8, message.size(), "the timed-out message stays with the sender");
                        break;
                    }
                }
                sent++;
            }
            assertEquals(Socket.TIMEOUT, result, "the ring fills and sends time out: sent=" + sent);
            push.setLinger(java.time.Duration.ZERO);
        }
    }

    @Test
    void shouldStopLingeringWhenNoOtherDeviceOfTheSessionLives() throws Exception {
        // A pull in another process connects and never receives, then dies: the push's queue can never be taken.
        // Its close must release the queue once no other device lives, not hold the factory's close for the linger.
        final ShmemFactory parent = factory("parent");
        final long start = parent.freeMemory();
        final Path endpoint = Endpoint.file(parent.directory(), parent.shmId(), "deadlinger");
        final Socket push = parent.createSocket(SocketType.PUSH, "push");
        push.bind("ipc://deadlinger");
        try (ChildJvm child = new ChildJvm(shm.name(), SEGMENT)) {
            child.call("pullidle ipc://deadlinger", "PULLING", 30);
            for (int i = 0; i < 3; i++) {
                try (Message message = parent.createMessage(200)) {
                    assertEquals(200, push.send(message, 1000), "queued for the idle pull");
                }
            }
            child.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        push.setLinger(java.time.Duration.ofMinutes(2));
        push.close();
        // The lingering close runs in the background; it deletes the endpoint when it ends (at the latest after the
        // two minutes of linger: this wait gives it one).
        final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (Files.exists(endpoint) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertFalse(Files.exists(endpoint), "the close stopped lingering for a receiver that is gone");
        assertEquals(start, parent.freeMemory(), "the queued messages were released");
    }

    @Test
    void shouldForgetAPullKilledAsleepOnTheRingAtTheNextPublish() throws Exception {
        // A sleeper arms its ring's doorbell; a waker that rings takes the arming. A pull killed while asleep is not
        // there to take itself off: until 2026-12-04 it stayed counted, and every later publish on the ring made a
        // FUTEX_WAKE system call (a 64 B stream through the ring at a third of its rate after such a kill).
        final ShmemFactory parent = factory("parent");
        final Path endpoint = Endpoint.file(parent.directory(), parent.shmId(), "asleep");
        final long armed = EndpointLayout.HEADER.byteSize() + SocketRingLayout.HEADER.byteOffset(
                MemoryLayout.PathElement.groupElement("emptyWaiters")); // ring 0 of a bound push
        try (Socket push = parent.createSocket(SocketType.PUSH, "push");
             Socket pull = parent.createSocket(SocketType.PULL, "pull"); Message into = parent.createMessage()) {
            push.bind("ipc://asleep");
            try (ChildJvm child = new ChildJvm(shm.name(), SEGMENT)) {
                child.call("pullwait ipc://asleep", "PULLING", 30);
                killWhenArmed(child, endpoint, armed, "the child's pull armed the ring and sleeps");
            }
            pull.connect("ipc://asleep"); // a consumer's arrival rings the ring's bells: the first ring after the kill
            try (Message message = parent.createMessage(64)) {
                assertEquals(64, push.send(message, 1000));
            }
            assertEquals(0, readInt(endpoint, armed), "the publish took the dead sleeper's arming");
            assertEquals(64, pull.receive(into, 1000));
            for (int i = 0; i < 100; i++) {
                try (Message message = parent.createMessage(64)) {
                    assertEquals(64, push.send(message, 1000));
                }
                assertEquals(64, pull.receive(into, 1000));
            }
            assertEquals(0, readInt(endpoint, armed), "nobody armed it since");
        }
    }

    @Test
    void shouldForgetAnAllocationKilledWhileWaitingForRoomAtTheNextFree() throws Exception {
        // While an allocation waits for room, every free of the session goes to the class list at once (no cache,
        // no spare). An allocation killed in its wait left that on for good until 2026-12-04: the waiter count stayed.
        final ShmemFactory parent = shm.track(new ShmemFactory(shm.config("parent").segmentSize(8L << 20).build()));
        final Path segment = io.shmq.transport.shmem.internal.os.ShmFiles.segment(parent.directory(), parent.shmId(),
                0);
        final long armed = io.shmq.transport.shmem.internal.segment.SegmentLayout.LAYOUT.byteOffset(
                MemoryLayout.PathElement.groupElement("freeSleepers"));
        final List<Message> filling = new ArrayList<>();
        try {
            while (true) {
                try {
                    filling.add(parent.createMessage(256L << 10));
                } catch (io.shmq.transport.api.MessageBadAllocException e) {
                    break; // full
                }
            }
            try (ChildJvm child = new ChildJvm(shm.name(), 8L << 20)) {
                child.call("allocwait " + (1L << 20), "WAITING", 30);
                killWhenArmed(child, segment, armed, "the child's allocation waits for room");
            }
            filling.removeLast().close(); // a free rings for the dead waiter, once
            assertEquals(0, readInt(segment, armed), "the free took the dead waiter's arming");
            assertFalse(parent.mappings().ownSegment().allocationWaiting(), "frees take their usual way again");
        } finally {
            filling.forEach(Message::close);
        }
    }

    /**
     * Waits (30 s at most) until the child has armed the doorbell whose armed word is at {@code offset} of
     * {@code file} (its spin phase, then its sleep), then kills it.
     */
    private static void killWhenArmed(final ChildJvm child, final Path file, final long offset, final String what)
            throws IOException, InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (readInt(file, offset) == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(1, readInt(file, offset), what);
        child.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /** @return the native-order u32 at {@code offset} of a shared-memory file, read through the file */
    private static int readInt(final Path file, final long offset) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            final ByteBuffer word = ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.nativeOrder());
            channel.read(word, offset);
            return word.flip().getInt();
        }
    }

    @Test
    void shouldDeliverWhatABoundPushQueuedAfterItsClose() throws Exception {
        final ShmemFactory parent = factory("parent");
        final long start = parent.freeMemory();
        final Path endpoint = Endpoint.file(parent.directory(), parent.shmId(), "linger");
        try (Socket pull = parent.createSocket(SocketType.PULL, "pull"); Message into = parent.createMessage()) {
            final Socket push = parent.createSocket(SocketType.PUSH, "push");
            push.bind("ipc://linger");
            pull.connect("ipc://linger");
            for (int i = 0; i < 5; i++) {
                try (Message message = parent.createMessage(100)) {
                    Payload.fill(message.data(), i);
                    assertEquals(100, push.send(message, 1000));
                }
            }
            push.close();
            for (int i = 0; i < 5; i++) {
                assertEquals(100, pull.receive(into, 5000), "message " + i + " delivered after the close");
                assertEquals(-1, Payload.check(into.data(), i));
            }
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (Files.exists(endpoint) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertFalse(Files.exists(endpoint), "the endpoint goes once its queue is delivered");
            into.rebuild();
        }
        assertEquals(start, parent.freeMemory());
    }

    @Test
    void shouldPublishMultipartUnitsAndRegionMessagesToEverySubscriber() throws Exception {
        final ShmemFactory parent = factory("parent");
        final long start = parent.freeMemory();
        final java.util.concurrent.BlockingQueue<io.shmq.transport.api.RegionBlock> acks =
                new java.util.concurrent.LinkedBlockingQueue<>();
        try (Socket pub = parent.createSocket(SocketType.PUB, "pub");
             Socket sub1 = parent.createSocket(SocketType.SUB, "sub1");
             Socket sub2 = parent.createSocket(SocketType.SUB, "sub2");
             io.shmq.transport.api.UnmanagedRegion region = parent.createUnmanagedRegion(1 << 16, acks::add,
                     io.shmq.transport.api.RegionConfig.DEFAULT)) {
            sub1.bind("ipc://multi");
            pub.connect("ipc://multi");
            sub2.connect("ipc://multi");
            final Message head = parent.createMessage(10);
            final Message body = parent.createMessage(region, 256, 32, 7);
            final long headHandle = ((SharedMemoryMessage) head).meta().handle();
            assertEquals(42, pub.send(List.of(head, body), 1000));
            assertEquals(0, head.size());
            assertEquals(0, body.size());
            head.close();
            body.close();
            for (final Socket sub : List.of(sub1, sub2)) {
                final List<Message> parts = new ArrayList<>();
                assertEquals(42, sub.receive(parts, 5000));
                assertEquals(2, parts.size());
                assertEquals(headHandle, ((SharedMemoryMessage) parts.get(0)).meta().handle());
                assertEquals(256, ((SharedMemoryMessage) parts.get(1)).meta().handle());
                assertEquals(1, sub.messagesReceived());
                parts.forEach(Message::close);
            }
            assertEquals(new io.shmq.transport.api.RegionBlock(256, 32, 7), acks.poll(10, TimeUnit.SECONDS),
                    "the region block is acknowledged once, after the last subscriber released it");
            Thread.sleep(100);
            assertTrue(acks.isEmpty(), "acknowledged once: " + acks);
        }
        assertEquals(start, parent.freeMemory());
    }

    @Test
    void shouldReportOutputForPushOnlyWhenAPullIsAttachedAndAlwaysForPub() {
        final ShmemFactory parent = factory("parent");
        try (Socket push = parent.createSocket(SocketType.PUSH, "push");
             Socket pub = parent.createSocket(SocketType.PUB, "pub");
             Socket pull = parent.createSocket(SocketType.PULL, "pull");
             io.shmq.transport.api.Poller poller = parent.createPoller(List.of(push, pub, pull))) {
            push.bind("ipc://out");
            pub.bind("ipc://pubout");
            assertEquals(1, poller.poll(0));
            assertFalse(poller.checkOutput(0), "no pull attached");
            assertTrue(poller.checkOutput(1));
            assertFalse(poller.checkInput(2));
            pull.connect("ipc://out");
            assertEquals(2, poller.poll(1000));
            assertTrue(poller.checkOutput(0));
        }
    }

    @Test
    void shouldWorkWithTimedParkingWhenTheOtherJvmHasNoNativeAccess() throws Exception {
        final ShmemFactory parent = factory("parent");
        final int count = 20_000;
        try (Socket pull = parent.createSocket(SocketType.PULL, "pull");
             ChildJvm child = new ChildJvm(shm.name(), SEGMENT, ShmSession.DIRECTORY, "--illegal-native-access=deny");
             Message into = parent.createMessage()) {
            pull.setReceiveHighWaterMark(4);
            pull.setSendHighWaterMark(4);
            pull.bind("ipc://nonative");
            child.send("push ipc://nonative " + count);
            for (int seq = 0; seq < count; seq++) {
                assertEquals(sizeOf(seq), pull.receive(into, 30_000), "seq=" + seq);
                assertEquals(-1, Payload.check(into.data(), seq));
                if (seq % 5_000 == 0) {
                    Thread.sleep(50); // let the child sleep on a full ring, in its fallback
                }
            }
            assertEquals(Integer.toString(count), child.expect("PUSHED", 60));
            assertTrue(child.stderr().contains("runs without native access")
                    && child.stderr().contains("--enable-native-access"), "the degraded mode is said once, loudly:\n"
                    + child.stderr());
        }
    }
}
