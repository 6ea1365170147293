package io.shmq.transport.zeromq.common;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.RegionBulkCallback;
import io.shmq.transport.api.RegionCallback;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.RegionEventListener;
import io.shmq.transport.api.RegionEventSubscription;
import io.shmq.transport.api.RegionInfo;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;
import io.shmq.transport.api.UnmanagedRegion;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What every zeromq factory keeps, whichever library is underneath: its configuration, the closed and interrupted
 * flags, its unmanaged regions ({@link LocalRegions}: local memory, a region message is a copy), and the sockets and
 * pollers it made, which it interrupts, resumes and closes.
 *
 * <p>Not the messages, nor how sockets and pollers are made and what closing the library's context takes: those are
 * each provider's. The methods a provider calls per message ({@link #checkOpen()}, {@link #isClosed()},
 * {@link #interrupted()}) are final and read one field of this class, as they did in the provider.
 *
 * @param <S> the provider's socket class
 * @param <P> the provider's poller class
 */
public abstract class ZeromqFactoryBase<S extends ZeromqSocketBase, P extends ZeromqPollerBase>
        implements TransportFactory {
    private final FactoryConfig config;
    private final LocalRegions regions;
    private final Set<S> sockets = ConcurrentHashMap.newKeySet();
    private final Set<P> pollers = ConcurrentHashMap.newKeySet();
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

    /**
     * Takes a new socket in: an interrupted factory interrupts it, and a factory closed meanwhile closes it again.
     *
     * @return {@code socket}
     * @throws TransportClosedException if the factory closed while the socket was made
     */
    protected final S register(final S socket) {
        sockets.add(socket);
        if (interrupted) {
            socket.interrupt();
        }
        if (closed.get()) {
            // Raced with close: do not leak the socket.
            socket.close();
            checkOpen();
        }
        return socket;
    }

    /**
     * The checks of a poller's sockets: an open factory, and sockets it made that are still open.
     *
     * @return the sockets, as this provider's
     */
    @SuppressWarnings("unchecked") // the set holds only S
    protected final List<S> ownSockets(final List<Socket> list) {
        Objects.requireNonNull(list, "sockets");
        checkOpen();
        final List<S> own = new ArrayList<>(list.size());
        for (final Socket socket : list) {
            if (socket == null || !sockets.contains(socket)) {
                throw new IllegalArgumentException("socket of another factory or closed: socket="
                        + (socket == null ? null : socket.id()) + ", factory=" + id());
            }
            own.add((S) socket);
        }
        return own;
    }

    /**
     * Takes a new poller in: an interrupted factory interrupts it.
     *
     * @return {@code poller}
     */
    protected final P register(final P poller) {
        pollers.add(poller);
        if (interrupted) {
            poller.interrupt();
        }
        return poller;
    }

    /** Lets a closed socket go; its close calls this. */
    public final void forget(final S socket) {
        sockets.remove(socket);
    }

    /** Lets a closed poller go; its close calls this. */
    public final void forget(final P poller) {
        pollers.remove(poller);
    }

    @Override
    public final void interrupt() {
        interrupted = true;
        for (final S socket : sockets) {
            socket.interrupt();
        }
        for (final P poller : pollers) {
            poller.interrupt();
        }
    }

    @Override
    public final void resume() {
        interrupted = false;
        for (final S socket : sockets) {
            socket.resume();
        }
        for (final P poller : pollers) {
            poller.resume();
        }
    }

    /**
     * The first half of a factory's close, after {@link #markClosed()}: region events stop, then pollers, sockets
     * (each waits until a call it woke has left the library) and regions close. The provider then ends its context.
     */
    protected final void closeMade() {
        regions.stopEvents();
        for (final P poller : List.copyOf(pollers)) {
            poller.close();
        }
        for (final S socket : List.copyOf(sockets)) {
            socket.close();
        }
        regions.closeAll();
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
