package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.AllocationRetryPolicy;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.shmem.internal.mapping.SessionMappings;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The deferred frees of received large blocks ({@code OpenMessages.deferLarge}): given back in batches, when a
 * receive finds nothing, at the duty cycle's beat, at once while an allocation waits, and by reclamation when their
 * process dies. Whatever the state, a factory's free memory plus what the other holds back is the whole.
 */
class DeferredFreeTest {
    private static final long LARGE = 100_000;
    /** {@code OpenMessages.DEFERRED_BLOCKS}. */
    private static final int BATCH = 32;
    /** {@code OpenMessages.AHEAD_BLOCKS}. */
    private static final int AHEAD = 7;
    private static final long RECLAIM_BOUND_NANOS = 5_000_000_000L;

    @RegisterExtension
    final ShmSession shm = new ShmSession();

    @Test
    void shouldGiveReceivedLargeBlocksBackInBatches() {
        final Pair p = pair("batch", shm.factory("a"));
        for (int i = 1; i <= 2 * BATCH; i++) {
            p.sendLarge(i);
            assertEquals(LARGE, p.pull.receive(p.received, 5000));
            p.received.rebuild();
            final int pending = i % BATCH;
            assertEquals(pending, p.b.mappings().deferredFrees(), "after " + i + " frees");
            assertEquals(p.start, p.a.freeMemory() + p.b.cachedBytes(), "what b holds back is free memory of b's");
            assertTrue(p.a.freeMemory() <= p.start - pending * LARGE, "a sees b's deferred blocks as used");
        }
        assertEquals(p.start, p.a.freeMemory(), "every batch went back");
    }

    @Test
    void shouldGiveDeferredFreesBackWhenAReceiveFindsNothing() {
        final Pair p = pair("idle", shm.factory("a"));
        p.deferOne();
        assertEquals(Socket.TIMEOUT, p.pull.receive(p.received, 0));
        assertEquals(0, p.b.mappings().deferredFrees());
        assertEquals(p.start, p.a.freeMemory());
    }

    @Test
    void shouldGiveDeferredFreesBackAtTheBeatOfAThreadThatStopped() throws Exception {
        final Pair p = pair("beat", shm.factory("a"));
        p.deferOne();
        // Nothing of b runs any more but its duty cycle, which flushes what is older than one beat (100 ms).
        assertEquals(p.start, awaitFreeMemory(p.a, p.start));
        assertEquals(0, p.b.mappings().deferredFrees());
    }

    @Test
    void shouldFreeAtOnceWhileAnAllocationWaitsForRoom() throws Exception {
        final Pair p = pair("waiter", shm.track(new ShmemFactory(shm.config("a")
                .allocationRetry(AllocationRetryPolicy.retry(1000, Duration.ofMillis(10))).build())));
        final long size = 1L << 20; // within what a stripe may hold back (a sixteenth of the heap)
        assertEquals(size, p.push.send(p.a.createMessage(size), 5000));
        assertEquals(size, p.pull.receive(p.received, 5000));
        // More than is free, less than is free once the received block is back: the allocation waits.
        final long wanted = p.a.freeMemory() + size / 2;
        final CompletableFuture<Message> waiter = CompletableFuture.supplyAsync(() -> p.a.createMessage(wanted));
        final SessionMappings mappings = p.a.mappings();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!mappings.ownSegment().allocationWaiting() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertTrue(mappings.ownSegment().allocationWaiting(), "the allocation waits for room");
        p.received.rebuild();
        assertEquals(0, p.b.mappings().deferredFrees(), "not deferred while an allocation waits");
        try (Message got = waiter.get(10, TimeUnit.SECONDS)) {
            assertEquals(wanted, got.size());
        }
    }

    @Test
    void shouldFreeAtOnceWhenLessThanHalfTheSegmentIsFree() {
        final Pair p = pair("filling", shm.factory("a"));
        try (Message filler = p.a.createMessage(ShmSession.SEGMENT_SIZE * 5 / 8)) {
            p.sendLarge(1);
            assertEquals(LARGE, p.pull.receive(p.received, 5000));
            p.received.rebuild();
            assertEquals(0, p.b.mappings().deferredFrees(), "no deferral while less than half the heap is free");
            assertTrue(filler.size() > 0);
        }
    }

    @Test
    void shouldAllocateAheadForTheSecondLargeAllocationOfASize() {
        final ShmemFactory a = shm.factory("a");
        final long start = a.freeMemory();
        final long other = LARGE + 4096;
        try (Message first = a.createMessage(LARGE)) {
            assertEquals(0, a.mappings().blocksAhead(), "one allocation of a size allocates one block");
            final java.util.List<Message> stream = new java.util.ArrayList<>();
            stream.add(a.createMessage(LARGE));
            assertEquals(AHEAD, a.mappings().blocksAhead(), "the second of a size allocates ahead");
            for (int i = 1; i <= AHEAD; i++) {
                stream.add(a.createMessage(LARGE));
                assertEquals(AHEAD - i, a.mappings().blocksAhead(), "taken from those ahead");
            }
            assertEquals(start, a.freeMemory() + (first.size() + stream.size() * LARGE) + overhead(2 + AHEAD),
                    "blocks ahead are free memory of the factory's");
            stream.add(a.createMessage(LARGE)); // a new batch
            assertEquals(AHEAD, a.mappings().blocksAhead());
            stream.add(a.createMessage(other)); // another size: those ahead go back
            assertEquals(0, a.mappings().blocksAhead());
            stream.forEach(Message::close);
            assertTrue(a.freeMemory() < start, "the first message still holds its block");
        }
        assertEquals(start, a.freeMemory());
    }

    @Test
    void shouldKeepTheBlocksAheadWhenAReceiveFindsNothing() {
        final Pair p = pair("ahead-idle", shm.factory("a"));
        try (Socket pull = p.a.createSocket(SocketType.PULL, "own-pull");
             Message into = p.a.createMessage()) {
            pull.bind("ipc://deferred-own-pull-" + shm.name());
            p.a.createMessage(LARGE).close();
            p.a.createMessage(LARGE).close();
            assertEquals(AHEAD, p.a.mappings().blocksAhead());
            assertEquals(Socket.TIMEOUT, pull.receive(into, 0));
            assertEquals(AHEAD, p.a.mappings().blocksAhead(), "they are the process's next allocations");
        }
    }

    @Test
    void shouldGiveBlocksAheadBackAtTheBeatOfAThreadThatStopped() throws Exception {
        final ShmemFactory a = shm.factory("a");
        final ShmemFactory b = shm.factory("b");
        final long start = b.freeMemory();
        a.createMessage(LARGE).close();
        a.createMessage(LARGE).close();
        assertEquals(AHEAD, a.mappings().blocksAhead());
        assertTrue(b.freeMemory() < start, "another factory sees the blocks ahead as used");
        assertEquals(start, awaitFreeMemory(b, start));
        assertEquals(0, a.mappings().blocksAhead());
    }

    @Test
    void shouldReclaimTheBlocksAheadOfAKilledProcess() throws Exception {
        final ShmemFactory parent = shm.factory("parent");
        final long start = parent.freeMemory();
        try (ChildJvm child = new ChildJvm(shm.name(), ShmSession.SEGMENT_SIZE)) {
            child.call("alloc " + LARGE + " 1", "META", 30);
            child.call("alloc " + LARGE + " 2", "META", 30);
            assertTrue(Long.parseLong(child.call("cached", "CACHED", 30)) >= AHEAD * LARGE, "the child holds them");
            child.process().destroyForcibly();
            assertTrue(child.process().waitFor(10, TimeUnit.SECONDS));
            assertEquals(start, awaitFreeMemory(parent, start), "the survivor released the dead child's blocks");
        }
    }

    /** @return the header and rounding bytes of {@code blocks} large blocks of {@link #LARGE} bytes */
    private static long overhead(final int blocks) {
        return blocks * (io.shmq.transport.shmem.internal.segment.ManagedSegment.largeBlockBytes(LARGE, 0) - LARGE);
    }

    @Test
    void shouldNotDeferTheFreeOfAnOwnAllocation() {
        final ShmemFactory a = shm.factory("a");
        final long start = a.freeMemory();
        a.createMessage(LARGE).close();
        assertEquals(0, a.mappings().deferredFrees(), "a block freed where it was allocated goes back at once");
        assertEquals(start, a.freeMemory());
    }

    @Test
    void shouldReclaimTheDeferredFreesOfAKilledProcess() throws Exception {
        final ShmemFactory parent = shm.factory("parent");
        final long start = parent.freeMemory();
        try (ChildJvm child = new ChildJvm(shm.name(), ShmSession.SEGMENT_SIZE)) {
            final Message mine = parent.createMessage(LARGE);
            Payload.fill(mine.data(), 3);
            final MetaHeader meta = parent.detach(mine);
            child.call("free " + Payload.hex(meta), "FREED", 30);
            // The child adopted and closed it: its free is deferred (for up to two beats).
            assertTrue(Long.parseLong(child.call("cached", "CACHED", 30)) >= LARGE, "the child holds it back");
            child.process().destroyForcibly();
            assertTrue(child.process().waitFor(10, TimeUnit.SECONDS));
            assertEquals(start, awaitFreeMemory(parent, start), "the survivor released the dead child's deferred block");
        }
    }

    /** {@link ShmSession#awaitFreeMemory} within {@link #RECLAIM_BOUND_NANOS}. */
    private static long awaitFreeMemory(final ShmemFactory factory, final long expected) throws InterruptedException {
        return ShmSession.awaitFreeMemory(factory, expected, RECLAIM_BOUND_NANOS);
    }

    /** A push in {@code a} connected to a pull in {@code b}; the session's close closes them with the factories. */
    private record Pair(ShmemFactory a, ShmemFactory b, Socket push, Socket pull, Message received, long start) {
        void sendLarge(final long seed) {
            final Message message = a.createMessage(LARGE);
            Payload.fill(message.data(), seed);
            assertEquals(LARGE, push.send(message, 5000));
        }

        /** A large message from {@code a} that {@code b} receives and frees: one deferred free. */
        void deferOne() {
            sendLarge(1);
            assertEquals(LARGE, pull.receive(received, 5000));
            received.rebuild();
            assertEquals(1, b.mappings().deferredFrees());
        }
    }

    private Pair pair(final String name, final ShmemFactory a) {
        final ShmemFactory b = shm.factory("b");
        final Socket push = a.createSocket(SocketType.PUSH, "push");
        final Socket pull = b.createSocket(SocketType.PULL, "pull");
        push.bind("ipc://deferred-" + name + "-" + shm.name());
        pull.connect("ipc://deferred-" + name + "-" + shm.name());
        return new Pair(a, b, push, pull, b.createMessage(), a.freeMemory());
    }
}
