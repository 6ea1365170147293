package io.shmq.transport.shmem.internal.os;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeadlineTest {
    @Test
    void withoutATimeoutTheTimeIsNeverUp() throws InterruptedException {
        final Deadline deadline = new Deadline().reset(-1);
        assertEquals(Long.MAX_VALUE, deadline.remaining());
        Thread.sleep(2);
        assertEquals(Long.MAX_VALUE, deadline.remaining());
        assertFalse(deadline.expired());
    }

    @Test
    void aTimeoutOfZeroIsUpAtOnce() {
        final Deadline deadline = new Deadline().reset(0);
        assertEquals(0, deadline.remaining());
        assertTrue(deadline.expired());
    }

    @Test
    void theClockStartsAtTheFirstWaitNotAtTheReset() throws InterruptedException {
        final Deadline deadline = new Deadline().reset(20);
        Thread.sleep(40); // the call's first look: not counted
        assertEquals(TimeUnit.MILLISECONDS.toNanos(20), deadline.remaining(), "the first wait gets the whole timeout");
        final long later = deadline.remaining();
        assertTrue(later > 0 && later <= TimeUnit.MILLISECONDS.toNanos(20), "then it counts down: " + later);
        Thread.sleep(40);
        assertEquals(0, deadline.remaining());
        assertTrue(deadline.expired());
    }

    @Test
    void aHugeTimeoutSaturatesInsteadOfOverflowing() {
        final Deadline deadline = new Deadline().reset(Long.MAX_VALUE);
        assertEquals(Long.MAX_VALUE, deadline.remaining(), "the first wait");
        assertTrue(deadline.remaining() > Long.MAX_VALUE / 2, "later waits: still centuries left");
        assertFalse(deadline.expired());
    }

    @Test
    void aResetStartsTheNextCallOver() throws InterruptedException {
        final Deadline deadline = new Deadline().reset(1);
        deadline.remaining();
        Thread.sleep(5);
        assertTrue(deadline.expired());
        deadline.reset(1);
        assertEquals(TimeUnit.MILLISECONDS.toNanos(1), deadline.remaining());
        deadline.reset(-1);
        assertEquals(Long.MAX_VALUE, deadline.remaining());
    }
}
