package io.shmq.transport.zeromq.common;

import io.shmq.transport.api.RegionBulkCallback;
import io.shmq.transport.api.RegionCallback;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.RegionEvent;
import io.shmq.transport.api.RegionEventListener;
import io.shmq.transport.api.RegionEventSubscription;
import io.shmq.transport.api.RegionInfo;
import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.api.UnmanagedRegion;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The unmanaged regions of one zeromq factory and the listeners of their events: the region half of either
 * provider's factory. Regions are local memory ({@link LocalRegion}); events report them as
 * {@link RegionEvent#LOCAL_ONLY} when they appear (and to a new listener, for every region that exists) and
 * {@link RegionEvent#DESTROYED} when they close, on the thread that created or closed the region.
 *
 * <p>The factory checks that it is open before it calls in; this class checks the arguments the API names.
 */
public final class LocalRegions {
    private final String factoryId;
    private final Set<LocalRegion> regions = ConcurrentHashMap.newKeySet();
    private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    private final AtomicInteger nextRegionId = new AtomicInteger(RegionConfig.FIRST_AUTO_ID);

    /** @param factoryId the id of the factory these regions belong to, for error messages */
    public LocalRegions(final String factoryId) {
        this.factoryId = factoryId;
    }

    String factoryId() {
        return factoryId;
    }

    /**
     * Makes a region; exactly one of the callbacks is set.
     *
     * @return the region, announced to the listeners as {@link RegionEvent#LOCAL_ONLY}
     * @throws IllegalArgumentException if {@code size} is not positive
     * @throws SharedMemoryException    if the configured id is taken, or there is no memory for the region
     */
    public UnmanagedRegion create(final long size, final RegionCallback callback,
                                  final RegionBulkCallback bulkCallback, final RegionConfig config) {
        if (size <= 0) {
            throw new IllegalArgumentException("region size must be positive: size=" + size);
        }
        final int regionId;
        if (config.id() == RegionConfig.AUTO_ID) {
            regionId = nextRegionId.getAndIncrement();
        } else {
            regionId = config.id();
            if (regions.stream().anyMatch(r -> r.id() == regionId)) {
                throw new SharedMemoryException("region id taken: regionId=" + regionId + ", factory=" + factoryId);
            }
        }
        final LocalRegion region;
        try {
            region = new LocalRegion(this, regionId, size, callback, bulkCallback, config);
        } catch (final OutOfMemoryError e) {
            throw new SharedMemoryException("no off-heap memory for a region: size=" + size + ", factory="
                    + factoryId, e);
        }
        regions.add(region);
        publish(info(region, RegionEvent.LOCAL_ONLY));
        return region;
    }

    /**
     * Checks a region a message is to be made from.
     *
     * @return {@code region} as one of these regions
     * @throws IllegalArgumentException  if it belongs to another factory, or the range lies outside it
     * @throws io.shmq.transport.api.TransportClosedException if it is closed
     */
    public LocalRegion own(final UnmanagedRegion region, final long offset, final long size) {
        if (!(region instanceof LocalRegion local) || local.owner() != this) {
            throw new IllegalArgumentException("region of another factory: regionId=" + region.id() + ", factory="
                    + factoryId);
        }
        local.checkOpen();
        if (offset < 0 || size < 0 || offset > region.size() - size) {
            throw new IllegalArgumentException("range outside the region: offset=" + offset + ", size=" + size
                    + ", regionId=" + region.id() + ", regionSize=" + region.size());
        }
        return local;
    }

    private static RegionInfo info(final LocalRegion region, final RegionEvent event) {
        return new RegionInfo(false, region.id(), region.size(), region.config().userFlags(), event);
    }

    private void publish(final RegionInfo info) {
        for (final Subscription subscription : subscriptions) {
            subscription.tell(info);
        }
    }

    /**
     * @return a subscription that has been told of every region that exists now, and hears of every later event
     */
    public RegionEventSubscription subscribe(final RegionEventListener listener) {
        Objects.requireNonNull(listener, "listener");
        final Subscription subscription = new Subscription(listener);
        for (final LocalRegion region : regions) {
            subscription.tell(info(region, RegionEvent.LOCAL_ONLY));
        }
        subscriptions.add(subscription);
        return subscription;
    }

    /** @return the regions that exist now, each as {@link RegionEvent#LOCAL_ONLY} */
    public List<RegionInfo> info() {
        return regions.stream().map(region -> info(region, RegionEvent.LOCAL_ONLY)).toList();
    }

    void forget(final LocalRegion region) {
        if (regions.remove(region)) {
            publish(info(region, RegionEvent.DESTROYED));
        }
    }

    /** Drops every listener: the factory is closing. */
    public void stopEvents() {
        subscriptions.clear();
    }

    /** Closes every region (the factory's close, after {@link #stopEvents()}). */
    public void closeAll() {
        for (final LocalRegion region : List.copyOf(regions)) {
            region.close();
        }
    }

    /** A listener's subscription: stops the events when closed. */
    private final class Subscription implements RegionEventSubscription {
        private final RegionEventListener listener;
        private volatile boolean active = true;

        Subscription(final RegionEventListener listener) {
            this.listener = listener;
        }

        void tell(final RegionInfo info) {
            if (active) {
                listener.onRegionEvent(info);
            }
        }

        @Override
        public void close() {
            active = false;
            subscriptions.remove(this);
        }
    }
}
