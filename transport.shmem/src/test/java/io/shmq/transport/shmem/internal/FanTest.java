package io.shmq.transport.shmem.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Producers to three consumers over one shared-memory push/pull endpoint, in child JVMs: two producers to a bound
 * pull (the first consumer binds, its ring takes many producers), and one bound push (its ring's single producer)
 * to three connected pulls; 500,000 numbered messages of 24 B to 4 KiB with seeded payloads per producer. Every
 * message arrives once (per producer, the consumers' counts add up to what it sent and their sequence numbers to
 * 0 + 1 + ... + n - 1), in order per producer within each consumer, intact; afterwards the segment's free memory is
 * back at its start.
 */
class FanTest {
    private static final long PER_PRODUCER = Long.getLong("shmq.test.fan-messages", 500_000);

    @RegisterExtension
    final ShmSession shm = new ShmSession();

    @Test
    void shouldDeliverEveryMessageOfTwoProducersOnceToThreeConsumersInOrderPerProducer() throws Exception {
        fan(2, false);
    }

    @Test
    void shouldDeliverEveryMessageOfABoundPushOnceToThreeConsumersInOrder() throws Exception {
        fan(1, true);
    }

    /** @param pushBinds the (one) producer binds a push, else the first consumer binds its pull */
    private void fan(final int producerCount, final boolean pushBinds) throws Exception {
        final ShmemFactory parent = shm.factory("parent");
        final long start = parent.freeMemory();
        final String address = "ipc://fan-" + shm.name();
        final List<ChildJvm> consumers = new ArrayList<>();
        final List<ChildJvm> producers = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                final ChildJvm consumer = new ChildJvm(shm.name(), ShmSession.SEGMENT_SIZE);
                consumers.add(consumer);
                consumer.call("consume " + address + (i == 0 && !pushBinds ? " bind" : ""), "CONSUMING", 30);
            }
            for (int p = 0; p < producerCount; p++) {
                final ChildJvm producer = new ChildJvm(shm.name(), ShmSession.SEGMENT_SIZE);
                producers.add(producer);
                producer.call("producecount " + address + " " + p + " " + PER_PRODUCER + " "
                        + (pushBinds ? "bind" : "connect"), "PRODUCING", 30);
            }
            for (int p = 0; p < producerCount; p++) {
                assertEquals(Integer.toString(p), producers.get(p).expect("DONE", 600));
            }
            final long deadline = System.nanoTime() + 60_000_000_000L;
            Map<Long, long[]> sums;
            List<String> reports;
            do {
                Thread.sleep(50);
                sums = new HashMap<>();
                reports = new ArrayList<>();
                for (final ChildJvm consumer : consumers) {
                    final String report = consumer.call("totals", "TOTALS", 30);
                    reports.add(report);
                    final String[] f = report.split(" ");
                    assertEquals("0", f[0], "corrupt payloads: " + report);
                    assertEquals("0", f[1], "duplicated or reordered within a producer: " + report);
                    for (int i = 2; i < f.length; i++) {
                        final String[] t = f[i].split(":");
                        final long[] sum = sums.computeIfAbsent(Long.parseLong(t[0]), k -> new long[2]);
                        sum[0] += Long.parseLong(t[1]);
                        sum[1] += Long.parseLong(t[2]);
                    }
                }
            } while (total(sums) < producerCount * PER_PRODUCER && System.nanoTime() < deadline);
            System.out.println("FanTest: " + producerCount + " producers -> 3 consumers, " + producerCount
                    * PER_PRODUCER + " messages (" + (pushBinds ? "push" : "pull") + " binds): " + reports);
            for (long p = 0; p < producerCount; p++) {
                final long[] sum = sums.getOrDefault(p, new long[2]);
                assertEquals(PER_PRODUCER, sum[0], "messages of producer " + p + " received: " + reports);
                assertEquals(PER_PRODUCER * (PER_PRODUCER - 1) / 2, sum[1], "each once: " + reports);
            }
            long busy = 0;
            for (final ChildJvm consumer : consumers) {
                final String[] f = consumer.call("totals", "TOTALS", 30).split(" ");
                busy += f.length > 2 ? 1 : 0;
            }
            assertTrue(busy >= 2, "the messages were shared among the consumers");
        } finally {
            producers.forEach(ChildJvm::close);
            consumers.forEach(ChildJvm::close);
        }
        assertEquals(start, ShmSession.awaitFreeMemory(parent, start, 5_000_000_000L),
                "the segment's free memory after all closed");
    }

    private static long total(final Map<Long, long[]> sums) {
        long total = 0;
        for (final long[] sum : sums.values()) {
            total += sum[0];
        }
        return total;
    }
}
