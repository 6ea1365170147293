package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.MessageBadAllocException;
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
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One device's factory in a shared-memory session. Thread-safe. Holds the session membership, the mappings of the
 * managed segments and regions it has touched (each under its own shared arena, closed once when the factory
 * closes), the regions it created, and one worker thread that writes the heartbeat, delivers region
 * acknowledgements and region events.
 *
 * <p>Options ({@link FactoryConfig#options()}): {@value #OPTION_DIRECTORY} (default {@code /dev/shm}) and
 * {@value #OPTION_CLEANUP} (default {@code true}: the last factory of a session removes its files) and
 * {@value #OPTION_SWEEP} (default {@code true}: after joining, remove the stale sessions of this user in the same
 * directory, see {@link SessionMonitor}). Other {@code shmem.*} keys are rejected.
 *
 * <p>Sockets ({@link ShmemSocket}) pass only headers through rings in shared memory; see the module README.
 */
public final class ShmemFactory implements TransportFactory {
    /** Directory of the session's files. */
    public static final String OPTION_DIRECTORY = "shmem.directory";
    /** Whether the last factory of a session removes its files. */
    public static final String OPTION_CLEANUP = "shmem.cleanup-on-close";
    /** Whether a new factory removes the stale sessions (no live device, a dead one) of its directory. */
    public static final String OPTION_SWEEP = "shmem.sweep-stale-sessions";
    private static final Set<String> OPTIONS = Set.of(OPTION_DIRECTORY, OPTION_CLEANUP, OPTION_SWEEP);
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final long BEAT_NANOS = 100_000_000L;

    private final FactoryConfig config;
    private final Session session;
    private final boolean cleanup;
    private final Object[] segments = new Object[MetaHeader.MAX_ID + 1];
    private final Object[] regions = new Object[MetaHeader.MAX_ID + 1];
    private final List<RegionView> staleViews = new ArrayList<>();
    private final ManagedSegment own;
    private final List<LocalRegion> localRegions = new CopyOnWriteArrayList<>();
    private final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    private final OpenMessages openMessages = new OpenMessages();
    private final List<ShmemSocket> sockets = new CopyOnWriteArrayList<>();
    private final List<ShmemPoller> pollers = new CopyOnWriteArrayList<>();
    private final List<Thread> lingering = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicBoolean closingSockets =
            new java.util.concurrent.atomic.AtomicBoolean();
    private final Thread worker;
    private volatile boolean closed;
    private volatile boolean interrupted;

    /**
     * Joins the session of {@code config}; creates it when this is its first factory.
     *
     * @param config the factory configuration
     */
    public ShmemFactory(final FactoryConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        for (final String key : config.options().keySet()) {
            if (key.startsWith("shmem.") && !OPTIONS.contains(key)) {
                throw new IllegalArgumentException("unknown option: key=" + key + ", known=" + OPTIONS);
            }
        }
        final Path directory = Path.of(config.option(OPTION_DIRECTORY, "/dev/shm"));
        final String cleanupValue = config.option(OPTION_CLEANUP, "true");
        if (!cleanupValue.equals("true") && !cleanupValue.equals("false")) {
            throw new IllegalArgumentException(OPTION_CLEANUP + " must be true or false: " + cleanupValue);
        }
        this.cleanup = Boolean.parseBoolean(cleanupValue);
        final String sweepValue = config.option(OPTION_SWEEP, "true");
        if (!sweepValue.equals("true") && !sweepValue.equals("false")) {
            throw new IllegalArgumentException(OPTION_SWEEP + " must be true or false: " + sweepValue);
        }
        if (!Files.isDirectory(directory)) {
            throw new SharedMemoryException("shared-memory directory does not exist: " + OPTION_DIRECTORY + "="
                    + directory);
        }
        this.session = Session.join(config.session(), directory, config.segmentSize());
        try {
            this.own = segment(0);
        } catch (RuntimeException e) {
            session.leave(cleanup);
            throw e;
        }
        if (Boolean.parseBoolean(sweepValue)) {
            // After joining: our own session has a live slot now, and the sweep never throws.
            SessionMonitor.sweep(directory, session.shmId());
        }
        this.worker = Thread.ofPlatform().daemon().name("shmq-" + config.id() + "-" + session.shmId())
                .unstarted(this::work);
        worker.start();
    }

    /** @return the session's shmId (8 hex digits) */
    public String shmId() {
        return session.shmId();
    }

    /** @return the session directory */
    public Path directory() {
        return session.directory();
    }

    /** @return bytes of managed segment 0 not held by live messages */
    public long freeMemory() {
        checkOpen();
        return own.freeMemory();
    }

    OpenMessages openMessages() {
        return openMessages;
    }

    ManagedSegment ownSegment() {
        return own;
    }

    Session session() {
        return session;
    }

    private void checkOpen() {
        if (closed) {
            throw new TransportClosedException("factory id=" + config.id() + " of session " + session.shmId()
                    + " is closed");
        }
    }

    /** @return whether {@link #close()} was called */
    boolean isClosed() {
        return closed;
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
    // messages

    @Override
    public Message createMessage() {
        checkOpen();
        return new ShmemMessage(this);
    }

    @Override
    public Message createMessage(final long size) {
        return createMessage(size, 0);
    }

    @Override
    public Message createMessage(final long size, final long alignment) {
        checkOpen();
        final ShmemMessage message = new ShmemMessage(this);
        allocateInto(message, size, alignment);
        return message;
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
        checkOpen();
        if (!(region instanceof LocalRegion local) || local.factory() != this) {
            throw new IllegalArgumentException("region is not a region of this factory: region=" + region);
        }
        if (local.isClosed()) {
            throw new TransportClosedException("regionId=" + local.id() + " is closed");
        }
        if (offset < 0 || size < 0 || offset > local.size() || size > local.size() - offset) {
            throw new IllegalArgumentException("range outside regionId=" + local.id() + ": offset=" + offset
                    + ", size=" + size + ", regionSize=" + local.size());
        }
        final ShmemMessage message = new ShmemMessage(this);
        message.setRegion(local.view(), offset, size, hint, MetaHeader.NOT_SHARED);
        local.messageCreated();
        return message;
    }

    void allocateInto(final ShmemMessage message, final long size, final long alignment) {
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative: size=" + size);
        }
        if (size == 0) {
            return;
        }
        message.setManaged(own, allocateBlock(size, alignment), size);
    }

    /** Allocates a block in segment 0 following the retry policy; returns its handle. */
    long allocateBlock(final long size, final long alignment) {
        final long align = checkAlignment(alignment);
        final var policy = config.allocationRetry();
        for (int attempt = 1; ; attempt++) {
            final long block;
            try {
                block = own.allocate(size, align);
            } catch (IllegalStateException e) {
                throw closedDuring("allocate", e);
            }
            if (block >= 0) {
                return block;
            }
            if (attempt >= policy.maxAttempts()) {
                throw new MessageBadAllocException("cannot allocate size=" + size + ", alignment=" + align
                        + " in segmentId=0 of session " + session.shmId() + ": freeMemory=" + own.freeMemory()
                        + ", segmentSize=" + own.size() + ", attempts=" + attempt);
            }
            LockSupport.parkNanos(policy.interval().toNanos());
            checkOpen();
        }
    }

    private static long checkAlignment(final long alignment) {
        if (alignment == 0) {
            return 16;
        }
        if (alignment < 0 || Long.bitCount(alignment) != 1 || alignment > ManagedSegment.MAX_ALIGNMENT) {
            throw new IllegalArgumentException("alignment must be 0 or a power of two up to "
                    + ManagedSegment.MAX_ALIGNMENT + ": alignment=" + alignment);
        }
        return Math.max(16, alignment);
    }

    /**
     * The receive path: turns a header whose reference was handed over (sent, or {@link ShmemMessage#detach()}ed)
     * into a message owned by the caller. Checks the header like {@link #resolve}.
     *
     * @param meta a header that carries one reference
     * @return the owned message
     */
    public Message adopt(final MetaHeader meta) {
        checkOpen();
        resolve(meta);
        final ShmemMessage message = new ShmemMessage(this);
        if (meta.managed()) {
            if (meta.size() > 0) {
                message.setManaged(segment(meta.segmentId()), meta.handle(), meta.size());
            }
        } else {
            message.setRegion(region(meta.regionId()), meta.handle(), meta.size(), meta.hint(), meta.shared());
        }
        return message;
    }

    /**
     * The receive path into a caller's message: releases what {@code target} held, then adopts {@code meta} into it.
     *
     * @param target a message of this factory
     * @param meta   a header that carries one reference
     */
    void adoptInto(final ShmemMessage target, final MetaHeader meta) {
        checkOpen();
        resolve(meta);
        target.rebuild();
        if (meta.managed()) {
            if (meta.size() > 0) {
                target.setManaged(segment(meta.segmentId()), meta.handle(), meta.size());
            }
        } else {
            target.setRegion(region(meta.regionId()), meta.handle(), meta.size(), meta.hint(), meta.shared());
        }
    }

    /**
     * Gives up the ownership of a message of this factory without releasing it (the send side of
     * {@link #adopt}).
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

    // ---------------------------------------------------------------------------------------------------------
    // resolution

    /**
     * Resolves a header to its payload; see {@link io.shmq.transport.api.DataAddressResolver}. Hot path: one
     * acquire load of the cache slot, the block or region checks, one slice.
     */
    public MemorySegment resolve(final MetaHeader meta) {
        Objects.requireNonNull(meta, "meta");
        checkOpen();
        try {
            if (meta.managed()) {
                if (meta.size() == 0) {
                    return MemorySegment.NULL;
                }
                final ManagedSegment segment = segment(meta.segmentId());
                final long offset = segment.checkedDataOffset(meta.handle(), meta.size());
                return segment.memory().asSlice(offset, meta.size());
            }
            final RegionView view = region(meta.regionId());
            final long handle = meta.handle();
            if (handle < 0 || handle > view.size() || meta.size() > view.size() - handle) {
                throw new SharedMemoryException("handle=" + handle + ", size=" + meta.size() + " outside regionId="
                        + meta.regionId() + " of session " + session.shmId() + ": regionSize=" + view.size());
            }
            return view.data().asSlice(handle, meta.size());
        } catch (IllegalStateException e) {
            throw closedDuring("resolve " + meta, e);
        }
    }

    private TransportClosedException closedDuring(final String what, final IllegalStateException cause) {
        return new TransportClosedException("factory id=" + config.id() + " of session " + session.shmId()
                + " closed during " + what, cause);
    }

    ManagedSegment segment(final int id) {
        final Object cached = SLOTS.getAcquire(segments, id);
        if (cached != null) {
            return (ManagedSegment) cached;
        }
        return attachSegment(id);
    }

    private synchronized ManagedSegment attachSegment(final int id) {
        checkOpen();
        final Object cached = SLOTS.getAcquire(segments, id);
        if (cached != null) {
            return (ManagedSegment) cached;
        }
        final long size = session.segmentEntrySize(id);
        if (size < 0) {
            throw new SharedMemoryException("segmentId=" + id + " unknown in session " + session.shmId());
        }
        final ManagedSegment segment = ManagedSegment.attach(ShmFiles.segment(session.directory(), session.shmId(),
                id), id, size, session.tag(), session.shmId());
        SLOTS.setRelease(segments, id, segment);
        return segment;
    }

    RegionView region(final int id) {
        final Object cached = SLOTS.getAcquire(regions, id);
        if (cached != null) {
            final RegionView view = (RegionView) cached;
            if (session.regionInstance(view.slot()) == view.instance()) {
                return view;
            }
        }
        return attachRegion(id);
    }

    private synchronized RegionView attachRegion(final int id) {
        checkOpen();
        final RegionView cached = (RegionView) SLOTS.getAcquire(regions, id);
        if (cached != null) {
            if (session.regionInstance(cached.slot()) == cached.instance()) {
                return cached;
            }
            SLOTS.setRelease(regions, id, null);
            // A mapping of a destroyed region stays until the factory closes: a thread may still read through it.
            staleViews.add(cached);
        }
        final Session.RegionEntry entry = session.findRegion(id);
        if (entry == null) {
            final List<Integer> known = session.activeRegions().stream().map(Session.RegionEntry::id).toList();
            throw new SharedMemoryException("regionId=" + id + " unknown or destroyed in session " + session.shmId()
                    + ": active regions " + known);
        }
        for (final LocalRegion local : localRegions) {
            if (local.id() == id && local.view().instance() == entry.instance()) {
                SLOTS.setRelease(regions, id, local.view());
                return local.view();
            }
        }
        final RegionView view = RegionView.attach(entry, ShmFiles.ring(session.directory(), session.shmId(), id),
                session.shmId());
        SLOTS.setRelease(regions, id, view);
        return view;
    }

    // ---------------------------------------------------------------------------------------------------------
    // regions

    @Override
    public UnmanagedRegion createUnmanagedRegion(final long size, final RegionCallback callback,
                                                 final RegionConfig regionConfig) {
        Objects.requireNonNull(callback, "callback");
        return createRegion(size, callback, null, regionConfig);
    }

    @Override
    public UnmanagedRegion createUnmanagedRegionBulk(final long size, final RegionBulkCallback callback,
                                                 final RegionConfig regionConfig) {
        Objects.requireNonNull(callback, "callback");
        return createRegion(size, null, callback, regionConfig);
    }

    private synchronized UnmanagedRegion createRegion(final long size, final RegionCallback callback,
                                                      final RegionBulkCallback bulk, final RegionConfig regionConfig) {
        checkOpen();
        Objects.requireNonNull(regionConfig, "config");
        if (size <= 0) {
            throw new IllegalArgumentException("region size must be positive: size=" + size);
        }
        final RobustLock lock = session.lock();
        final Arena arena = Arena.ofShared();
        final List<Path> created = new ArrayList<>();
        lock.lock();
        try {
            final int id = regionConfig.id() == RegionConfig.AUTO_ID ? session.nextRegionId() : regionConfig.id();
            if (session.findRegion(id) != null) {
                throw new SharedMemoryException("regionId=" + id + " already exists in session " + session.shmId());
            }
            final boolean userPath = !regionConfig.path().isEmpty();
            final Path dataFile = userPath ? Path.of(regionConfig.path()).toAbsolutePath()
                    : ShmFiles.region(session.directory(), session.shmId(), id);
            final MemorySegment data = mapNew(dataFile, size, !userPath, arena, created);
            if (regionConfig.zero()) {
                data.fill((byte) 0);
            }
            if (regionConfig.lock()) {
                final int rc = Native.mlock(data);
                if (rc != 0) {
                    System.getLogger(ShmemFactory.class.getName()).log(System.Logger.Level.WARNING,
                            "cannot lock regionId=" + id + " in memory (size=" + size + "): errno=" + rc);
                }
            }
            final Path ringFile = ShmFiles.ring(session.directory(), session.shmId(), id);
            final MemorySegment ringBytes = mapNew(ringFile, AckRingLayout.bytes(AckRing.DEFAULT_CAPACITY), true,
                    arena, created);
            final AckRing ring = AckRing.format(ringBytes, AckRing.DEFAULT_CAPACITY);
            final Session.RegionEntry entry = session.registerRegion(id, size, regionConfig.userFlags(),
                    dataFile.toString());
            final RegionView view = new RegionView(id, entry.slot(), entry.instance(), data, ring, null);
            final List<Path> toDelete = new ArrayList<>();
            toDelete.add(ringFile);
            if (!userPath && regionConfig.removeOnDestruction()) {
                toDelete.add(dataFile);
            }
            final LocalRegion region = new LocalRegion(this, view, arena, callback, bulk, regionConfig.linger(),
                    toDelete);
            localRegions.add(region);
            SLOTS.setRelease(regions, id, view);
            return region;
        } catch (RuntimeException e) {
            arena.close();
            for (final Path file : created) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // best effort
                }
            }
            throw e;
        } finally {
            lock.unlock();
        }
    }

    private static MemorySegment mapNew(final Path file, final long size, final boolean fresh, final Arena arena,
                                        final List<Path> created) {
        try {
            if (fresh) {
                Files.deleteIfExists(file);
            }
            if (!Files.exists(file)) {
                Files.createFile(file, ShmFiles.OWNER_ONLY);
                created.add(file);
            }
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                if (raf.length() < size) {
                    raf.setLength(size);
                }
                ShmFiles.reserve(file, 0, size);
                return raf.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            }
        } catch (IOException e) {
            throw new SharedMemoryException("cannot create region file " + file + " of size=" + size + ": " + e, e);
        }
    }

    void destroyRegion(final LocalRegion region) {
        final RobustLock lock = session.lock();
        lock.lock();
        try {
            if (session.regionInstance(region.view().slot()) == region.view().instance()) {
                region.deleteFiles();
                session.destroyRegion(region.view().slot());
            }
        } finally {
            lock.unlock();
        }
        SLOTS.compareAndExchangeRelease(regions, region.id(), region.view(), null);
        localRegions.remove(region);
    }

    @Override
    public RegionEventSubscription subscribeToRegionEvents(final RegionEventListener listener) {
        Objects.requireNonNull(listener, "listener");
        checkOpen();
        final Subscription subscription = new Subscription(listener);
        subscriptions.add(subscription);
        LockSupport.unpark(worker);
        return subscription;
    }

    @Override
    public List<RegionInfo> regionInfo() {
        checkOpen();
        final List<RegionInfo> result = new ArrayList<>();
        result.add(new RegionInfo(true, own.id(), own.size(), 0, RegionEvent.CREATED));
        for (final Session.RegionEntry entry : session.activeRegions()) {
            result.add(new RegionInfo(false, entry.id(), entry.size(), entry.userFlags(), RegionEvent.CREATED));
        }
        return List.copyOf(result);
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

        synchronized void poll(final long events, final List<Session.RegionEntry> active) {
            if (cancelled || events == seenEvents) {
                return;
            }
            seenEvents = events;
            final Map<Integer, Session.RegionEntry> now = new HashMap<>();
            for (final Session.RegionEntry entry : active) {
                now.put(entry.id(), entry);
            }
            for (final var old : List.copyOf(known.values())) {
                final Session.RegionEntry current = now.get(old.id());
                if (current == null || current.instance() != old.instance()) {
                    known.remove(old.id());
                    deliver(old, RegionEvent.DESTROYED);
                }
            }
            for (final Session.RegionEntry entry : active) {
                if (!known.containsKey(entry.id())) {
                    known.put(entry.id(), entry);
                    deliver(entry, RegionEvent.CREATED);
                }
            }
        }

        private void deliver(final Session.RegionEntry entry, final RegionEvent event) {
            try {
                listener.onRegionEvent(new RegionInfo(false, entry.id(), entry.size(), entry.userFlags(), event));
            } catch (RuntimeException e) {
                System.getLogger(ShmemFactory.class.getName()).log(System.Logger.Level.WARNING,
                        "region event listener threw", e);
            }
        }

        @Override
        public synchronized void close() {
            cancelled = true;
            subscriptions.remove(this);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // worker

    private void work() {
        long nextBeat = 0;
        int idle = 0;
        while (!closed) {
            int work = 0;
            try {
                for (final LocalRegion region : localRegions) {
                    work += region.drainOnce();
                }
                final long now = System.nanoTime();
                if (now - nextBeat >= 0) {
                    session.beat();
                    nextBeat = now + BEAT_NANOS;
                }
                if (!subscriptions.isEmpty()) {
                    final long events = session.eventCounter();
                    List<Session.RegionEntry> active = null;
                    for (final Subscription subscription : subscriptions) {
                        if (subscription.seenEvents != events) {
                            if (active == null) {
                                active = session.activeRegions();
                            }
                            subscription.poll(events, active);
                        }
                    }
                }
            } catch (IllegalStateException e) {
                if (closed) {
                    return;
                }
                System.getLogger(ShmemFactory.class.getName()).log(System.Logger.Level.WARNING, "worker", e);
            }
            // Back off while idle (50 us up to 3.2 ms between polls), so an idle factory costs few wake-ups.
            idle = work == 0 ? Math.min(idle + 1, 6) : 0;
            if (work == 0) {
                LockSupport.parkNanos(50_000L << idle);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // sockets and control

    @Override
    public Socket createSocket(final SocketType type, final String name) {
        checkOpen();
        final ShmemSocket socket = new ShmemSocket(this, type, name);
        sockets.add(socket);
        return socket;
    }

    @Override
    public Poller createPoller(final List<Socket> list) {
        checkOpen();
        Objects.requireNonNull(list, "sockets");
        final ShmemPoller poller = new ShmemPoller(this, list);
        pollers.add(poller);
        return poller;
    }

    boolean owns(final ShmemSocket socket) {
        return sockets.contains(socket);
    }

    void socketClosed(final ShmemSocket socket) {
        sockets.remove(socket);
    }

    /** A closed socket delivering its queue in the background; {@link #close()} waits for it. */
    void lingering(final Thread thread) {
        lingering.add(thread);
    }

    void pollerClosed(final ShmemPoller poller) {
        pollers.remove(poller);
    }

    /** Sets the flag, then wakes every socket of this factory sleeping on a ring futex. */
    @Override
    public void interrupt() {
        interrupted = true;
        for (final ShmemSocket socket : sockets) {
            socket.wake();
        }
    }

    @Override
    public void resume() {
        interrupted = false;
    }

    @Override
    public boolean interrupted() {
        return interrupted;
    }

    @Override
    public void reset() {
        checkOpen();
    }

    /**
     * Releases the messages still open, closes the regions this factory created (each waits its linger for
     * acknowledgements), stops the worker, leaves the session (the last factory removes the session's files unless
     * {@value #OPTION_CLEANUP} is false) and unmaps everything. Segments resolved earlier throw
     * {@link IllegalStateException} on raw access afterwards, never crash the JVM.
     */
    @Override
    public void close() {
        // Sockets first, while the factory is still open: closing them releases the payloads queued to them.
        if (!closed && closingSockets.compareAndSet(false, true)) {
            for (final ShmemSocket socket : List.copyOf(sockets)) {
                socket.close();
            }
            for (final ShmemPoller poller : List.copyOf(pollers)) {
                poller.close();
            }
            // Sockets linger in parallel: this waits at most the largest linger.
            for (final Thread thread : lingering) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            lingering.clear();
        }
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            // Open messages first: their region acknowledgements then arrive while the regions linger.
            openMessages.releaseAll();
            for (final LocalRegion region : List.copyOf(localRegions)) {
                region.close();
            }
        }
        LockSupport.unpark(worker);
        try {
            worker.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        session.leave(cleanup);
        synchronized (this) {
            for (int i = 0; i < segments.length; i++) {
                final Object segment = SLOTS.getAndSet(segments, i, null);
                if (segment != null) {
                    ((ManagedSegment) segment).close();
                }
                final Object view = SLOTS.getAndSet(regions, i, null);
                if (view != null) {
                    ((RegionView) view).close();
                }
            }
            staleViews.forEach(RegionView::close);
            staleViews.clear();
        }
    }

    @Override
    public String toString() {
        return "ShmemFactory[id=" + config.id() + ", session=" + config.session() + ", shmId=" + session.shmId()
                + "]";
    }
}
