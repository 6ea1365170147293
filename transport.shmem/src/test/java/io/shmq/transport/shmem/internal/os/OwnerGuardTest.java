package io.shmq.transport.shmem.internal.os;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The owner enters with plain stores; after a revocation it cannot enter, one that is inside is seen inside until it
 * leaves, and what it wrote inside is seen by the revoker.
 */
class OwnerGuardTest {
    /** Written by the owner inside the guard only: two fields that a torn view would show unequal. */
    private long first;
    private long second;

    @Test
    void shouldFailEveryEnterAfterARevocationUntilRenewed() {
        final OwnerGuard guard = new OwnerGuard();
        assertTrue(guard.enter());
        assertTrue(guard.inside());
        guard.exit();
        assertFalse(guard.inside());
        guard.revoke();
        guard.revoke(); // twice: nothing more
        assertFalse(guard.enter());
        assertFalse(guard.inside(), "a failed enter leaves the flag down");
        guard.renew();
        assertTrue(guard.enter());
        guard.exit();
    }

    @Test
    void shouldSeeAnOwnerInsideUntilItLeaves() throws Exception {
        final OwnerGuard guard = new OwnerGuard();
        final CountDownLatch in = new CountDownLatch(1);
        final CountDownLatch leave = new CountDownLatch(1);
        final Thread owner = Thread.ofPlatform().start(() -> {
            if (guard.enter()) {
                in.countDown();
                try {
                    leave.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                guard.exit();
            }
        });
        assertTrue(in.await(10, TimeUnit.SECONDS));
        guard.revoke();
        assertTrue(guard.inside(), "revoked while the owner is inside: it stays inside until it leaves");
        leave.countDown();
        owner.join(10_000);
        assertFalse(guard.inside());
        assertFalse(guard.enter());
    }

    /**
     * An owner thread enters and leaves as fast as it can, writing two fields inside; another thread revokes at a
     * random moment, waits until the owner is out, and then the fields are equal and never change again: each of 200
     * rounds.
     */
    @Test
    void shouldKeepARunningOwnerOutAfterARevocation() throws Exception {
        final java.util.Random random = new java.util.Random(7);
        for (int round = 0; round < 200; round++) {
            final OwnerGuard guard = new OwnerGuard();
            first = 0;
            second = 0;
            final CountDownLatch started = new CountDownLatch(1);
            final long[] entered = new long[1];
            final Thread owner = Thread.ofPlatform().start(() -> {
                started.countDown();
                long n = 0;
                while (guard.enter()) {
                    n++;
                    first = n;
                    second = n;
                    guard.exit();
                }
                entered[0] = n;
            });
            assertTrue(started.await(10, TimeUnit.SECONDS));
            final long until = System.nanoTime() + random.nextInt(2_000_000);
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            guard.revoke();
            while (guard.inside()) {
                Thread.onSpinWait();
            }
            final long seen = first;
            assertEquals(seen, second, "round " + round + ": the revoker sees what the owner wrote inside");
            owner.join(10_000);
            assertFalse(owner.isAlive());
            assertEquals(seen, first, "round " + round + ": the owner never entered after the revocation");
            assertEquals(seen, entered[0]);
        }
    }
}
