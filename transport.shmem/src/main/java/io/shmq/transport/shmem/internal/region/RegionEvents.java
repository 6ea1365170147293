package io.shmq.transport.shmem.internal.region;

import io.shmq.transport.api.RegionEvent;
import io.shmq.transport.api.RegionEventListener;
import io.shmq.transport.api.RegionEventSubscription;
import io.shmq.transport.api.RegionInfo;
import io.shmq.transport.shmem.internal.session.Session;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The region-event subscriptions of one factory: each listener is told of every region created or destroyed in the
 * session, once, when the session's event counter moves ({@link #poll}, on the factory's duty cycle).
 */
public final class RegionEvents {
    private static final System.Logger LOG = System.getLogger(RegionEvents.class.getName());

    private final Session session;
    private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();

    /** @param session the session whose region table is watched */
    public RegionEvents(final Session session) {
        this.session = Objects.requireNonNull(session, "session");
    }

    /** @return a new subscription; its first {@link #poll} reports every active region as created */
    public RegionEventSubscription subscribe(final RegionEventListener listener) {
        final Subscription subscription = new Subscription(Objects.requireNonNull(listener, "listener"));
        subscriptions.add(subscription);
        return subscription;
    }

    /** Delivers the events of the session's region table to the listeners that have not seen them; returns them. */
    public int poll() {
        if (subscriptions.isEmpty()) {
            return 0;
        }
        final long events = session.eventCounter();
        List<Session.RegionEntry> active = null;
        int delivered = 0;
        for (final Subscription subscription : subscriptions) {
            if (subscription.seenEvents != events) {
                if (active == null) {
                    active = session.activeRegions();
                }
                delivered += subscription.poll(events, active);
            }
        }
        return delivered;
    }

    /** A listener and the regions it has been told about, keyed by id, valued by instance. */
    private final class Subscription implements RegionEventSubscription {
        private final RegionEventListener listener;
        private final Map<Integer, Session.RegionEntry> known = new HashMap<>();
        private volatile long seenEvents = -1;
        private boolean cancelled;

        Subscription(final RegionEventListener listener) {
            this.listener = listener;
        }

        synchronized int poll(final long events, final List<Session.RegionEntry> active) {
            if (cancelled || events == seenEvents) {
                return 0;
            }
            seenEvents = events;
            int delivered = 0;
            final Map<Integer, Session.RegionEntry> now = new HashMap<>();
            for (final Session.RegionEntry entry : active) {
                now.put(entry.id(), entry);
            }
            for (final var old : List.copyOf(known.values())) {
                final Session.RegionEntry current = now.get(old.id());
                if (current == null || current.instance() != old.instance()) {
                    known.remove(old.id());
                    deliver(old, RegionEvent.DESTROYED);
                    delivered++;
                }
            }
            for (final Session.RegionEntry entry : active) {
                if (!known.containsKey(entry.id())) {
                    known.put(entry.id(), entry);
                    deliver(entry, RegionEvent.CREATED);
                    delivered++;
                }
            }
            return delivered;
        }

        private void deliver(final Session.RegionEntry entry, final RegionEvent event) {
            try {
                listener.onRegionEvent(new RegionInfo(false, entry.id(), entry.size(), entry.userFlags(), event));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "region event listener threw", e);
            }
        }

        @Override
        public synchronized void close() {
            cancelled = true;
            subscriptions.remove(this);
        }
    }
}
