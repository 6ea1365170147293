package io.shmq.transport.shmem.internal;

import io.shmq.transport.shmem.internal.mapping.SessionMappings;
import io.shmq.transport.shmem.internal.os.Doorbell;
import io.shmq.transport.shmem.internal.os.IdleStrategy;
import io.shmq.transport.shmem.internal.os.Native;
import io.shmq.transport.shmem.internal.region.RegionEvents;
import io.shmq.transport.shmem.internal.region.Regions;
import io.shmq.transport.shmem.internal.session.Session;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A factory's background duty (Agrona's agent): the heartbeat in the session's device slot, the delivery of region
 * acknowledgements to their callbacks, and region events to their listeners, on one daemon thread. {@link #doWork}
 * returns the work done; an idle worker sleeps on the doorbells of its regions' acknowledgement rings and of the
 * session's events until one rings or a timer is due (without {@code futex_waitv} it backs off from
 * {@value #MIN_IDLE_NANOS} ns to {@value #MAX_IDLE_NANOS} ns parks instead).
 */
final class DutyCycle {
    private static final long BEAT_NANOS = 100_000_000L;
    /** How often the payloads of dead devices are looked for (reading /proc for each device slot in use). */
    static final long RECLAIM_NANOS = 250_000_000L;
    private static final long MIN_IDLE_NANOS = 50_000L;
    private static final long MAX_IDLE_NANOS = 3_200_000L;
    private static final long STOP_WAIT_MILLIS = TimeUnit.SECONDS.toMillis(5);
    private static final System.Logger LOG = System.getLogger(DutyCycle.class.getName());

    private final Session session;
    private final Regions regions;
    private final RegionEvents events;
    private final SessionMappings mappings;
    private final Thread thread;
    private long nextBeat;
    private long nextReclaim = System.nanoTime() + RECLAIM_NANOS;
    private long seenEvents;
    /** Scratch of {@link #sleep}: the doorbells slept on, their addresses and the values they held. */
    private final Doorbell[] bells = new Doorbell[Native.MAX_WAITV];
    private final long[] addresses = new long[Native.MAX_WAITV];
    private final int[] values = new int[Native.MAX_WAITV];
    private volatile boolean stopped;

    DutyCycle(final String name, final Session session, final Regions regions, final RegionEvents events,
              final SessionMappings mappings) {
        this.session = session;
        this.mappings = mappings;
        this.regions = regions;
        this.events = events;
        this.thread = Thread.ofPlatform().daemon().name(name).unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    /** @return the acknowledgements and events delivered */
    int doWork() {
        seenEvents = session.eventCounter();
        final int work = regions.drainAll();
        final long now = System.nanoTime();
        if (now - nextBeat >= 0) {
            session.beat();
            nextBeat = now + BEAT_NANOS;
            // A thread that stopped holds its deferred frees and blocks allocated ahead about two beats at most.
            mappings.flushHeld(BEAT_NANOS);
        }
        if (now - nextReclaim >= 0) {
            nextReclaim = now + RECLAIM_NANOS;
            mappings.reclaimDeadDevices();
        }
        return work + events.poll() + mappings.unmapDestroyedRegions();
    }

    private void run() {
        // Without futex_waitv (an old kernel, no native access) the worker backs off as before: parks of 50 us to
        // 3.2 ms while idle.
        final IdleStrategy idle = new IdleStrategy(0, 0, MIN_IDLE_NANOS, MAX_IDLE_NANOS);
        while (!stopped) {
            int work = 0;
            try {
                work = doWork();
            } catch (IllegalStateException e) {
                if (stopped) {
                    return;
                }
                LOG.log(System.Logger.Level.WARNING, "duty cycle", e);
            }
            if (work > 0) {
                idle.reset();
            } else if (!sleep()) {
                idle.idle(0);
            }
        }
    }

    /**
     * Sleeps until an acknowledgement is published to one of this factory's regions, an event of the session's
     * tables happens (the session's event doorbell), or the next heartbeat or reclaim is due, whichever comes first:
     * with every one of those doorbells armed, it checks once more that there is no work, then waits
     * on all of them at once ({@code futex_waitv}). So an acknowledgement reaches its callback at once and an idle
     * factory wakes about 14 times a second.
     *
     * @return false when it could not sleep so (no futex_waitv, or more doorbells than it takes): the caller parks
     */
    private boolean sleep() {
        final long nanos = Math.min(nextBeat, nextReclaim) - System.nanoTime();
        if (nanos <= 0) {
            return true;
        }
        try {
            final Doorbell sessionBell = session.eventBell();
            values[0] = sessionBell.enter();
            addresses[0] = sessionBell.address();
            bells[0] = sessionBell;
            final int count = regions.enterAckBells(bells, addresses, values, 1);
            if (count < 0) {
                return false;
            }
            if (stopped || regions.hasAcknowledgements() || session.eventCounter() != seenEvents) {
                return true;
            }
            return Native.futexWaitAny(addresses, values, count, nanos);
        } catch (IllegalStateException e) {
            return true; // a region closed under the arming: look again
        }
    }

    /** Ends the current idle wait early (a new subscription wants its first events now). */
    void wake() {
        session.ringEvents();
        LockSupport.unpark(thread);
    }

    /** Asks the thread to stop after its current cycle (the factory's close has begun). */
    void halt() {
        stopped = true;
    }

    /** Stops the thread and waits for it (at most 5 s). */
    void stop() {
        stopped = true;
        try {
            session.ringEvents();
        } catch (IllegalStateException e) {
            // the session is unmapped already: the worker is not asleep on it
        }
        LockSupport.unpark(thread);
        try {
            thread.join(STOP_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
