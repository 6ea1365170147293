package io.shmq.transport.libzmq.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;
import io.shmq.transport.testkit.StreamSpec;
import io.shmq.transport.testkit.TestAddresses;
import java.lang.foreign.ValueLayout;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The two zeromq providers against each other over tcp on loopback: shmq's JeroMQ provider on one end, the libzmq
 * provider on the other, every pattern, both directions (and both bind roles). Every message carries its sequence
 * number and a CRC32C of its body ({@link StreamSpec}, small messages of 16 B to 4 KiB); each end checks that every
 * message arrives once, in order, intact, and that nothing follows the last.
 *
 * <p>The default run sends {@value #COUNT} messages per case (10 000 round trips for req/rep); the {@code stress}
 * run sends {@value #STRESS_COUNT} in every case.
 */
class LibzmqInteropTest {
    private static final int COUNT = 100_000;
    private static final int REQ_REP_COUNT = 10_000;
    private static final int STRESS_COUNT = 100_000;
    private static final long TIMEOUT_MS = 20_000;

    private TransportFactory jeromq;
    private TransportFactory libzmq;
    private ExecutorService threads;

    @BeforeEach
    void open(final TestInfo info) {
        Libzmq.require();
        final String session = "interop-" + info.getTestMethod().orElseThrow().getName();
        final Transport jeromqTransport = ServiceLoader.load(Transport.class).stream().map(ServiceLoader.Provider::get)
                .filter(t -> t.kind() == TransportKind.ZEROMQ && !(t instanceof LibzmqTransport)).findFirst()
                .orElseThrow();
        jeromq = jeromqTransport.createFactory(FactoryConfig.of("jeromq", session));
        libzmq = new LibzmqTransport().createFactory(FactoryConfig.of("libzmq", session));
        threads = Executors.newFixedThreadPool(2);
    }

    @AfterEach
    void close() {
        // Nothing was opened when the test was skipped (no libzmq.so.5 on this machine).
        if (threads != null) {
            threads.shutdownNow();
        }
        if (jeromq != null) {
            jeromq.close();
        }
        if (libzmq != null) {
            libzmq.close();
        }
    }

    @Test
    void shouldStreamPushPullFromJeromqToLibzmqAndBack() throws Exception {
        stream(SocketType.PUSH, SocketType.PULL, jeromq, libzmq, true, COUNT);
        stream(SocketType.PUSH, SocketType.PULL, libzmq, jeromq, true, COUNT);
        stream(SocketType.PUSH, SocketType.PULL, jeromq, libzmq, false, COUNT);
    }

    @Test
    void shouldStreamPairBothWays() throws Exception {
        stream(SocketType.PAIR, SocketType.PAIR, jeromq, libzmq, true, COUNT);
        stream(SocketType.PAIR, SocketType.PAIR, libzmq, jeromq, false, COUNT);
    }

    @Test
    void shouldPublishFromEitherToASubscriberOfTheOther() throws Exception {
        stream(SocketType.PUB, SocketType.SUB, jeromq, libzmq, true, COUNT);
        stream(SocketType.PUB, SocketType.SUB, libzmq, jeromq, true, COUNT);
    }

    @Test
    void shouldRoundTripRequestsEitherWay() {
        requestReply(jeromq, libzmq, REQ_REP_COUNT);
        requestReply(libzmq, jeromq, REQ_REP_COUNT);
    }

    @Test
    @Tag("stress")
    void shouldCarryAHundredThousandMessagesInEveryPatternAndDirection() throws Exception {
        stream(SocketType.PUSH, SocketType.PULL, jeromq, libzmq, true, STRESS_COUNT);
        stream(SocketType.PUSH, SocketType.PULL, libzmq, jeromq, false, STRESS_COUNT);
        stream(SocketType.PAIR, SocketType.PAIR, jeromq, libzmq, true, STRESS_COUNT);
        stream(SocketType.PAIR, SocketType.PAIR, libzmq, jeromq, false, STRESS_COUNT);
        stream(SocketType.PUB, SocketType.SUB, jeromq, libzmq, true, STRESS_COUNT);
        stream(SocketType.PUB, SocketType.SUB, libzmq, jeromq, true, STRESS_COUNT);
        requestReply(jeromq, libzmq, STRESS_COUNT);
        requestReply(libzmq, jeromq, STRESS_COUNT);
    }

    /**
     * Streams {@code count} checked messages from a {@code senderType} socket of {@code from} to a
     * {@code receiverType} socket of {@code to}; the sender binds when {@code senderBinds}.
     */
    private void stream(final SocketType senderType, final SocketType receiverType, final TransportFactory from,
                        final TransportFactory to, final boolean senderBinds, final int count) throws Exception {
        final String address = TestAddresses.freeTcp();
        final String what = senderType + "(" + from.id() + ") -> " + receiverType + "(" + to.id() + ")";
        try (Socket sender = from.createSocket(senderType, "out"); Socket receiver = to.createSocket(receiverType,
                "in")) {
            if (senderType == SocketType.PUB) {
                // A publisher drops what a slow subscriber cannot queue: queue the whole stream.
                sender.setSendHighWaterMark(count + 1000);
                receiver.setReceiveHighWaterMark(count + 1000);
            }
            if (senderBinds) {
                sender.bind(address);
                receiver.connect(address);
            } else {
                receiver.bind(address);
                sender.connect(address);
            }
            if (senderType == SocketType.PUB) {
                awaitSubscribed(from, sender, to, receiver);
            }
            // Probes (pub/sub) are counted too: compare what the stream added.
            final long receivedBefore = receiver.messagesReceived();
            final long bytesBefore = receiver.bytesReceived();
            final long sentBefore = sender.bytesSent();
            final long start = System.nanoTime();
            final CompletableFuture<Void> sending = CompletableFuture.runAsync(() -> {
                for (long seq = 0; seq < count; seq++) {
                    try (Message message = from.createMessage(StreamSpec.smallSize(seq))) {
                        StreamSpec.fill(message.data(), seq);
                        final long result = sender.send(message, TIMEOUT_MS);
                        if (result != StreamSpec.smallSize(seq)) {
                            throw new AssertionError(what + ": send failed: seq=" + seq + ", result=" + result);
                        }
                    }
                }
            }, threads);
            try (Message into = to.createMessage()) {
                for (long seq = 0; seq < count; seq++) {
                    final long result = receiver.receive(into, TIMEOUT_MS);
                    if (result < 0) {
                        if (sending.isCompletedExceptionally()) {
                            sending.join();
                        }
                        fail(what + ": receive failed: seq=" + seq + ", result=" + result);
                    }
                    assertNull(StreamSpec.check(into.data(), seq, StreamSpec.smallSize(seq)), what);
                }
                sending.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
                assertEquals(Socket.TIMEOUT, receiver.receive(into, 100), what + ": nothing after the last message");
            }
            final double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(count, receiver.messagesReceived() - receivedBefore, what);
            assertEquals(sender.bytesSent() - sentBefore, receiver.bytesReceived() - bytesBefore, what);
            System.out.printf("interop %s over tcp: %d messages in %.2f s (%.0f msgs/s)%n", what, count, seconds,
                    count / seconds);
        }
    }

    /** Publishes 1-byte probes until one arrives, then drains the rest: the checked stream starts after them. */
    private static void awaitSubscribed(final TransportFactory from, final Socket pub, final TransportFactory to,
                                        final Socket sub) {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(TIMEOUT_MS);
        try (Message into = to.createMessage()) {
            while (System.nanoTime() < deadline) {
                try (Message probe = from.createMessage(1)) {
                    probe.data().set(ValueLayout.JAVA_BYTE, 0, (byte) 'p');
                    assertEquals(1, pub.send(probe, TIMEOUT_MS));
                }
                if (sub.receive(into, 20) >= 0) {
                    // Drain the probes still in flight so the checked stream starts clean.
                    while (sub.receive(into, 100) >= 0) {
                        assertEquals(1, into.size(), "only probes before the stream");
                    }
                    return;
                }
            }
        }
        fail("subscriber never received a probe: sub=" + sub.id());
    }

    /** {@code count} round trips from a req socket of {@code client} to a rep socket of {@code server}. */
    private void requestReply(final TransportFactory client, final TransportFactory server, final int count) {
        final String address = TestAddresses.freeTcp();
        final String what = "req(" + client.id() + ") <-> rep(" + server.id() + ")";
        try (Socket rep = server.createSocket(SocketType.REP, "rep"); Socket req = client.createSocket(SocketType.REQ,
                "req")) {
            rep.bind(address);
            req.connect(address);
            final long start = System.nanoTime();
            final CompletableFuture<Void> serving = CompletableFuture.runAsync(() -> {
                try (Message request = server.createMessage()) {
                    for (long seq = 0; seq < count; seq++) {
                        assertTrue(rep.receive(request, TIMEOUT_MS) >= 0, what + ": request " + seq);
                        assertNull(StreamSpec.check(request.data(), seq, StreamSpec.smallSize(seq)), what);
                        final long replySeq = seq + count;
                        try (Message reply = server.createMessage(StreamSpec.smallSize(replySeq))) {
                            StreamSpec.fill(reply.data(), replySeq);
                            assertTrue(rep.send(reply, TIMEOUT_MS) >= 0, what + ": reply " + seq);
                        }
                    }
                }
            }, threads);
            try (Message into = client.createMessage()) {
                for (long seq = 0; seq < count; seq++) {
                    try (Message request = client.createMessage(StreamSpec.smallSize(seq))) {
                        StreamSpec.fill(request.data(), seq);
                        assertTrue(req.send(request, TIMEOUT_MS) >= 0, what + ": request " + seq);
                    }
                    final long result = req.receive(into, TIMEOUT_MS);
                    if (result < 0) {
                        if (serving.isCompletedExceptionally()) {
                            serving.join();
                        }
                        fail(what + ": reply failed: seq=" + seq + ", result=" + result);
                    }
                    assertNull(StreamSpec.check(into.data(), seq + count, StreamSpec.smallSize(seq + count)), what);
                }
            }
            serving.join();
            final double seconds = (System.nanoTime() - start) / 1e9;
            assertEquals(count, req.messagesReceived(), what);
            assertEquals(count, rep.messagesReceived(), what);
            System.out.printf("interop %s over tcp: %d round trips in %.2f s (%.0f/s)%n", what, count, seconds,
                    count / seconds);
        }
    }
}
