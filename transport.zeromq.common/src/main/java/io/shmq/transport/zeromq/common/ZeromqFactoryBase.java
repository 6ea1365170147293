package io.shmq.transport.zeromq.common;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.RegionBulkCallback;
import io.shmq.transport.api.RegionCallback;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.RegionEventListener;
import io.shmq.transport.api.RegionEventSubscription;
import io.shmq.transport.api.RegionInfo;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;
import io.shmq.transport.api.UnmanagedRegion;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What every zeromq factory keeps, whichever library is underneath: its configuration, the closed and interrupted
 * flags, and its unmanaged regions ({@link LocalRegions}: local memory, a region message is a copy).
 *
 * <p>Not the messages, sockets and pollers, nor what interrupt, resume and close do to them: those are each
 * provider's. The methods a provider calls per message ({@link #checkOpen()}, {@link #isClosed()},
 * {@link #interrupted()}) are final and read one field of this class, as they did in the provider.
 */
public abstract class ZeromqFactoryBase implements TransportFactory {
    private final FactoryConfig config;
    private final LocalRegions regions;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean interrupted;

    /** @param config the factory's configuration, with the provider's defaults merged in */
    protected ZeromqFactoryBase(final FactoryConfig config) {
        this.config = config;
        this.regions = new LocalRegions(config.id());
    }

    @Override
    public final String id() {
        return config.id();
    }

    @Override
    public final TransportKind kind() {
        return TransportKind.ZEROMQ;
    }

    @Override
    public final FactoryConfig config() {
        return config;
    }

    /** @return this factory's unmanaged regions */
    protected final LocalRegions regions() {
        return regions;
    }

    /**
     * The checks of a message made from a region, in the API's order: a region, an open factory, a region of this
     * factory that is open, a range inside it.
     *
     * @return {@code region} as one of this factory's
     */
    protected final LocalRegion ownRegion(final UnmanagedRegion region, final long offset, final long size) {
        Objects.requireNonNull(region, "region");
        checkOpen();
        return regions.own(region, offset, size);
    }

    @Override
    public final UnmanagedRegion createUnmanagedRegion(final long size, final RegionCallback callback,
                                                       final RegionConfig regionConfig) {
        Objects.requireNonNull(callback, "callback");
        return createRegion(size, callback, null, regionConfig);
    }

    @Override
    public final UnmanagedRegion createUnmanagedRegionBulk(final long size, final RegionBulkCallback callback,
                                                           final RegionConfig regionConfig) {
        Objects.requireNonNull(callback, "callback");
        return createRegion(size, null, callback, regionConfig);
    }

    private UnmanagedRegion createRegion(final long size, final RegionCallback callback,
                                         final RegionBulkCallback bulkCallback, final RegionConfig regionConfig) {
        Objects.requireNonNull(regionConfig, "config");
        checkOpen();
        return regions.create(size, callback, bulkCallback, regionConfig);
    }

    @Override
    public final RegionEventSubscription subscribeToRegionEvents(final RegionEventListener listener) {
        Objects.requireNonNull(listener, "listener");
        checkOpen();
        return regions.subscribe(listener);
    }

    @Override
    public final List<RegionInfo> regionInfo() {
        checkOpen();
        return regions.info();
    }

    @Override
    public final boolean interrupted() {
        return interrupted;
    }

    /** Sets the interrupted flag (volatile store); the provider then wakes or resumes its sockets and pollers. */
    protected final void setInterrupted(final boolean value) {
        interrupted = value;
    }

    @Override
    public final void reset() {
        // FairMQ's zeromq Reset() has no transient state to drop; sockets and regions stay as they are.
        checkOpen();
    }

    /** @return whether the factory is closed */
    public final boolean isClosed() {
        return closed.get();
    }

    /** @throws TransportClosedException if the factory is closed */
    public final void checkOpen() {
        if (closed.get()) {
            throw new TransportClosedException("factory is closed: factory=" + id());
        }
    }

    /**
     * Marks the factory closed (CAS): of two closes only one gets true.
     *
     * @return whether this call closed it, and so must close what it made
     */
    protected final boolean markClosed() {
        return closed.compareAndSet(false, true);
    }
}
