package io.shmq.transport.testkit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Poller;
import io.shmq.transport.api.RegionBlock;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketException;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.UnmanagedRegion;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * The contract every {@link Transport} provider honours, tested through the API only. A provider's test class
 * extends it and implements {@link #transport()} and {@link #address(String)}; the same suite then runs against
 * every provider (and, for zeromq, against every address scheme).
 *
 * <p>Each test gets its own factory in a fresh session (see {@link #config(String, String)}), closed after the test
 * even when it fails. Waits that should end at once still get a generous bound ({@link #GUARD_MS}) so that a broken
 * provider fails instead of hanging; no test asserts how fast anything is.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class TransportContractTest {
    /** The hang guard for waits that should end at once, in milliseconds. */
    protected static final long GUARD_MS = 10_000;

    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    /** The factory of the running test, in its own session. */
    protected TransportFactory factory;
    private String session;
    private String testName;
    private final List<TransportFactory> extraFactories = new ArrayList<>();
    /** The address each socket made by {@link #bound} was bound to. */
    private final Map<Socket, String> addresses = new IdentityHashMap<>();

    /** Subclasses are JUnit test classes. */
    protected TransportContractTest() {
    }

    /** @return the provider under test */
    protected abstract Transport transport();

    /**
     * A fresh address to bind one socket to, unused by any other test, for sockets of one factory.
     *
     * @param name a name unique in the run (letters, digits, dashes), usable as a path or inproc name
     * @return the address, e.g. {@code inproc://name}, {@code ipc://<temporary directory>/name} or
     *         {@code tcp://127.0.0.1:port}
     */
    protected abstract String address(String name);

    /**
     * A fresh address for a socket that another factory of the same session connects to. The default is
     * {@link #address(String)}; a provider whose addresses work only inside one factory (zeromq's inproc) overrides
     * it.
     *
     * @param name a name unique in the run
     * @return the address
     */
    protected String crossFactoryAddress(final String name) {
        return address(name);
    }

    /**
     * The configuration of the factories of a test; override to add provider options.
     *
     * @param id      the factory id
     * @param session the test's fresh session name
     * @return the configuration
     */
    protected FactoryConfig config(final String id, final String session) {
        return FactoryConfig.of(id, session);
    }

    @BeforeEach
    final void openFactory(final TestInfo info) {
        final int n = SEQUENCE.incrementAndGet();
        testName = info.getTestMethod().map(java.lang.reflect.Method::getName).orElse("test");
        session = "contract-" + ProcessHandle.current().pid() + "-" + n;
        factory = transport().createFactory(config("device-" + n, session));
    }

    @AfterEach
    final void closeFactories() {
        try {
            for (final TransportFactory extra : extraFactories) {
                extra.close();
            }
        } finally {
            if (factory != null) {
                factory.close();
            }
        }
    }

    /** @return a second factory in the test's session, closed after the test */
    protected final TransportFactory secondFactory() {
        final TransportFactory second = transport().createFactory(config("peer-" + SEQUENCE.incrementAndGet(),
                session));
        extraFactories.add(second);
        return second;
    }

    /** @return a name unique in the run, for {@link #address(String)} */
    protected final String uniqueName() {
        return testName + "-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Messages
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void shouldCreateEmptyMessageWithNullData() {
        try (Message message = factory.createMessage()) {
            assertEquals(0, message.size());
            assertEquals(MemorySegment.NULL, message.data());
            assertEquals(transport().kind(), message.kind());
        }
    }

    @Test
    void shouldCreateZeroSizeMessageWithNullData() {
        try (Message message = factory.createMessage(0)) {
            assertEquals(0, message.size());
            assertEquals(MemorySegment.NULL, message.data());
        }
    }

    @Test
    void shouldCreateWritableOffHeapPayloadOfRequestedSize() {
        try (Message message = factory.createMessage(4096)) {
            assertEquals(4096, message.size());
            final MemorySegment data = message.data();
            assertEquals(4096, data.byteSize());
            assertTrue(data.isNative(), "payload must be off-heap");
            data.fill((byte) 7);
            assertEquals(7, data.get(JAVA_BYTE, 4095));
        }
    }

    @Test
    void shouldAlignPayloadToRequestedAlignment() {
        for (final long alignment : new long[] {16, 64, 4096}) {
            try (Message message = factory.createMessage(100, alignment)) {
                assertEquals(0, message.data().address() % alignment, "alignment=" + alignment);
            }
        }
    }

    @Test
    void shouldCopyUserBufferIntoNewMessage() {
        final byte[] source = "hello, transport".getBytes(StandardCharsets.UTF_8);
        try (Message message = factory.createMessage(MemorySegment.ofArray(source))) {
            source[0] = 'X';
            assertEquals(source.length, message.size());
            assertTrue(message.data().isNative());
            assertEquals("hello, transport", text(message));
        }
    }

    @Test
    void shouldShrinkWithSetUsedSizeAndRejectGrowth() {
        try (Message message = bytes("abcdefgh")) {
            message.setUsedSize(3);
            assertEquals(3, message.size());
            assertEquals("abc", text(message));
            assertThrows(IllegalArgumentException.class, () -> message.setUsedSize(4));
            assertThrows(IllegalArgumentException.class, () -> message.setUsedSize(-1));
            message.setUsedSize(0);
            assertEquals(0, message.size());
        }
    }

    @Test
    void shouldRebuildToNewSizeOrEmpty() {
        try (Message message = bytes("abc")) {
            message.rebuild(1000);
            assertEquals(1000, message.size());
            message.rebuild(256, 64);
            assertEquals(256, message.size());
            assertEquals(0, message.data().address() % 64);
            message.rebuild();
            assertEquals(0, message.size());
            assertEquals(MemorySegment.NULL, message.data());
        }
    }

    @Test
    void shouldCopyMessageWithSameContentAndIndependentLifetime() {
        final Message original = bytes("shared payload");
        final Message copy = original.copy();
        try {
            assertEquals(original.size(), copy.size());
            original.close();
            assertEquals("shared payload", text(copy));
        } finally {
            original.close();
            copy.close();
        }
    }

    @Test
    void shouldThrowOnUseOfClosedMessageAndCloseIdempotently() {
        final Message message = factory.createMessage(10);
        message.close();
        message.close();
        assertThrows(TransportClosedException.class, message::data);
        assertThrows(TransportClosedException.class, message::size);
        assertThrows(TransportClosedException.class, () -> message.rebuild(5));
    }

    @Test
    void shouldRejectNegativeSizeAndBadAlignment() {
        assertThrows(IllegalArgumentException.class, () -> factory.createMessage(-1));
        assertThrows(IllegalArgumentException.class, () -> factory.createMessage(10, 3));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Socket patterns
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void shouldDeliverPushPullInOrder() {
        try (Socket pull = bound(SocketType.PULL); Socket push = connected(SocketType.PUSH, pull)) {
            for (int i = 0; i < 100; i++) {
                try (Message message = bytes("message " + i)) {
                    assertEquals(message.size(), push.send(message, GUARD_MS));
                }
            }
            for (int i = 0; i < 100; i++) {
                assertEquals("message " + i, receiveText(pull));
            }
        }
    }

    @Test
    void shouldKeepAPairToItsOnePeer() {
        try (Socket a = bound(SocketType.PAIR); Socket b = connected(SocketType.PAIR, a)) {
            sendText(b, "first");
            assertEquals("first", receiveText(a));
            final Socket c = factory.createSocket(SocketType.PAIR, "pair-second");
            try {
                // The shared-memory transport refuses the second peer naming the first; ZeroMQ's pair accepts the
                // connect but never attaches it. Either way the second peer reaches nobody.
                try {
                    c.connect(addresses.get(a));
                    try (Message message = bytes("second")) {
                        c.send(message, 100);
                    }
                    try (Message none = factory.createMessage()) {
                        assertEquals(Socket.TIMEOUT, a.receive(none, 300), "the second pair peer reaches nobody");
                    }
                } catch (SocketException refused) {
                    assertTrue(refused.getMessage().contains("pair"), refused.getMessage());
                }
            } finally {
                c.close();
            }
            sendText(a, "still yours");
            assertEquals("still yours", receiveText(b));
        }
    }

    @Test
    void shouldDeliverPairBothWays() {
        try (Socket a = bound(SocketType.PAIR); Socket b = connected(SocketType.PAIR, a)) {
            sendText(b, "ping");
            assertEquals("ping", receiveText(a));
            sendText(a, "pong");
            assertEquals("pong", receiveText(b));
        }
    }

    @Test
    void shouldRoundTripRequestAndReply() {
        try (Socket rep = bound(SocketType.REP); Socket req = connected(SocketType.REQ, rep)) {
            for (int i = 0; i < 10; i++) {
                sendText(req, "request " + i);
                assertEquals("request " + i, receiveText(rep));
                sendText(rep, "reply " + i);
                assertEquals("reply " + i, receiveText(req));
            }
        }
    }

    @Test
    void shouldReceiveOnOneSocketBoundToTwoAddresses() {
        final String a = address(uniqueName());
        final String b = address(uniqueName());
        try (Socket pull = factory.createSocket(SocketType.PULL, "pull-two");
             Socket push1 = factory.createSocket(SocketType.PUSH, "push-a");
             Socket push2 = factory.createSocket(SocketType.PUSH, "push-b")) {
            pull.bind(a);
            pull.bind(b);
            push1.connect(a);
            push2.connect(b);
            for (int i = 0; i < 10; i++) {
                sendText(push1, "a" + i);
                sendText(push2, "b" + i);
            }
            final java.util.Set<String> got = new java.util.HashSet<>();
            for (int i = 0; i < 20; i++) {
                got.add(receiveText(pull));
            }
            assertEquals(20, got.size(), "every message of both addresses once: " + got);
        }
    }

    @Test
    void shouldSpreadOnePushConnectedToTwoAddressesOverBoth() {
        try (Socket pull1 = bound(SocketType.PULL); Socket pull2 = bound(SocketType.PULL);
             Socket push = factory.createSocket(SocketType.PUSH, "push-two");
             Poller poller = factory.createPoller(List.of(pull1, pull2))) {
            push.connect(addresses.get(pull1));
            push.connect(addresses.get(pull2));
            // Connections may come up one after the other: send one at a time until both addresses got some.
            final int[] got = new int[2];
            int sent = 0;
            while ((got[0] == 0 || got[1] == 0) && sent < 400) {
                sendText(push, "m" + sent++);
                assertTrue(poller.poll(GUARD_MS) > 0, "message " + (sent - 1) + " arrives");
                final int which = poller.checkInput(0) ? 0 : 1;
                receiveText(which == 0 ? pull1 : pull2);
                got[which]++;
            }
            assertTrue(got[0] > 0 && got[1] > 0, "round robin over both addresses: " + got[0] + " and " + got[1]);
            assertEquals(sent, got[0] + got[1], "every message once");
        }
    }

    @Test
    void shouldRouteEveryReplyOfAReqConnectedToTwoRepsFromTheRepItAsked() {
        try (Socket rep1 = bound(SocketType.REP); Socket rep2 = bound(SocketType.REP);
             Socket req = factory.createSocket(SocketType.REQ, "req-two")) {
            req.connect(addresses.get(rep1));
            req.connect(addresses.get(rep2));
            final int[] served = new int[2];
            for (int i = 0; i < 200 && (served[0] == 0 || served[1] == 0 || i < 10); i++) {
                sendText(req, "request " + i);
                final Socket rep = awaitRequest(rep1, rep2);
                final String request = receiveText(rep);
                assertEquals("request " + i, request);
                served[rep == rep1 ? 0 : 1]++;
                sendText(rep, "reply " + i);
                assertEquals("reply " + i, receiveText(req));
            }
            assertTrue(served[0] > 0 && served[1] > 0, "both reps asked: " + served[0] + " and " + served[1]);
        }
    }

    @Test
    void shouldPublishThroughOneSocketBoundToTwoAddressesToSubscribersOfEach() {
        final String a = address(uniqueName());
        final String b = address(uniqueName());
        try (Socket pub = factory.createSocket(SocketType.PUB, "pub-two");
             Socket sub1 = factory.createSocket(SocketType.SUB, "sub-a");
             Socket sub2 = factory.createSocket(SocketType.SUB, "sub-b")) {
            pub.bind(a);
            pub.bind(b);
            sub1.connect(a);
            sub2.connect(b);
            awaitSubscribed(pub, sub1);
            awaitSubscribed(pub, sub2);
            sendText(pub, "to all");
            assertEquals("to all", receiveUntil(sub1, "to all"));
            assertEquals("to all", receiveUntil(sub2, "to all"));
        }
    }

    /** @return the text {@code wanted}, skipping the probes {@link #awaitSubscribed} may have left */
    private String receiveUntil(final Socket socket, final String wanted) {
        String text;
        do {
            text = receiveText(socket);
        } while (!text.equals(wanted));
        return text;
    }

    /** @return the rep that has a request waiting */
    private Socket awaitRequest(final Socket rep1, final Socket rep2) {
        try (Poller poller = factory.createPoller(List.of(rep1, rep2))) {
            assertTrue(poller.poll(GUARD_MS) > 0, "a request arrives");
            return poller.checkInput(0) ? rep1 : rep2;
        }
    }

    @Test
    void shouldLetAReqWhoseReplyNeverCameTimeOutAndSendTheNextRequest() {
        try (Socket rep = bound(SocketType.REP); Socket req = connected(SocketType.REQ, rep)) {
            sendText(req, "first");
            assertEquals("first", receiveText(rep));
            try (Message reply = factory.createMessage()) {
                assertEquals(Socket.TIMEOUT, req.receive(reply, 200), "the reply does not come in time");
            }
            sendText(req, "second"); // allowed once the receive timed out: the first request is given up
            sendText(rep, "late reply to first");
            assertEquals("second", receiveText(rep));
            sendText(rep, "reply to second");
            assertEquals("reply to second", receiveText(req), "the late reply to the given-up request is dropped");
            // Strict alternation otherwise: a second request without a receive in between is out of turn.
            sendText(req, "third");
            try (Message extra = factory.createMessage(1)) {
                assertEquals(Socket.ERROR, req.send(extra, 1_000));
            }
            assertEquals("third", receiveText(rep));
            sendText(rep, "reply to third");
            assertEquals("reply to third", receiveText(req));
        }
    }

    @Test
    void shouldDeliverEveryPublishedMessageToEverySubscriber() {
        try (Socket pub = bound(SocketType.PUB); Socket sub1 = connected(SocketType.SUB, pub);
             Socket sub2 = connected(SocketType.SUB, pub)) {
            // Subscriptions travel to the publisher asynchronously: publish probes until both subscribers hear.
            awaitSubscribed(pub, sub1);
            awaitSubscribed(pub, sub2);
            for (int i = 0; i < 20; i++) {
                sendText(pub, "event " + i);
            }
            for (final Socket sub : List.of(sub1, sub2)) {
                for (int i = 0; i < 20; i++) {
                    assertEquals("event " + i, receiveSkippingProbes(sub));
                }
            }
        }
    }

    @Test
    void shouldGiveEachMessageOfOnePushToExactlyOneOfThreePullsAndServeThemAll() throws Exception {
        try (Socket push = bound(SocketType.PUSH); Socket p1 = connected(SocketType.PULL, push);
             Socket p2 = connected(SocketType.PULL, push); Socket p3 = connected(SocketType.PULL, push)) {
            Thread.sleep(200); // connections are asynchronous in ZeroMQ: let all three attach before sending
            final int count = 300;
            for (int i = 0; i < count; i++) {
                sendText(push, "m" + i);
            }
            final List<Socket> pulls = List.of(p1, p2, p3);
            final int[] perPull = new int[3];
            final java.util.Set<String> seen = new java.util.HashSet<>();
            try (Message into = factory.createMessage()) {
                int idle = 0;
                while (seen.size() < count && idle < 3) {
                    idle++;
                    for (int i = 0; i < 3; i++) {
                        if (pulls.get(i).receive(into, 200) >= 0) {
                            assertTrue(seen.add(text(into)), "every message once: " + text(into));
                            perPull[i]++;
                            idle = 0;
                        }
                    }
                }
            }
            assertEquals(count, seen.size(), "every message delivered");
            for (int i = 0; i < 3; i++) {
                // The documented bound: pulls that ask in turn share the messages evenly, within a third.
                assertTrue(perPull[i] >= count / 3 - count / 9, "pull " + i + " got " + perPull[i] + " of " + count);
            }
        }
    }

    @Test
    void shouldDeliverEveryMessageOfThreePushesToOnePullInOrderPerPush() {
        try (Socket pull = bound(SocketType.PULL); Socket a = connected(SocketType.PUSH, pull);
             Socket b = connected(SocketType.PUSH, pull); Socket c = connected(SocketType.PUSH, pull)) {
            final List<Socket> pushes = List.of(a, b, c);
            for (int i = 0; i < 100; i++) {
                for (int p = 0; p < 3; p++) {
                    sendText(pushes.get(p), p + ":" + i);
                }
            }
            final int[] next = new int[3];
            for (int n = 0; n < 300; n++) {
                final String text = receiveText(pull);
                final int p = text.charAt(0) - '0';
                assertEquals(p + ":" + next[p], text, "in order per push");
                next[p]++;
            }
            assertEquals(List.of(100, 100, 100), List.of(next[0], next[1], next[2]));
        }
    }

    @Test
    void shouldRouteEveryReplyOfOneRepToItsRequesterAmongThree() {
        try (Socket rep = bound(SocketType.REP); Socket r1 = connected(SocketType.REQ, rep);
             Socket r2 = connected(SocketType.REQ, rep); Socket r3 = connected(SocketType.REQ, rep)) {
            final List<Socket> reqs = List.of(r1, r2, r3);
            for (int round = 0; round < 5; round++) {
                for (int i = 0; i < 3; i++) {
                    sendText(reqs.get(i), "req" + i + "-" + round);
                }
                for (int i = 0; i < 3; i++) {
                    final String request = receiveText(rep);
                    sendText(rep, "reply to " + request);
                }
                for (int i = 0; i < 3; i++) {
                    assertEquals("reply to req" + i + "-" + round, receiveText(reqs.get(i)), "its own reply");
                }
            }
        }
    }

    @Test
    void shouldDeliverToEachSubscriberOnlyWhatMatchesItsPrefixes() {
        try (Socket pub = bound(SocketType.PUB); Socket alpha = connected(SocketType.SUB, pub);
             Socket beta = connected(SocketType.SUB, pub); Socket all = connected(SocketType.SUB, pub)) {
            alpha.unsubscribe("");
            alpha.subscribe("a.");
            beta.unsubscribe("");
            beta.subscribe("b.");
            beta.subscribe("both");
            awaitSubscribed(pub, alpha, "a." + PROBE);
            // The last of beta's subscriptions: a sub's subscriptions reach the publisher in order, so once it matches,
            // "b." does too (awaiting "b." alone let "both0" go out before "both" had arrived, now and then).
            awaitSubscribed(pub, beta, "both" + PROBE);
            awaitSubscribed(pub, all, PROBE);
            for (int i = 0; i < 5; i++) {
                sendText(pub, "a." + i);
                sendText(pub, "b." + i);
                sendText(pub, "c." + i);
                sendText(pub, "both" + i);
            }
            sendText(pub, "end");
            for (int i = 0; i < 5; i++) {
                assertEquals("a." + i, receiveSkippingProbes(alpha));
            }
            for (int i = 0; i < 5; i++) {
                assertEquals("b." + i, receiveSkippingProbes(beta));
                assertEquals("both" + i, receiveSkippingProbes(beta));
            }
            for (int i = 0; i < 5; i++) {
                for (final String topic : List.of("a.", "b.", "c.", "both")) {
                    assertEquals(topic + i, receiveSkippingProbes(all), "the default subscription: everything");
                }
            }
            assertEquals("end", receiveSkippingProbes(all));
            try (Message into = factory.createMessage()) {
                assertEquals(Socket.TIMEOUT, alpha.receive(into, 100), "nothing else for a.");
                assertEquals(Socket.TIMEOUT, beta.receive(into, 100), "nothing else for b.");
            }
            assertThrows(IllegalStateException.class, () -> pub.subscribe("a."), "only a sub socket subscribes");
            assertThrows(IllegalArgumentException.class,
                    () -> alpha.subscribe(new byte[Socket.MAX_TOPIC_BYTES + 1]), "a prefix too long");
            alpha.unsubscribe("never-subscribed");
        }
    }

    @Test
    void shouldSendMultipartAsOneUnit() {
        try (Socket pull = bound(SocketType.PULL); Socket push = connected(SocketType.PUSH, pull)) {
            final List<Message> parts = List.of(bytes("header"), factory.createMessage(), bytes("body-bytes"));
            try {
                assertEquals(16, push.send(parts, GUARD_MS));
                for (final Message part : parts) {
                    assertEquals(0, part.size(), "a sent part is left empty");
                }
            } finally {
                parts.forEach(Message::close);
            }
            final List<Message> received = new ArrayList<>();
            try {
                assertEquals(16, pull.receive(received, GUARD_MS));
                assertEquals(3, received.size());
                assertEquals("header", text(received.get(0)));
                assertEquals(0, received.get(1).size());
                assertEquals(MemorySegment.NULL, received.get(1).data());
                assertEquals("body-bytes", text(received.get(2)));
            } finally {
                received.forEach(Message::close);
            }
        }
    }

    @Test
    void shouldDeliverZeroSizeMessage() {
        try (Socket pull = bound(SocketType.PULL); Socket push = connected(SocketType.PUSH, pull);
             Message empty = factory.createMessage(); Message into = bytes("old content")) {
            assertEquals(0, push.send(empty, GUARD_MS));
            assertEquals(0, pull.receive(into, GUARD_MS));
            assertEquals(0, into.size());
            assertEquals(MemorySegment.NULL, into.data());
        }
    }

    @Test
    void shouldDeliverLargeMessageIntact() {
        final int size = 8 << 20;
        try (Socket pull = bound(SocketType.PULL); Socket push = connected(SocketType.PUSH, pull);
             Message message = factory.createMessage(size); Message into = factory.createMessage()) {
            final MemorySegment data = message.data();
            for (int i = 0; i < size; i += 4096) {
                data.set(JAVA_BYTE, i, (byte) (i >>> 12));
            }
            assertEquals(size, push.send(message, GUARD_MS));
            assertEquals(size, pull.receive(into, GUARD_MS));
            for (int i = 0; i < size; i += 4096) {
                assertEquals((byte) (i >>> 12), into.data().get(JAVA_BYTE, i), "offset=" + i);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Ownership, timeouts, high-water marks
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void shouldLeaveMessageEmptyAfterSuccessfulSend() {
        try (Socket pull = bound(SocketType.PULL); Socket push = connected(SocketType.PUSH, pull);
             Message message = bytes("payload")) {
            assertEquals(7, push.send(message, GUARD_MS));
            assertEquals(0, message.size());
            assertEquals(MemorySegment.NULL, message.data());
            assertEquals("payload", receiveText(pull));
        }
    }

    @Test
    void shouldTimeOutReceiveWhenNothingArrives() {
        try (Socket pull = bound(SocketType.PULL); Message message = bytes("unchanged")) {
            assertEquals(Socket.TIMEOUT, pull.receive(message, 0));
            assertEquals(Socket.TIMEOUT, pull.receive(message, 50));
            assertEquals("unchanged", text(message));
            final List<Message> parts = new ArrayList<>();
            assertEquals(Socket.TIMEOUT, pull.receive(parts, 20));
            assertTrue(parts.isEmpty());
        }
    }

    @Test
    void shouldKeepMessageWithSenderWhenSendTimesOutAndDeliverEachOnce() {
        try (Socket pull = factory.createSocket(SocketType.PULL, "pull");
             Socket push = factory.createSocket(SocketType.PUSH, "push")) {
            pull.setReceiveHighWaterMark(1);
            push.setSendHighWaterMark(1);
            final String address = address(uniqueName());
            pull.bind(address);
            push.connect(address);
            final int size = 256 << 10;
            int sent = 0;
            long result;
            Message pending;
            do {
                if (sent == 4096) {
                    fail("the queue never filled: sent=" + sent + " messages of " + size + " bytes");
                }
                pending = numbered(sent, size);
                result = push.send(pending, sent < 2 ? GUARD_MS : 100);
                if (result == size) {
                    pending.close();
                    sent++;
                }
            } while (result == size);
            try (Message kept = pending) {
                assertEquals(Socket.TIMEOUT, result);
                assertEquals(size, kept.size(), "a timed-out send leaves the message with the sender");
                assertEquals(sent, kept.data().get(JAVA_INT_UNALIGNED, 0));
                assertEquals(Socket.TIMEOUT, push.send(kept, 0));
                assertEquals(size, kept.size());
                // Drain until the kept message goes through (queues in between, e.g. tcp buffers, free up in
                // their own time): every number arrives exactly once, in order.
                try (Message into = factory.createMessage()) {
                    int next = 0;
                    while (kept.size() != 0) {
                        assertEquals(size, pull.receive(into, GUARD_MS), "message " + next);
                        assertEquals(next++, into.data().get(JAVA_INT_UNALIGNED, 0));
                        final long retry = push.send(kept, 100);
                        assertTrue(retry == size || retry == Socket.TIMEOUT, "retry=" + retry);
                        if (kept.size() != 0 && next == sent) {
                            fail("the kept message was never accepted: sent=" + sent);
                        }
                    }
                    for (; next <= sent; next++) {
                        assertEquals(size, pull.receive(into, GUARD_MS), "message " + next);
                        assertEquals(next, into.data().get(JAVA_INT_UNALIGNED, 0));
                    }
                    assertEquals(Socket.TIMEOUT, pull.receive(into, 100));
                }
            }
        }
    }

    @Test
    void shouldKeepHighWaterMarksAndLingerAsSet() {
        try (Socket push = factory.createSocket(SocketType.PUSH, "push")) {
            assertEquals(Socket.DEFAULT_HIGH_WATER_MARK, push.sendHighWaterMark());
            push.setSendHighWaterMark(10);
            push.setReceiveHighWaterMark(20);
            push.setLinger(Duration.ofMillis(250));
            assertEquals(10, push.sendHighWaterMark());
            assertEquals(20, push.receiveHighWaterMark());
            assertEquals(Duration.ofMillis(250), push.linger());
            assertThrows(IllegalArgumentException.class, () -> push.setSendHighWaterMark(0));
            assertThrows(IllegalArgumentException.class, () -> push.setReceiveHighWaterMark(0));
            assertThrows(IllegalArgumentException.class, () -> push.setLinger(Duration.ofMillis(-1)));
        }
    }

    @Test
    void shouldDeliverQueuedMessagesOnCloseWithDefaultLinger() throws Exception {
        final TransportFactory receiverFactory = secondFactory();
        final String address = crossFactoryAddress(uniqueName());
        final int count = 16;
        final int size = 4 << 20;
        try (Socket pull = receiverFactory.createSocket(SocketType.PULL, "pull")) {
            pull.setReceiveHighWaterMark(1);
            pull.bind(address);
            final Socket push = factory.createSocket(SocketType.PUSH, "push");
            push.connect(address);
            for (int i = 0; i < count; i++) {
                try (Message message = numbered(i, size)) {
                    assertEquals(size, push.send(message, GUARD_MS));
                }
            }
            // Close the sender's factory while most messages are still queued, and let the receiver start late:
            // longer than FairMQ's 500 ms linger, which would have dropped them.
            final CompletableFuture<Void> closing = CompletableFuture.runAsync(factory::close);
            Thread.sleep(1000);
            try (Message into = receiverFactory.createMessage()) {
                for (int i = 0; i < count; i++) {
                    assertEquals(size, pull.receive(into, GUARD_MS), "message " + i);
                    assertEquals(i, into.data().get(JAVA_INT_UNALIGNED, 0));
                }
            }
            closing.get(GUARD_MS, TimeUnit.MILLISECONDS);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Interrupt and poller
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void shouldWakeBlockedReceiveWithInterruptedAndKeepReturningItUntilResume() throws Exception {
        try (Socket pull = bound(SocketType.PULL); Message message = factory.createMessage()) {
            final CompletableFuture<Long> blocked = CompletableFuture.supplyAsync(() -> pull.receive(message, -1));
            Thread.sleep(200);
            assertFalse(blocked.isDone(), "receive should block while nothing arrives");
            factory.interrupt();
            assertTrue(factory.interrupted());
            assertEquals(Socket.INTERRUPTED, blocked.get(GUARD_MS, TimeUnit.MILLISECONDS));
            assertEquals(Socket.INTERRUPTED, pull.receive(message, 100));
            factory.resume();
            assertFalse(factory.interrupted());
            assertEquals(Socket.TIMEOUT, pull.receive(message, 20));
        }
    }

    @Test
    void shouldWakeBlockedSendWithInterruptedAndKeepMessage() throws Exception {
        try (Socket push = factory.createSocket(SocketType.PUSH, "push"); Message message = bytes("kept")) {
            push.setSendHighWaterMark(1);
            // A push socket without a peer has nowhere to send: send blocks.
            push.bind(address(uniqueName()));
            final CompletableFuture<Long> blocked = CompletableFuture.supplyAsync(() -> push.send(message, -1));
            Thread.sleep(200);
            assertFalse(blocked.isDone(), "send should block without a peer");
            factory.interrupt();
            assertEquals(Socket.INTERRUPTED, blocked.get(GUARD_MS, TimeUnit.MILLISECONDS));
            assertEquals("kept", text(message));
        }
    }

    @Test
    void shouldWakeBlockedPollWithInterrupted() throws Exception {
        try (Socket pull = bound(SocketType.PULL); Poller poller = factory.createPoller(List.of(pull))) {
            final CompletableFuture<Integer> blocked = CompletableFuture.supplyAsync(() -> poller.poll(-1));
            Thread.sleep(200);
            assertFalse(blocked.isDone(), "poll should block while nothing arrives");
            factory.interrupt();
            assertEquals((int) Socket.INTERRUPTED, blocked.get(GUARD_MS, TimeUnit.MILLISECONDS));
        }
    }

    @Test
    void shouldEndBlockedReceiveWhenFactoryClosesFromAnotherThread() throws Exception {
        final Socket pull = bound(SocketType.PULL);
        final Message message = factory.createMessage();
        final CompletableFuture<Long> blocked = CompletableFuture.supplyAsync(() -> pull.receive(message, -1));
        Thread.sleep(200);
        assertFalse(blocked.isDone(), "receive should block while nothing arrives");
        factory.close();
        try {
            final long result = blocked.get(GUARD_MS, TimeUnit.MILLISECONDS);
            assertTrue(result == Socket.INTERRUPTED || result == Socket.ERROR, "result=" + result);
        } catch (final ExecutionException e) {
            assertTrue(e.getCause() instanceof TransportClosedException, "cause=" + e.getCause());
        }
    }

    @Test
    void shouldNeitherLoseNorDuplicateMessagesWhileInterruptedAndResumedRepeatedly() throws Exception {
        final int count = 20_000;
        // Own threads: the common pool may have a single worker on a small machine, and both tasks run for long.
        try (ExecutorService threads = Executors.newFixedThreadPool(2);
             Socket pull = factory.createSocket(SocketType.PULL, "pull");
             Socket push = factory.createSocket(SocketType.PUSH, "push")) {
            pull.setReceiveHighWaterMark(10);
            push.setSendHighWaterMark(10);
            final String address = address(uniqueName());
            pull.bind(address);
            push.connect(address);
            final AtomicBoolean done = new AtomicBoolean();
            final CompletableFuture<Void> interrupter = CompletableFuture.runAsync(() -> {
                while (!done.get()) {
                    factory.interrupt();
                    pause(2);
                    factory.resume();
                    pause(5);
                }
            }, threads);
            // Each failed send must leave the message intact, so the sender retries the very same message.
            final CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                for (int seq = 0; seq < count; seq++) {
                    try (Message message = numbered(seq, 64)) {
                        long result;
                        while ((result = push.send(message, 20)) != 64) {
                            if (done.get()) {
                                return;
                            }
                            assertTrue(result == Socket.INTERRUPTED || result == Socket.TIMEOUT, "result=" + result);
                            assertEquals(64, message.size(), "a failed send keeps the message");
                            assertEquals(seq, message.data().get(JAVA_INT_UNALIGNED, 0));
                        }
                    }
                }
            }, threads);
            try (Message into = factory.createMessage()) {
                int expected = 0;
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
                while (expected < count) {
                    if (sender.isCompletedExceptionally()) {
                        sender.join();
                    }
                    if (System.nanoTime() - deadline > 0) {
                        done.set(true);
                        fail("hang guard: received " + expected + " of " + count + " messages in 40 s");
                    }
                    final long result = pull.receive(into, 20);
                    if (result >= 0) {
                        assertEquals(64, result);
                        assertEquals(expected++, into.data().get(JAVA_INT_UNALIGNED, 0), "in order, once each");
                    } else {
                        assertTrue(result == Socket.INTERRUPTED || result == Socket.TIMEOUT, "result=" + result);
                    }
                }
                sender.get(GUARD_MS, TimeUnit.MILLISECONDS);
                done.set(true);
                interrupter.get(GUARD_MS, TimeUnit.MILLISECONDS);
                factory.resume();
                assertEquals(Socket.TIMEOUT, pull.receive(into, 100), "nothing after the last message");
            } finally {
                done.set(true);
            }
        }
    }

    private static void pause(final long millis) {
        try {
            Thread.sleep(millis);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void shouldReportInputOnTheSocketThatHasIt() {
        try (Socket pull0 = bound(SocketType.PULL); Socket pull1 = bound(SocketType.PULL);
             Socket push = connected(SocketType.PUSH, pull1);
             Poller poller = factory.createPoller(List.of(pull0, pull1))) {
            assertEquals(0, poller.poll(0));
            sendText(push, "for pull1");
            assertTrue(poller.poll(GUARD_MS) >= 1);
            assertFalse(poller.checkInput(0));
            assertTrue(poller.checkInput(1));
            assertEquals("for pull1", receiveText(pull1));
            assertEquals(0, poller.poll(20));
            assertThrows(IndexOutOfBoundsException.class, () -> poller.checkInput(2));
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Counters
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void shouldCountPayloadBytesAndCountMultipartUnitOnce() {
        try (Socket pull = bound(SocketType.PULL); Socket push = connected(SocketType.PUSH, pull)) {
            sendText(push, "0123456789");
            sendText(push, "");
            final List<Message> parts = List.of(bytes("abcde"), bytes("fghijk"));
            assertEquals(11, push.send(parts, GUARD_MS));
            parts.forEach(Message::close);
            assertEquals(21, push.bytesSent());
            assertEquals(3, push.messagesSent());
            assertEquals("0123456789", receiveText(pull));
            assertEquals("", receiveText(pull));
            final List<Message> received = new ArrayList<>();
            assertEquals(11, pull.receive(received, GUARD_MS));
            received.forEach(Message::close);
            assertEquals(21, pull.bytesReceived());
            assertEquals(3, pull.messagesReceived());
            assertEquals(0, pull.bytesSent());
            assertEquals(0, push.messagesReceived());
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Regions
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void shouldDeliverRegionMessageAndTellCreatorOfReleasedBlock() throws Exception {
        final BlockingQueue<RegionBlock> released = new ArrayBlockingQueue<>(16);
        try (UnmanagedRegion region = factory.createUnmanagedRegion(1 << 20, released::add, RegionConfig.DEFAULT);
             Socket pull = bound(SocketType.PULL); Socket push = connected(SocketType.PUSH, pull)) {
            assertEquals(1 << 20, region.size());
            region.data().asSlice(4096, 5).copyFrom(MemorySegment.ofArray("block".getBytes(StandardCharsets.UTF_8)));
            try (Message message = factory.createMessage(region, 4096, 5, 42)) {
                assertEquals(5, message.size());
                assertEquals(5, push.send(message, GUARD_MS));
            }
            assertEquals("block", receiveText(pull));
            assertEquals(new RegionBlock(4096, 5, 42), released.poll(GUARD_MS, TimeUnit.MILLISECONDS));
            assertThrows(IllegalArgumentException.class, () -> factory.createMessage(region, (1 << 20) - 4, 5, 0));
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Errors on misuse
    // ---------------------------------------------------------------------------------------------------------

    @Test
    void shouldRejectSendOnReceiveOnlySocketsAndReceiveOnSendOnlySockets() {
        try (Socket pull = factory.createSocket(SocketType.PULL, "pull");
             Socket sub = factory.createSocket(SocketType.SUB, "sub");
             Socket push = factory.createSocket(SocketType.PUSH, "push");
             Socket pub = factory.createSocket(SocketType.PUB, "pub");
             Message message = bytes("x")) {
            assertThrows(IllegalStateException.class, () -> pull.send(message, 0));
            assertThrows(IllegalStateException.class, () -> sub.send(message, 0));
            assertThrows(IllegalStateException.class, () -> push.receive(message, 0));
            assertThrows(IllegalStateException.class, () -> pub.receive(message, 0));
            assertThrows(IllegalStateException.class, () -> push.receive(new ArrayList<>(), 0));
            assertEquals("x", text(message));
        }
    }

    @Test
    void shouldRejectMessageOfAnotherFactory() {
        final TransportFactory other = secondFactory();
        try (Socket pull = bound(SocketType.PULL); Socket push = connected(SocketType.PUSH, pull);
             Message foreign = other.createMessage(8)) {
            assertThrows(IllegalArgumentException.class, () -> push.send(foreign, 0));
            assertThrows(IllegalArgumentException.class, () -> pull.receive(foreign, 0));
            assertEquals(8, foreign.size());
        }
    }

    @Test
    void shouldThrowTransportClosedOnClosedSocketAndFactory() {
        final Socket push = factory.createSocket(SocketType.PUSH, "push");
        push.close();
        push.close();
        try (Message message = bytes("x")) {
            assertThrows(TransportClosedException.class, () -> push.send(message, 0));
            assertThrows(TransportClosedException.class, () -> push.bind(address(uniqueName())));
        }
        factory.close();
        factory.close();
        assertThrows(TransportClosedException.class, () -> factory.createMessage(1));
        assertThrows(TransportClosedException.class, () -> factory.createSocket(SocketType.PULL, "pull"));
    }

    @Test
    void shouldCloseSocketsWhenFactoryCloses() {
        final Socket pull = bound(SocketType.PULL);
        factory.close();
        try (Message message = secondFactory().createMessage()) {
            assertThrows(TransportClosedException.class, () -> pull.receive(message, 0));
        }
    }

    @Test
    void shouldRejectBadAddressWithSocketExceptionNamingIt() {
        try (Socket pull = factory.createSocket(SocketType.PULL, "pull")) {
            final SocketException e = assertThrows(SocketException.class, () -> pull.bind("bogus://nowhere"));
            assertTrue(e.getMessage().contains("bogus://nowhere"), e.getMessage());
            final SocketException c = assertThrows(SocketException.class, () -> pull.connect("not an address"));
            assertTrue(c.getMessage().contains("not an address"), c.getMessage());
        }
    }

    @Test
    void shouldNameSocketAfterFactoryAndChannel() {
        try (Socket push = factory.createSocket(SocketType.PUSH, "data")) {
            assertEquals("data", push.name());
            assertSame(SocketType.PUSH, push.type());
            assertNotNull(push.id());
            assertTrue(push.id().contains("data"), push.id());
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------------------

    /** @return a socket of {@code type} bound to a fresh address (its address is kept for {@link #connected}) */
    protected final Socket bound(final SocketType type) {
        final Socket socket = factory.createSocket(type, type.configName() + "-bound");
        for (int attempt = 1; ; attempt++) {
            final String address = address(uniqueName());
            try {
                socket.bind(address);
                addresses.put(socket, address);
                return socket;
            } catch (SocketException e) {
                // JeroMQ's ipc runs over loopback tcp on a port derived from the name, which another socket of
                // the machine may hold: a fresh name is a fresh port. Any other bind failure is the test's.
                if (attempt == 5 || e.getMessage() == null || !e.getMessage().contains("Address already in use")) {
                    socket.close();
                    throw e;
                }
            }
        }
    }

    /** @return a socket of {@code type} connected to the address {@code peer} was bound to */
    protected final Socket connected(final SocketType type, final Socket peer) {
        final Socket socket = factory.createSocket(type, type.configName() + "-connected");
        socket.connect(addresses.get(peer));
        return socket;
    }


    /** @return a message holding the UTF-8 bytes of {@code text} */
    protected final Message bytes(final String text) {
        return factory.createMessage(MemorySegment.ofArray(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** @return a message of {@code size} bytes whose first four bytes hold {@code number} */
    protected final Message numbered(final int number, final int size) {
        final Message message = factory.createMessage(size);
        message.data().set(JAVA_INT_UNALIGNED, 0, number);
        return message;
    }

    /** @return the payload of {@code message} as UTF-8 text */
    protected static String text(final Message message) {
        return new String(message.data().toArray(JAVA_BYTE), StandardCharsets.UTF_8);
    }

    /** Sends {@code text} as one message, failing if it is not sent within the guard. */
    protected final void sendText(final Socket socket, final String text) {
        try (Message message = bytes(text)) {
            assertEquals(message.size(), socket.send(message, GUARD_MS), "send of '" + text + "'");
        }
    }

    /** @return the next message's text, failing if none arrives within the guard */
    protected final String receiveText(final Socket socket) {
        try (Message message = factory.createMessage()) {
            final long result = socket.receive(message, GUARD_MS);
            assertTrue(result >= 0, "receive failed: result=" + result);
            assertEquals(result, message.size());
            return text(message);
        }
    }

    private static final String PROBE = "probe";

    private void awaitSubscribed(final Socket pub, final Socket sub) {
        awaitSubscribed(pub, sub, PROBE);
    }

    /** Publishes {@code probe} until {@code sub} hears one: its subscription has reached the publisher. */
    private void awaitSubscribed(final Socket pub, final Socket sub, final String probe) {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GUARD_MS);
        try (Message into = factory.createMessage()) {
            while (System.nanoTime() < deadline) {
                sendText(pub, probe);
                if (sub.receive(into, 20) >= 0) {
                    return;
                }
            }
        }
        fail("subscriber never received a probe: sub=" + sub.id());
    }

    private String receiveSkippingProbes(final Socket sub) {
        String text;
        do {
            text = receiveText(sub);
        } while (text.endsWith(PROBE));
        return text;
    }

}
