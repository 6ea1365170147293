package io.shmq.transport.shmem.internal;

import io.shmq.transport.shmem.internal.mapping.SessionMappings;
import io.shmq.transport.shmem.internal.os.IdleStrategy;
import io.shmq.transport.shmem.internal.region.RegionEvents;
import io.shmq.transport.shmem.internal.region.Regions;
import io.shmq.transport.shmem.internal.session.Session;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A factory's background duty (Agrona's agent): the heartbeat in the session's device slot, the delivery of region
 * acknowledgements to their callbacks, and region events to their listeners, on one daemon thread. {@link #doWork}
 * returns the work done; an idle cycle backs off from {@value #MIN_IDLE_NANOS} ns to {@value #MAX_IDLE_NANOS} ns, so
 * an idle factory costs few wake-ups.
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
        final int work = regions.drainAll();
        final long now = System.nanoTime();
        if (now - nextBeat >= 0) {
            session.beat();
            nextBeat = now + BEAT_NANOS;
        }
        if (now - nextReclaim >= 0) {
            nextReclaim = now + RECLAIM_NANOS;
            mappings.reclaimDeadDevices();
        }
        return work + events.poll() + mappings.unmapDestroyedRegions();
    }

    private void run() {
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
            idle.idle(work);
        }
    }

    /** Ends the next idle wait early (a new subscription wants its first events now). */
    void wake() {
        LockSupport.unpark(thread);
    }

    /** Asks the thread to stop after its current cycle (the factory's close has begun). */
    void halt() {
        stopped = true;
    }

    /** Stops the thread and waits for it (at most 5 s). */
    void stop() {
        stopped = true;
        LockSupport.unpark(thread);
        try {
            thread.join(STOP_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
