package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Factories joining and leaving one session at the same time: the creation race (CREATE_NEW decides) and the race
 * between the last factory removing the files and a new one joining (the removed mark makes it start over).
 */
class SessionChurnTest {
    @RegisterExtension
    final ShmSession shm = new ShmSession();

    @Test
    void shouldSurviveConcurrentJoinsAndLeavesOfOneSession() {
        churn(4, 40, Duration.ofMinutes(2));
    }

    @Test
    @Tag("stress")
    void shouldSurviveThousandsOfConcurrentJoinsAndLeavesOfOneSession() {
        churn(4, 1000, Duration.ofMinutes(10));
    }

    private void churn(final int threads, final int rounds, final Duration bound) {
        assertTimeoutPreemptively(bound, () -> {
            final CyclicBarrier barrier = new CyclicBarrier(threads);
            final ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                final List<Future<Integer>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    final int thread = t;
                    results.add(pool.submit(() -> {
                        int good = 0;
                        for (int round = 0; round < rounds; round++) {
                            barrier.await(30, TimeUnit.SECONDS);
                            try (ShmemFactory factory = new ShmemFactory(shm.config("t" + thread).build());
                                 Message message = factory.createMessage(1000)) {
                                Payload.fill(message.data(), round);
                                if (Payload.check(message.data(), round) == -1) {
                                    good++;
                                }
                            }
                        }
                        return good;
                    }));
                }
                for (final Future<Integer> result : results) {
                    assertEquals(rounds, result.get());
                }
            } finally {
                pool.shutdownNow();
            }
        });
    }
}
