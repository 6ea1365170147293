package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.Poller;
import io.shmq.transport.api.RegionBulkCallback;
import io.shmq.transport.api.RegionCallback;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.RegionEvent;
import io.shmq.transport.api.RegionEventListener;
import io.shmq.transport.api.RegionEventSubscription;
import io.shmq.transport.api.RegionInfo;
import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;
import io.shmq.transport.api.UnmanagedRegion;
import io.shmq.transport.shmem.internal.mapping.SessionMappings;
import io.shmq.transport.shmem.internal.mapping.ShmemMessage;
import io.shmq.transport.shmem.internal.os.Native;
import io.shmq.transport.shmem.internal.region.LocalRegion;
import io.shmq.transport.shmem.internal.region.RegionEvents;
import io.shmq.transport.shmem.internal.region.Regions;
import io.shmq.transport.shmem.internal.segment.ManagedSegment;
import io.shmq.transport.shmem.internal.session.Session;
import io.shmq.transport.shmem.internal.session.SessionMonitor;
import io.shmq.transport.shmem.internal.socket.Sockets;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One device's factory in a shared-memory session: the door to the parts it assembles, each given what it needs.
 * Thread-safe. It holds the session membership ({@link Session}), the mappings of what it touched
 * ({@link SessionMappings}: caches, resolve, allocation, open messages), the regions it created ({@link Regions}),
 * their events ({@link RegionEvents}), its sockets ({@link Sockets}) and its duty cycle ({@link DutyCycle}: heartbeat,
 * acknowledgements, events).
 *
 * <p>Options: {@link ShmemOptions}. Sockets pass only headers through rings in shared memory; see the module README.
 */
public final class ShmemFactory implements TransportFactory {
    /** Directory of the session's files. */
    public static final String OPTION_DIRECTORY = ShmemOptions.DIRECTORY;
    /** Whether the last factory of a session removes its files. */
    public static final String OPTION_CLEANUP = ShmemOptions.CLEANUP_ON_CLOSE;
    /** Whether a new factory removes the stale sessions (no live device, a dead one) of its directory. */
    public static final String OPTION_SWEEP = ShmemOptions.SWEEP_STALE_SESSIONS;

    private final FactoryConfig config;
    private final ShmemOptions options;
    private final Session session;
    private final Regions regions;
    private final RegionEvents events;
    private final SessionMappings mappings;
    private final Sockets sockets;
    private final DutyCycle duty;

    /**
     * Joins the session of {@code config}; creates it when this is its first factory.
     *
     * @param config the factory configuration
     */
    public ShmemFactory(final FactoryConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.options = ShmemOptions.of(config);
        Native.warnIfUnavailable();
        final Path directory = options.directory();
        if (!Files.isDirectory(directory)) {
            throw new SharedMemoryException("shared-memory directory does not exist: " + OPTION_DIRECTORY + "="
                    + directory);
        }
        this.session = Session.join(config.session(), directory, config.segmentSize());
        this.regions = new Regions(session, options.regionOpenExisting());
        try {
            this.mappings = new SessionMappings(config.id(), session, regions, config.allocationRetry(),
                    options.allocSleep(), options.reclaimGraceMs());
        } catch (RuntimeException e) {
            session.leave(options.cleanupOnClose());
            throw e;
        }
        regions.onDestroyed(mappings::evict);
        this.events = new RegionEvents(session);
        this.sockets = new Sockets(config.id(), mappings, options.spinRounds(), options.yieldRounds(),
                options.maxPeers());
        if (options.sweepStaleSessions()) {
            // After joining: our own session has a live slot now, and the sweep never throws.
            SessionMonitor.sweep(directory, session.shmId());
        }
        mappings.reclaimDeadDevices();
        this.duty = new DutyCycle("shmq-" + config.id() + "-" + session.shmId(), session, regions, events,
                mappings);
        duty.start();
    }

    /** @return the session's shmId (8 hex digits) */
    public String shmId() {
        return session.shmId();
    }

    /** @return the session directory */
    public Path directory() {
        return session.directory();
    }

    /**
     * @return bytes of managed segment 0 this factory can allocate: not held by live messages, nor kept in the block
     * caches of other live factories (at most 16 KiB per size class and thread stripe each)
     */
    public long freeMemory() {
        mappings.checkOpen();
        return mappings.freeMemory();
    }

    /**
     * @return bytes of free blocks this factory's threads keep in their block caches: part of {@link #freeMemory()},
     * which another factory of the session does not count as free until they go back to the segment (half a cache at
     * a time, all at close, or by reclamation when the process dies)
     */
    public long cachedBytes() {
        mappings.checkOpen();
        return mappings.cachedBytes();
    }

    /** @return what this factory has mapped: the resolver and the receive path go through it */
    public SessionMappings mappings() {
        return mappings;
    }

    ManagedSegment ownSegment() {
        return mappings.ownSegment();
    }

    Session session() {
        return session;
    }

    /** @return whether {@link #close()} was called */
    boolean isClosed() {
        return mappings.isClosed();
    }

    @Override
    public String id() {
        return config.id();
    }

    @Override
    public TransportKind kind() {
        return TransportKind.SHMEM;
    }

    @Override
    public FactoryConfig config() {
        return config;
    }

    // ---------------------------------------------------------------------------------------------------------
    // messages and resolution

    @Override
    public Message createMessage() {
        return mappings.emptyMessage();
    }

    @Override
    public Message createMessage(final long size) {
        return createMessage(size, 0);
    }

    @Override
    public Message createMessage(final long size, final long alignment) {
        return mappings.allocate(size, alignment);
    }

    @Override
    public Message createMessage(final MemorySegment source) {
        Objects.requireNonNull(source, "source");
        final Message message = createMessage(source.byteSize());
        if (source.byteSize() > 0) {
            MemorySegment.copy(source, 0, message.data(), 0, source.byteSize());
        }
        return message;
    }

    @Override
    public Message createMessage(final UnmanagedRegion region, final long offset, final long size, final long hint) {
        mappings.checkOpen();
        if (!(region instanceof LocalRegion local) || !regions.owns(local)) {
            throw new IllegalArgumentException("region is not a region of this factory: region=" + region);
        }
        if (local.isClosed()) {
            throw new TransportClosedException("regionId=" + local.id() + " is closed");
        }
        if (offset < 0 || size < 0 || offset > local.size() || size > local.size() - offset) {
            throw new IllegalArgumentException("range outside regionId=" + local.id() + ": offset=" + offset
                    + ", size=" + size + ", regionSize=" + local.size());
        }
        final ShmemMessage message = mappings.emptyMessage();
        message.setRegion(local.view(), offset, size, hint, MetaHeader.NOT_SHARED);
        local.messageCreated();
        return message;
    }

    /**
     * The receive path: turns a header whose reference was handed over (sent, or detached) into a message owned by
     * the caller. Checks the header like {@link #resolve}.
     *
     * @param meta a header that carries one reference
     * @return the owned message
     */
    public Message adopt(final MetaHeader meta) {
        return mappings.adopt(meta);
    }

    /**
     * Gives up the ownership of a message of this factory without releasing it (the send side of {@link #adopt}).
     *
     * @param message a message of this factory
     * @return its header, which now carries the reference
     */
    public MetaHeader detach(final Message message) {
        if (!(message instanceof ShmemMessage shm)) {
            throw new IllegalArgumentException("not a shared-memory message: " + message);
        }
        return shm.detach();
    }

    /** Resolves a header to its payload; see {@link io.shmq.transport.api.DataAddressResolver}. */
    public MemorySegment resolve(final MetaHeader meta) {
        return mappings.resolve(meta);
    }

    // ---------------------------------------------------------------------------------------------------------
    // regions

    @Override
    public UnmanagedRegion createUnmanagedRegion(final long size, final RegionCallback callback,
                                                 final RegionConfig regionConfig) {
        Objects.requireNonNull(callback, "callback");
        mappings.checkOpen();
        return regions.create(size, callback, null, regionConfig);
    }

    @Override
    public UnmanagedRegion createUnmanagedRegionBulk(final long size, final RegionBulkCallback callback,
                                                     final RegionConfig regionConfig) {
        Objects.requireNonNull(callback, "callback");
        mappings.checkOpen();
        return regions.create(size, null, callback, regionConfig);
    }

    @Override
    public RegionEventSubscription subscribeToRegionEvents(final RegionEventListener listener) {
        Objects.requireNonNull(listener, "listener");
        mappings.checkOpen();
        final RegionEventSubscription subscription = events.subscribe(listener);
        duty.wake();
        return subscription;
    }

    @Override
    public List<RegionInfo> regionInfo() {
        mappings.checkOpen();
        final ManagedSegment own = mappings.ownSegment();
        final List<RegionInfo> result = new ArrayList<>();
        result.add(new RegionInfo(true, own.id(), own.size(), 0, RegionEvent.CREATED));
        for (final Session.RegionEntry entry : session.activeRegions()) {
            result.add(new RegionInfo(false, entry.id(), entry.size(), entry.userFlags(), RegionEvent.CREATED));
        }
        return List.copyOf(result);
    }

    // ---------------------------------------------------------------------------------------------------------
    // sockets and control

    @Override
    public Socket createSocket(final SocketType type, final String name) {
        return sockets.create(type, name);
    }

    @Override
    public Poller createPoller(final List<Socket> list) {
        return sockets.poller(list);
    }

    /** Sets the flag, then wakes every socket of this factory sleeping on a ring futex. */
    @Override
    public void interrupt() {
        sockets.interrupt();
    }

    @Override
    public void resume() {
        sockets.resume();
    }

    @Override
    public boolean interrupted() {
        return sockets.interrupted();
    }

    @Override
    public void reset() {
        mappings.checkOpen();
    }

    /**
     * Closes the sockets (each bound sender lingers), releases the messages still open, closes the regions this
     * factory created (each waits its linger for acknowledgements), stops the duty cycle, leaves the session (the
     * last factory removes the session's files unless {@value #OPTION_CLEANUP} is false) and unmaps everything.
     * Segments resolved earlier throw {@link IllegalStateException} on raw access afterwards, never crash the JVM.
     */
    @Override
    public void close() {
        // A DS deactivate may run on an interrupted thread: the linger and worker joins would give up at once and
        // leave sockets half-closed. Close with the flag cleared and give it back.
        final boolean interruptedThread = Thread.interrupted();
        try {
            closeAll();
        } finally {
            if (interruptedThread) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void closeAll() {
        // Sockets first, while the factory is still open: closing them releases the payloads queued to them.
        if (!mappings.isClosed()) {
            sockets.closeAll();
        }
        synchronized (this) {
            if (mappings.isClosed()) {
                return;
            }
            mappings.markClosed();
            duty.halt();
            // Open messages first: their region acknowledgements then arrive while the regions linger.
            mappings.releaseOpenMessages();
            regions.closeAll();
        }
        duty.stop();
        mappings.closeLedger();
        session.leave(options.cleanupOnClose());
        mappings.unmap();
    }

    @Override
    public String toString() {
        return "ShmemFactory[id=" + config.id() + ", session=" + config.session() + ", shmId=" + session.shmId()
                + "]";
    }
}
