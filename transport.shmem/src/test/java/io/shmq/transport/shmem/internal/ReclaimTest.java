package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.RegionBlock;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.UnmanagedRegion;
import io.shmq.transport.shmem.internal.os.ShmFiles;
import io.shmq.transport.shmem.internal.session.SessionMonitor;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a process killed with {@code kill -9} held comes back: the blocks and region ranges recorded in its ledger
 * are released by a surviving factory of the session, and the segment's free memory returns to its start value.
 * Every holder is a real child JVM.
 */
class ReclaimTest {
    /**
     * How long a survivor may take: its duty cycle looks every 250 ms, waits the 1 s grace, and releasing takes a
     * moment.
     */
    private static final long RECLAIM_BOUND_NANOS = 3_000_000_000L;

    @RegisterExtension
    final ShmSession shm = new ShmSession();

    @Test
    void shouldReclaimTheMessagesAndRegionMessagesAKilledProcessReceivedAndHeld() throws Exception {
        final ShmemFactory parent = shm.factory("parent");
        final long start = parent.freeMemory();
        final AtomicInteger acks = new AtomicInteger();
        final String address = "ipc://reclaim-" + shm.name();
        try (UnmanagedRegion region = parent.createUnmanagedRegion(1 << 20, (RegionBlock block) ->
                acks.incrementAndGet(), RegionConfig.DEFAULT);
             Socket push = parent.createSocket(SocketType.PUSH, "push");
             ChildJvm child = new ChildJvm(shm.name(), ShmSession.SEGMENT_SIZE)) {
            push.bind(address);
            child.call("pullhold " + address + " 200", "CONNECTED", 30);
            for (int i = 0; i < 100; i++) {
                try (Message managed = parent.createMessage(1 + i * 977L)) {
                    Payload.fill(managed.data(), i);
                    assertTrue(push.send(managed, 10_000) >= 0);
                }
                try (Message ranged = parent.createMessage(region, i * 1024L, 1024, i)) {
                    assertTrue(push.send(ranged, 10_000) >= 0);
                }
            }
            assertEquals("200", child.expect("HELD", 30));
            assertTrue(parent.freeMemory() < start, "the child holds blocks");
            child.process().destroyForcibly();
            assertTrue(child.process().waitFor(10, TimeUnit.SECONDS));
            // The grace (shmem.reclaim-grace-ms, 1 s): a reader of what the dead process kept may finish first.
            Thread.sleep(100);
            assertTrue(parent.freeMemory() < start, "nothing is released during the grace");
            final SessionMonitor.SessionInfo during = SessionMonitor.inspect(ShmSession.DIRECTORY, shm.shmId());
            assertEquals(List.of(ProcessHandle.current().pid()), during.livePids());
            assertEquals(1, during.deadSlots(), "the killed child is listed dead until it is reclaimed");
            final long deadline = System.nanoTime() + RECLAIM_BOUND_NANOS;
            while ((parent.freeMemory() != start || acks.get() < 100) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(start, parent.freeMemory(), "free memory after the kill");
            assertEquals(100, acks.get(), "the dead receiver's region messages were acknowledged");
            final SessionMonitor.SessionInfo after = SessionMonitor.inspect(ShmSession.DIRECTORY, shm.shmId());
            assertEquals(SessionMonitor.State.LIVE, after.state());
            assertEquals(0, after.deadSlots(), "its slot is free again");
            try (var files = Files.list(ShmSession.DIRECTORY)) {
                assertEquals(1, files.filter(f -> f.getFileName().toString().startsWith(ShmFiles.PREFIX + shm.shmId()
                        + "_own_")).count(), "only the parent's ledger is left");
            }
        }
    }

    @Test
    void shouldDestroyTheRegionsOfAKilledCreatorAndUnmapThemEverywhere() throws Exception {
        final ShmemFactory survivor = shm.factory("survivor");
        try (ChildJvm child = new ChildJvm(shm.name(), ShmSession.SEGMENT_SIZE)) {
            assertEquals("2000", child.call("region " + (8 << 20) + " 2000", "REGION", 30));
            final java.lang.foreign.MemorySegment view = survivor.resolve(
                    io.shmq.transport.api.MetaHeader.region(8, 0, 2000, 0));
            assertEquals(8, view.byteSize());
            assertTrue(Files.exists(ShmFiles.region(ShmSession.DIRECTORY, shm.shmId(), 2000)));
            child.process().destroyForcibly();
            assertTrue(child.process().waitFor(10, TimeUnit.SECONDS));
        }
        final long deadline = System.nanoTime() + RECLAIM_BOUND_NANOS;
        while ((Files.exists(ShmFiles.region(ShmSession.DIRECTORY, shm.shmId(), 2000))
                || !survivor.regionInfo().stream().noneMatch(r -> !r.managed() && r.id() == 2000))
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertFalse(Files.exists(ShmFiles.region(ShmSession.DIRECTORY, shm.shmId(), 2000)), "its data file");
        assertFalse(Files.exists(ShmFiles.ring(ShmSession.DIRECTORY, shm.shmId(), 2000)), "its acknowledgement ring");
        assertTrue(survivor.regionInfo().stream().noneMatch(r -> !r.managed() && r.id() == 2000),
                survivor.regionInfo().toString());
    }

    @Test
    void shouldReturnFreeMemoryToItsStartAfterHoldersKilledAtRandom() throws Exception {
        killHolders(Integer.getInteger("shmq.test.holder-kills", 10));
    }

    @Test
    @Tag("stress")
    void shouldReturnFreeMemoryToItsStartAfterFiftyHoldersKilledAtRandom() throws Exception {
        killHolders(50);
    }

    @Test
    void shouldReclaimExactlyWhatKilledSendersAndReceiversOfUnitsHeld() throws Exception {
        killUnitPeers(Integer.getInteger("shmq.test.unit-kills", 8));
    }

    @Test
    @Tag("stress")
    void shouldReclaimExactlyWhatFortyKilledSendersAndReceiversOfUnitsHeld() throws Exception {
        killUnitPeers(40);
    }

    /**
     * Multipart units (1-4 parts, empty ones among them) go by hand-over between a child and this process, a child
     * sending to a bound pull one round and receiving frame by frame from a bound push the next, killed at a random
     * moment: the records it published are the pull's, the parts it was taking or had taken are its survivor's, the
     * records it had not taken the push's close releases. Free memory must come back to its start value each round.
     */
    private void killUnitPeers(final int rounds) throws Exception {
        final ShmemFactory survivor = shm.factory("survivor");
        long start = survivor.freeMemory();
        final List<String> failures = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            final boolean childSends = round % 2 == 0;
            final String address = "ipc://units-" + round + "-" + shm.name();
            final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            final AtomicInteger units = new AtomicInteger();
            try (Socket own = survivor.createSocket(childSends ? SocketType.PULL : SocketType.PUSH, "own")) {
                own.setLinger(java.time.Duration.ZERO); // its close releases at once what nobody took
                own.bind(address);
                final Thread peer = Thread.ofPlatform().start(() -> {
                    final java.util.Random random = new java.util.Random(7);
                    while (!stop.get()) {
                        if (childSends) {
                            final List<Message> got = new ArrayList<>();
                            if (own.receive(got, 20) >= 0) {
                                units.incrementAndGet();
                            }
                            got.forEach(Message::close);
                        } else {
                            final List<Message> parts;
                            try {
                                parts = Payload.unit(survivor, random);
                            } catch (io.shmq.transport.api.MessageBadAllocException e) {
                                // the ring of a dead receiver holds the segment's memory now
                                LockSupport.parkNanos(1_000_000L);
                                continue;
                            }
                            if (own.send(parts, 20) >= 0) {
                                units.incrementAndGet();
                            } else {
                                parts.forEach(Message::close);
                            }
                        }
                    }
                });
                try (ChildJvm child = new ChildJvm(shm.name(), ShmSession.SEGMENT_SIZE)) {
                    child.call((childSends ? "pushunits " : "pullunits ") + address, childSends ? "PUSHING"
                            : "PULLING", 30);
                    Thread.sleep(ThreadLocalRandom.current().nextInt(0, 300));
                    child.process().destroyForcibly();
                    assertTrue(child.process().waitFor(10, TimeUnit.SECONDS));
                }
                if (childSends) {
                    Thread.sleep(100); // the pull takes what the dead sender published
                }
                stop.set(true);
                peer.join();
                if (childSends) {
                    final List<Message> got = new ArrayList<>();
                    while (own.receive(got, 0) >= 0) {
                        got.forEach(Message::close);
                    }
                }
            } // a bound push's close releases the records nobody took
            final long killed = System.nanoTime();
            while (start != survivor.freeMemory() && System.nanoTime() - killed < RECLAIM_BOUND_NANOS) {
                Thread.sleep(5);
            }
            Thread.sleep(20);
            final long deficit = start - survivor.freeMemory();
            if (deficit != 0) {
                failures.add("round " + round + " (child " + (childSends ? "sends" : "receives") + ", " + units.get()
                        + " units): " + deficit + " bytes not reclaimed");
                System.out.println("ReclaimTest: live blocks after round " + round + ": "
                        + io.shmq.transport.shmem.internal.segment.HeapWalk.live(survivor.mappings().ownSegment()));
                start = survivor.freeMemory(); // measure the next rounds on their own
            }
        }
        System.out.println("ReclaimTest: " + rounds + " unit peers killed, rounds short: " + failures);
        assertTrue(failures.isEmpty(), failures.toString());
    }

    /**
     * Each round a child holds 200 messages and copies, then allocates, copies, checks and frees mixed sizes as fast
     * as it can, and is killed at a random moment; the survivor must see its free memory back at exactly the start
     * value. Allocating and freeing are exact (the ledger entry and the block cache order their stores so), copies
     * in the process share its one reference and write nothing to shared memory, and the blocks the child's stripes
     * cached come back too.
     */
    private void killHolders(final int rounds) throws Exception {
        final ShmemFactory survivor = shm.factory("survivor");
        long start = survivor.freeMemory();
        final List<String> failures = new ArrayList<>();
        long slowest = 0;
        for (int round = 0; round < rounds; round++) {
            try (ChildJvm child = new ChildJvm(shm.name(), ShmSession.SEGMENT_SIZE)) {
                child.call("holdforever " + round, "LOOPING", 30);
                Thread.sleep(ThreadLocalRandom.current().nextInt(0, 200));
                child.process().destroyForcibly();
                assertTrue(child.process().waitFor(10, TimeUnit.SECONDS));
            }
            final long killed = System.nanoTime();
            // Until everything is back (or the bound passes): the dead child's block caches come back with its
            // reclamation too, after the grace, so a small deficit is no sign that the reclamation already ran.
            while (start != survivor.freeMemory() && System.nanoTime() - killed < RECLAIM_BOUND_NANOS) {
                Thread.sleep(5);
            }
            Thread.sleep(20); // the last releases of the reclamation
            slowest = Math.max(slowest, System.nanoTime() - killed);
            final long deficit = start - survivor.freeMemory();
            if (deficit != 0) {
                failures.add("round " + round + ": " + deficit + " bytes not reclaimed");
            }
            start = survivor.freeMemory(); // measure the next rounds on their own
        }
        System.out.println("ReclaimTest: " + rounds + " kills, slowest reclamation " + slowest / 1_000_000
                + " ms, rounds short: " + failures);
        assertTrue(failures.isEmpty(), failures + " (slowest " + slowest / 1_000_000 + " ms)");
    }
}
