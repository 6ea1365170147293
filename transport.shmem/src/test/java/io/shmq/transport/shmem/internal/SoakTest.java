package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.TransportClosedException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The soak ({@code ./shmq soak}: 10 minutes; {@code ./shmq stress}: 60 s; {@code -Dshmq.soak.seconds=N}): two
 * producer and two consumer child JVMs stream random sizes through a broker in this JVM (a bound pull forwarding
 * to a bound push, by reference), and every few seconds one child, producer or consumer, is killed with
 * {@code kill -9} and replaced. The consumers check every payload and the order per producer; at the end no message
 * was corrupt or out of order, the segment's free memory is back at its start to the byte (every message is one
 * pushed block, handed over by its holder word), the session's files are gone, and this JVM's heap is flat.
 */
@Tag("soak")
class SoakTest {
    @RegisterExtension
    final ShmSession shm = new ShmSession();

    @Test
    void shouldStreamThroughRandomKillsWithoutCorruptionDuplicationOrLeaks() throws Exception {
        final long seconds = Long.getLong("shmq.soak.seconds", 60);
        final ShmemFactory broker = shm.factory("broker");
        final long start = broker.freeMemory();
        final String in = "ipc://soak-in-" + shm.name();
        final String out = "ipc://soak-out-" + shm.name();
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicLong forwarded = new AtomicLong();
        final SplittableRandom random = new SplittableRandom(System.nanoTime());
        final List<ChildJvm> producers = new ArrayList<>();
        final List<ChildJvm> consumers = new ArrayList<>();
        final List<String> reports = new ArrayList<>();
        int incarnation = 0;
        int kills = 0;
        long heapAtStart = 0;
        try (Socket pull = broker.createSocket(SocketType.PULL, "broker-in");
             Socket push = broker.createSocket(SocketType.PUSH, "broker-out")) {
            pull.bind(in);
            push.bind(out);
            final Thread forwarder = Thread.ofPlatform().name("soak-broker").start(() -> {
                try (Message message = broker.createMessage()) {
                    while (running.get()) {
                        if (pull.receive(message, 100) >= 0) {
                            while (running.get() && push.send(message, 100) < 0) {
                                Thread.onSpinWait(); // no consumer right now (one was killed): keep the message
                            }
                            forwarded.incrementAndGet();
                        }
                    }
                } catch (TransportClosedException ended) {
                    // the broker closed
                }
            });
            for (int i = 0; i < 2; i++) {
                producers.add(producer(i, incarnation++, in));
                consumers.add(consumer(out));
            }
            final long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            long heapMark = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.min(10, seconds / 4));
            while (System.nanoTime() < end) {
                Thread.sleep(random.nextInt(1_000, 4_000));
                if (heapAtStart == 0 && System.nanoTime() > heapMark) {
                    heapAtStart = usedHeapAfterGc();
                }
                final boolean killProducer = random.nextBoolean();
                final List<ChildJvm> victims = killProducer ? producers : consumers;
                final int index = random.nextInt(victims.size());
                final ChildJvm victim = victims.get(index);
                if (!killProducer) {
                    reports.add("killed consumer: " + victim.call("report", "REPORT", 10));
                }
                victim.process().destroyForcibly();
                assertTrue(victim.process().waitFor(10, TimeUnit.SECONDS));
                victim.close();
                kills++;
                victims.set(index, killProducer ? producer(index, incarnation++, in) : consumer(out));
            }
            for (final ChildJvm consumer : consumers) {
                reports.add("consumer: " + consumer.call("report", "REPORT", 10));
            }
            for (final ChildJvm child : producers) {
                child.close();
            }
            for (final ChildJvm child : consumers) {
                child.close();
            }
            running.set(false);
            forwarder.join(10_000);
        }
        long received = 0;
        for (final String report : reports) {
            final String[] f = report.substring(report.indexOf(':') + 2).split(" ");
            received += Long.parseLong(f[0]);
            assertEquals("0", f[1], "corrupt payloads: " + report);
            assertEquals("0", f[2], "duplicated or reordered messages: " + report);
        }
        // Every surviving and every killed process's payloads come back (the reclaim grace is 1 s).
        final long deadline = System.nanoTime() + 5_000_000_000L;
        while (broker.freeMemory() != start && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        final long deficit = start - broker.freeMemory();
        if (deficit != 0) {
            // Which blocks hold the missing memory, and what their holder words say (a diagnosis for the report).
            io.shmq.transport.shmem.internal.segment.HeapWalk.live(broker.mappings().ownSegment())
                    .forEach(line -> System.out.println("SoakTest: live " + line));
        }
        final long heapAtEnd = usedHeapAfterGc();
        System.out.println("SoakTest: " + seconds + " s, " + kills + " kills, " + forwarded.get() + " forwarded, "
                + received + " checked by consumers, deficit " + deficit + " B, heap " + heapAtStart / 1024
                + " KiB -> " + heapAtEnd / 1024 + " KiB; " + reports);
        assertTrue(forwarded.get() > 0 && received > 0, "messages flowed");
        assertEquals(0, deficit, "bytes not reclaimed after " + kills + " kills");
        assertTrue(heapAtStart == 0 || heapAtEnd - heapAtStart < 64L << 20,
                "the broker's heap grew: " + heapAtStart + " -> " + heapAtEnd);
    }

    private ChildJvm producer(final int id, final int incarnation, final String address) throws Exception {
        final ChildJvm child = new ChildJvm(shm.name(), ShmSession.SEGMENT_SIZE);
        child.call("produce " + address + " " + id + " " + incarnation, "PRODUCING", 30);
        return child;
    }

    private ChildJvm consumer(final String address) throws Exception {
        final ChildJvm child = new ChildJvm(shm.name(), ShmSession.SEGMENT_SIZE);
        child.call("consume " + address, "CONSUMING", 30);
        return child;
    }

    private static long usedHeapAfterGc() {
        final Runtime runtime = Runtime.getRuntime();
        System.gc();
        return runtime.totalMemory() - runtime.freeMemory();
    }
}
