package io.shmq.transport.shmem.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Several threads and two processes allocate, copy and free messages of random sizes in one segment, checking
 * every payload; afterwards free memory is back at its start value.
 */
class ConcurrencyTest {
    @RegisterExtension
    final ShmSession shm = new ShmSession();

    private void run(final int threads, final int perWorker, final Duration bound) throws Exception {
        final ShmemFactory parent = shm.track(new ShmemFactory(shm.config("parent").segmentSize(512L << 20)
                .build()));
        final long start = parent.freeMemory();
        try (ChildJvm child = new ChildJvm(shm.name(), 512L << 20)) {
            assertTimeoutPreemptively(bound, () -> {
                child.send("stress " + perWorker + " 4242");
                final ExecutorService pool = Executors.newFixedThreadPool(threads);
                try {
                    final List<Future<Long>> results = new ArrayList<>();
                    for (int t = 0; t < threads; t++) {
                        final long seed = t;
                        results.add(pool.submit(() -> Payload.workload(parent, perWorker, seed)));
                    }
                    for (final Future<Long> result : results) {
                        assertEquals(0L, result.get(), "payload mismatches in a parent thread");
                    }
                } finally {
                    pool.shutdownNow();
                }
                assertEquals("0", child.expect("STRESS", (int) bound.toSeconds()), "payload mismatches in the child");
            });
            // What the child can allocate, and the parent's own cached blocks, which only the parent can: everything.
            assertEquals(start, Long.parseLong(child.call("free-memory", "FREE", 30)) + parent.cachedBytes());
        }
        assertEquals(start, parent.freeMemory());
    }

    @Test
    void shouldAllocateCopyAndFreeAMillionMessagesFromThreadsAndTwoProcesses() throws Exception {
        run(3, 250_000, Duration.ofMinutes(3));
    }

    @Test
    @Tag("stress")
    void shouldSurviveTenMillionMessagesFromThreadsAndTwoProcesses() throws Exception {
        run(4, 2_000_000, Duration.ofMinutes(30));
    }
}
