package io.shmq.transport.shmem.internal.mapping;

import io.shmq.transport.api.AllocationRetryPolicy;
import io.shmq.transport.api.MessageBadAllocException;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.shmem.internal.os.IdleStrategy;
import io.shmq.transport.shmem.internal.os.ProcessIdentity;
import io.shmq.transport.shmem.internal.os.ShmFiles;
import io.shmq.transport.shmem.internal.region.RegionView;
import io.shmq.transport.shmem.internal.region.Regions;
import io.shmq.transport.shmem.internal.ring.SequencedRing;
import io.shmq.transport.shmem.internal.ring.SocketRing;
import io.shmq.transport.shmem.internal.segment.Holder;
import io.shmq.transport.shmem.internal.segment.ManagedSegment;
import io.shmq.transport.shmem.internal.session.Session;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What one factory has mapped of its session, and the one way into it: the caches of managed segments and regions
 * (attached on first use, each under its own shared arena, never caching a miss), {@link #resolve}, the receive
 * path ({@link #adopt}: a header checked once, the checked offset kept by the message), allocation with the retry
 * policy, and the open messages that the factory's close releases. Messages, sockets and the resolver use this;
 * it imports nothing above itself. Thread-safe: the hot path is one acquire load of a cache slot.
 */
public final class SessionMappings {
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Object[].class);
    /** The smallest block alignment, and the one of {@code alignment=0}. */
    private static final long MIN_ALIGNMENT = 16;

    private final String factoryId;
    private final Session session;
    private final Regions regions;
    private final AllocationRetryPolicy retry;
    /** FairMQ's policy: sleep the retry interval between attempts instead of waiting for a free. */
    private final boolean sleepRetry;
    /** The longest single sleep on the free doorbell (then the factory's state is checked). */
    private static final long FREE_WAIT_SLICE_NANOS = 100_000_000L;
    private final Object[] segmentSlots = new Object[MetaHeader.MAX_ID + 1];
    private final Object[] regionSlots = new Object[MetaHeader.MAX_ID + 1];
    /** Views of other factories' regions this factory mapped (each owns its arena); guarded by this. */
    private final List<RegionView> attached = new ArrayList<>();
    private volatile long seenRegionEvents = -1;
    private static final System.Logger LOG = System.getLogger(SessionMappings.class.getName());
    private final Ledger ledger;
    private final OpenMessages openMessages;
    /** When this factory first saw each dead device dead (guards the reclamation too). */
    private final java.util.Map<Session.DeadDevice, Long> deadSince = new java.util.HashMap<>();
    private final long reclaimGraceNanos;
    /** This factory's holder id in the session ({@link Holder}). */
    private final int holderId;
    private final ManagedSegment own;
    private volatile boolean closed;

    /**
     * Maps segment 0 of {@code session}.
     *
     * @param factoryId names the factory in errors
     * @param session   the joined session
     * @param regions   the regions this factory created (found here before mapping a region a second time)
     * @param retry      what an allocation does when the segment is full
     * @param sleepRetry whether it sleeps between attempts (FairMQ) rather than waiting for a free
     * @param reclaimGraceMs how long a dead device's payloads stay after this factory first sees it dead
     */
    public SessionMappings(final String factoryId, final Session session, final Regions regions,
                           final AllocationRetryPolicy retry, final boolean sleepRetry, final long reclaimGraceMs) {
        this.sleepRetry = sleepRetry;
        this.reclaimGraceNanos = reclaimGraceMs * 1_000_000L;
        this.factoryId = Objects.requireNonNull(factoryId, "factoryId");
        this.session = Objects.requireNonNull(session, "session");
        this.regions = Objects.requireNonNull(regions, "regions");
        this.retry = Objects.requireNonNull(retry, "retry");
        this.holderId = session.holderId();
        this.own = segment(0);
        this.ledger = Ledger.create(ShmFiles.ledger(session.directory(), session.shmId(), session.deviceSlot()),
                session.deviceSlot(), OpenMessages.stripes());
        this.openMessages = new OpenMessages(ledger, own);
    }

    /** @return the session */
    public Session session() {
        return session;
    }

    /** @return segment 0, where this factory allocates */
    public ManagedSegment ownSegment() {
        return own;
    }

    /**
     * @return bytes this factory can allocate in segment 0 without waiting: the segment's free memory and the free
     * blocks its own stripes cache
     */
    public long freeMemory() {
        return own.freeMemory() + openMessages.cachedBytes();
    }

    /** @return bytes of free blocks this factory's stripes cache */
    public long cachedBytes() {
        return openMessages.cachedBytes();
    }

    /**
     * @return how many payload references this factory's ledger records now: what a survivor would release if this
     * process died (copies in the process share one)
     */
    public int recordedReferences() {
        final int[] count = new int[1];
        Ledger.read(ShmFiles.ledger(session.directory(), session.shmId(), session.deviceSlot()),
                (owner, classIndex, segmentId, blocks) -> { }, entry -> count[0]++);
        return count[0];
    }

    /** @return the factory's open messages */
    OpenMessages openMessages() {
        return openMessages;
    }

    /** @return whether {@link #markClosed()} was called */
    public boolean isClosed() {
        return closed;
    }

    /** @throws TransportClosedException when the factory is closed */
    public void checkOpen() {
        if (closed) {
            throw new TransportClosedException("factory id=" + factoryId + " of session " + session.shmId()
                    + " is closed");
        }
    }

    /** @return the exception for a mapping that went away under a call (the factory closed meanwhile) */
    public TransportClosedException closedDuring(final String what, final RuntimeException cause) {
        return new TransportClosedException("factory id=" + factoryId + " of session " + session.shmId()
                + " closed during " + what, cause);
    }

    /**
     * What a call that failed reports: a closed mapping ({@link IllegalStateException} from the FFM API), and any
     * failure once the factory is closing (a block its close released, for instance), become
     * {@link TransportClosedException}, so that a consumer sees only the documented exception while its provider
     * goes away; anything else is rethrown as it is.
     */
    RuntimeException failure(final String what, final RuntimeException e) {
        if (e instanceof TransportClosedException) {
            return e;
        }
        if (e instanceof IllegalStateException || closed) {
            return closedDuring(what, e);
        }
        return e;
    }

    // ---------------------------------------------------------------------------------------------------------
    // messages

    /** @return a new empty message */
    public ShmemMessage emptyMessage() {
        checkOpen();
        return new ShmemMessage(this);
    }

    /** @return a new message of {@code size} bytes in segment 0 */
    public ShmemMessage allocate(final long size, final long alignment) {
        checkOpen();
        final ShmemMessage message = new ShmemMessage(this);
        try {
            allocateInto(message, size, alignment);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw failure("allocate size=" + size, e);
        }
        return message;
    }

    /**
     * Gives {@code message} (empty) a new block of {@code size} bytes; nothing for size 0. Every attempt, the waiting
     * ones of a full segment included, goes through {@link OpenMessages#allocateRecorded}, which writes the ledger
     * entry in the order a survivor needs.
     */
    void allocateInto(final ShmemMessage message, final long size, final long alignment) {
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative: size=" + size);
        }
        if (size == 0) {
            return;
        }
        final long align = checkAlignment(alignment);
        if (!allocateNow(message, size, align)) {
            retry(size, align, () -> allocateRecorded(message, size, align));
        }
    }

    /** @return whether {@code message} got a block without waiting (the held-back large blocks flushed if need be) */
    private boolean allocateNow(final ShmemMessage message, final long size, final long align) {
        if (allocateRecorded(message, size, align) >= 0) {
            return true;
        }
        openMessages.flushHeld(); // the large blocks this factory holds back first: they may be the room it needs
        return allocateRecorded(message, size, align) >= 0;
    }

    /** @return 0 when {@code message} got its block, -1 when the segment has no room now */
    private long allocateRecorded(final ShmemMessage message, final long size, final long align) {
        try {
            if (openMessages.allocateRecorded(message, own, size, align)) {
                return 0;
            }
            if (openMessages.recording()) {
                return -1;
            }
            final long block = own.allocate(size, align); // no ledger: nothing to order
            if (block >= 0) {
                message.setManaged(own, block, size, own.dataOffset(block));
            }
            return block;
        } catch (IllegalStateException e) {
            throw closedDuring("allocate", e);
        }
    }

    /**
     * Allocates a block in segment 0 following the retry policy; returns its handle. A full segment gets the policy's
     * whole budget ({@code (maxAttempts - 1) x interval}): by default the allocation sleeps on the segment's free
     * doorbell and tries again at each free, so it succeeds the moment room appears; with {@code sleepRetry} it
     * sleeps {@code interval} between attempts, as FairMQ does (for like-for-like comparisons).
     */
    long allocateBlock(final long size, final long alignment) {
        final long align = checkAlignment(alignment);
        final long first = tryAllocate(size, align);
        if (first >= 0) {
            return first;
        }
        return retry(size, align, () -> tryAllocate(size, align));
    }

    /** The retry policy after a first attempt failed; @return what the successful {@code attempt} returned */
    private long retry(final long size, final long align, final java.util.function.LongSupplier attempt) {
        if (retry.maxAttempts() <= 1) {
            throw badAlloc(size, align, "attempts=1");
        }
        return sleepRetry ? sleepAndRetry(size, align, attempt) : awaitFree(size, align, attempt);
    }

    private long tryAllocate(final long size, final long align) {
        try {
            return own.allocate(size, align);
        } catch (IllegalStateException e) {
            throw closedDuring("allocate", e);
        }
    }

    private MessageBadAllocException badAlloc(final long size, final long align, final String tried) {
        return new MessageBadAllocException("cannot allocate size=" + size + ", alignment=" + align
                + " in segmentId=0 of session " + session.shmId() + ": freeMemory=" + own.freeMemory()
                + ", segmentSize=" + own.size() + ", " + tried);
    }

    private long awaitFree(final long size, final long align, final java.util.function.LongSupplier attempt) {
        final long budget = retry.interval().toNanos() * (retry.maxAttempts() - 1);
        final long start = System.nanoTime();
        final long[] block = {-1};
        while (true) {
            final long remaining = budget - (System.nanoTime() - start);
            if (remaining <= 0) {
                throw badAlloc(size, align, "waited " + budget / 1_000_000 + " ms for frees");
            }
            final long slice = Math.min(remaining, FREE_WAIT_SLICE_NANOS);
            if (!own.awaitFree(() -> (block[0] = attempt.getAsLong()) >= 0, slice)) {
                java.util.concurrent.locks.LockSupport.parkNanos(Math.min(slice, 1_000_000L)); // no futex here
            }
            if (block[0] >= 0) {
                return block[0];
            }
            checkOpen();
            block[0] = attempt.getAsLong();
            if (block[0] >= 0) {
                return block[0];
            }
        }
    }

    private long sleepAndRetry(final long size, final long align, final java.util.function.LongSupplier attempt) {
        final IdleStrategy idle = IdleStrategy.parking(retry.interval().toNanos());
        for (int tries = 2; ; tries++) {
            idle.idle();
            checkOpen();
            final long block = attempt.getAsLong();
            if (block >= 0) {
                return block;
            }
            if (tries >= retry.maxAttempts()) {
                throw badAlloc(size, align, "attempts=" + tries);
            }
        }
    }

    private static long checkAlignment(final long alignment) {
        if (alignment == 0) {
            return MIN_ALIGNMENT;
        }
        if (alignment < 0 || Long.bitCount(alignment) != 1 || alignment > ManagedSegment.MAX_ALIGNMENT) {
            throw new IllegalArgumentException("alignment must be 0 or a power of two up to "
                    + ManagedSegment.MAX_ALIGNMENT + ": alignment=" + alignment);
        }
        return Math.max(MIN_ALIGNMENT, alignment);
    }

    /**
     * The receive path: turns a header whose reference was handed over (sent, or detached) into a message owned by
     * the caller. Checks the header like {@link #resolve}, once.
     */
    public ShmemMessage adopt(final MetaHeader meta) {
        final ShmemMessage message = emptyMessage();
        try {
            adoptChecked(message, meta);
        } catch (RuntimeException e) {
            throw failure("adopt " + meta, e);
        }
        return message;
    }

    /** The receive path into a caller's message: releases what {@code target} held, then adopts {@code meta}. */
    public void adoptInto(final ShmemMessage target, final MetaHeader meta) {
        checkOpen();
        Objects.requireNonNull(meta, "meta");
        try {
            adoptCheckedInto(target, meta);
        } catch (RuntimeException e) {
            throw failure("adopt " + meta, e);
        }
    }

    /**
     * Moves a message adopted earlier into a caller's message (releasing what {@code target} held): its payload, its
     * registration and its ledger entry, so the payload is recorded throughout.
     *
     * @throws io.shmq.transport.api.TransportClosedException when this factory closed and released {@code source}
     */
    public void moveInto(final ShmemMessage target, final ShmemMessage source) {
        checkOpen();
        target.rebuild();
        openMessages().move(source, target);
    }

    /**
     * The receiver's half of a hand-over ({@link OpenMessages#beginHandover} is the sender's): takes the block a
     * ring record hands over into {@code target} (releasing what it held), in the order that leaves a survivor
     * exactly one party to release: the target's ledger entry first, then the CAS of the block's holder word from
     * the record's in-flight id to this process. Called while the record is still at the ring's head; the caller
     * moves the head when this returns {@code TAKEN} (and keeps the block even when another consumer moved the head
     * past the record after seeing this claim stall for the ring's unblock time).
     *
     * @param nonce the record's hand-over nonce
     * @return a {@code SequencedRing.Claim} decision: TAKEN, BUSY (another consumer took it and is about to move the
     * head) or DEAD (a survivor reclaimed it: the record is dropped)
     * @throws io.shmq.transport.api.SharedMemoryException when the header names no block of the session
     */
    public int claimInto(final ShmemMessage target, final MetaHeader meta, final int nonce) {
        return claimInto(target, meta, nonce, false);
    }

    /**
     * The receiver's half of an inline record ({@code record.inline()}), while the record is at the ring's head:
     * releases what {@code target} holds, gives it a block of this factory's segment and copies the payload into it
     * (into the block it holds when that is of the same size and only its own). Never waits: with no room now it
     * returns false and the record stays at the head for the next look.
     *
     * @return whether {@code target} holds the copy
     */
    public boolean copyInline(final ShmemMessage target, final SocketRing.Entry record) {
        checkOpen();
        final long size = record.size();
        try {
            // A receive into a message that holds a block of that size (a stream of equal messages into one
            // message) copies into it: no free and no allocation.
            if (!target.holdsOnly(size)) {
                target.rebuild();
                if (!allocateNow(target, size, MIN_ALIGNMENT)) {
                    return false;
                }
            }
            target.copyInline(record);
        } catch (IllegalStateException e) {
            throw closedDuring("receive", e);
        }
        return true;
    }

    /**
     * {@link #claimInto(ShmemMessage, MetaHeader, int)} of the record a ring view just read (its header's fields,
     * no {@link MetaHeader} made on the way).
     */
    public int claimInto(final ShmemMessage target, final SocketRing.Entry record) {
        return claimInto(target, record.managed(), record.size(), record.hint(), record.segmentId(), record.handle(),
                record.nonce(), false);
    }

    private int claimInto(final ShmemMessage target, final MetaHeader meta, final int nonce, final boolean unit) {
        return claimInto(target, meta.managed(), meta.size(), meta.hint(), meta.segmentId(), meta.handle(), nonce,
                unit);
    }

    /**
     * The receiver's half of a multipart unit's hand-over (every part and the descriptor in flight with one nonce):
     * takes the descriptor as {@link #claimInto} takes a block, its ledger entry marked as a unit's first (so that a
     * survivor of this process that reclaims the descriptor reclaims the parts still in flight too), then every part
     * the same way, then releases the descriptor. Called while the record is at the ring's head.
     *
     * @param parts receives the parts, in order (empty parts as empty messages); left empty unless TAKEN
     * @return TAKEN, BUSY or DEAD as {@link #claimInto}; DEAD too when a part was reclaimed meanwhile (a survivor of
     * the dead sender took it): the unit is lost, the parts taken so far are released
     * @throws SharedMemoryException when the record, the descriptor or a part names no block of the session
     */
    public int claimUnit(final List<ShmemMessage> parts, final MetaHeader meta, final int nonce) {
        final ShmemMessage descriptor = emptyMessage();
        final int decision = claimInto(descriptor, meta, nonce, true);
        if (decision != SequencedRing.Claim.TAKEN) {
            return decision;
        }
        try {
            final List<MetaHeader> metas = MultipartLayout.read(descriptor.data());
            for (int i = 0; i < metas.size(); i++) {
                final MetaHeader part = metas.get(i);
                final ShmemMessage message = emptyMessage();
                parts.add(message);
                if (part.managed() && part.size() == 0) {
                    continue; // an empty part: nothing was handed over
                }
                if (claimInto(message, part, nonce, false) != SequencedRing.Claim.TAKEN) {
                    // A survivor of the dead sender took this part: the unit is lost; the parts not looked at yet
                    // are nobody else's (this process holds the descriptor), so they are released here.
                    parts.forEach(ShmemMessage::close);
                    parts.clear();
                    reclaimInFlight(metas.subList(i + 1, metas.size()), Holder.inFlight(nonce));
                    return SequencedRing.Claim.DEAD;
                }
            }
            return SequencedRing.Claim.TAKEN;
        } catch (RuntimeException e) {
            parts.forEach(ShmemMessage::close);
            parts.clear();
            throw e;
        } finally {
            descriptor.close();
        }
    }

    private int claimInto(final ShmemMessage target, final boolean managed, final long size, final long hint,
                          final int segmentId, final long handle, final int nonce, final boolean unit) {
        checkOpen();
        if (!managed || size == 0 || hint == 0) {
            throw new SharedMemoryException("a hand-over record must name a managed block with its generation: "
                    + new MetaHeader(size, hint, handle, MetaHeader.NOT_SHARED, 0, segmentId, managed));
        }
        final ManagedSegment segment = segment(segmentId);
        segment.checkHandle(handle);
        final long inFlight = Holder.word(hint, Holder.inFlight(nonce));
        final long word = segment.holder(handle);
        if (word != inFlight) {
            return decide(word, hint);
        }
        final long offset;
        try {
            offset = segment.checkedDataOffset(handle, size, hint);
        } catch (SharedMemoryException e) {
            final long now = segment.holder(handle);
            if (now != inFlight) {
                return decide(now, hint); // another consumer took it (and freed it) since the look above
            }
            throw e; // in flight, yet no live block of that size: a forged header
        }
        target.rebuild();
        target.setManaged(segment, handle, size, offset);
        target.knownGeneration(hint); // checked against the block's above
        if (unit && target.ledgerEntry >= 0) {
            ledger.unit(target.ledgerEntry, Holder.inFlight(nonce) & 0xFFFFFFFFL);
        }
        if (segment.replaceHolder(handle, inFlight, Holder.word(hint, holderId))) {
            return SequencedRing.Claim.TAKEN;
        }
        forget(target);
        return decide(segment.holder(handle), hint);
    }

    /** @return what a consumer does with a hand-over record whose block's holder word is {@code word} */
    private static int decide(final long word, final long generation) {
        final int id = Holder.id(word);
        if (Holder.generation(word) == generation && Holder.device(id)) {
            return SequencedRing.Claim.BUSY;
        }
        // reclaimed, freed or reused, or taken and passed on after the head moved (then moving it fails, harmlessly)
        return SequencedRing.Claim.DEAD;
    }

    /** Unlinks {@code message} (its entry cleared) and empties it, releasing nothing. */
    private void forget(final ShmemMessage message) {
        openMessages.remove(message);
        message.forget();
    }

    private void adoptCheckedInto(final ShmemMessage target, final MetaHeader meta) {
        // Check before releasing: a bad header leaves the caller's message as it was.
        if (meta.managed()) {
            if (meta.size() == 0) {
                target.rebuild();
                return;
            }
            final ManagedSegment segment = segment(meta.segmentId());
            final long offset = checkedOffset(segment, meta);
            target.rebuild();
            target.setManaged(segment, meta.handle(), meta.size(), offset);
        } else {
            final RegionView view = checkedRegion(meta);
            target.rebuild();
            target.setRegion(view, meta.handle(), meta.size(), meta.hint(), meta.shared());
        }
    }

    private void adoptChecked(final ShmemMessage target, final MetaHeader meta) {
        Objects.requireNonNull(meta, "meta");
        if (meta.managed()) {
            if (meta.size() > 0) {
                final ManagedSegment segment = segment(meta.segmentId());
                target.setManaged(segment, meta.handle(), meta.size(), checkedOffset(segment, meta));
            }
        } else {
            target.setRegion(checkedRegion(meta), meta.handle(), meta.size(), meta.hint(), meta.shared());
        }
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
                return segment.memory().asSlice(checkedOffset(segment, meta), meta.size());
            }
            return checkedRegion(meta).data().asSlice(meta.handle(), meta.size());
        } catch (RuntimeException e) {
            throw failure("resolve " + meta, e);
        }
    }

    private static long checkedOffset(final ManagedSegment segment, final MetaHeader meta) {
        return segment.checkedDataOffset(meta.handle(), meta.size(), meta.hint());
    }

    private RegionView checkedRegion(final MetaHeader meta) {
        final RegionView view = region(meta.regionId());
        final long handle = meta.handle();
        if (handle < 0 || handle > view.size() || meta.size() > view.size() - handle) {
            throw new SharedMemoryException("handle=" + handle + ", size=" + meta.size() + " outside regionId="
                    + meta.regionId() + " of session " + session.shmId() + ": regionSize=" + view.size());
        }
        return view;
    }

    /** @return managed segment {@code id}, attached on first use */
    public ManagedSegment segment(final int id) {
        final Object cached = SLOTS.getAcquire(segmentSlots, id);
        if (cached != null) {
            return (ManagedSegment) cached;
        }
        return attachSegment(id);
    }

    private synchronized ManagedSegment attachSegment(final int id) {
        checkOpen();
        final Object cached = SLOTS.getAcquire(segmentSlots, id);
        if (cached != null) {
            return (ManagedSegment) cached;
        }
        final long size = session.segmentEntrySize(id);
        if (size < 0) {
            throw new SharedMemoryException("segmentId=" + id + " unknown in session " + session.shmId());
        }
        final ManagedSegment segment = ManagedSegment.attach(ShmFiles.segment(session.directory(), session.shmId(),
                id), id, size, session.tag(), session.shmId());
        segment.holderId(holderId);
        SLOTS.setRelease(segmentSlots, id, segment);
        return segment;
    }

    /** @return the live instance of region {@code id}, mapped on first use (or the creator's own view) */
    public RegionView region(final int id) {
        final Object cached = SLOTS.getAcquire(regionSlots, id);
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
        final RegionView cached = (RegionView) SLOTS.getAcquire(regionSlots, id);
        if (cached != null) {
            if (session.regionInstance(cached.slot()) == cached.instance()) {
                return cached;
            }
            SLOTS.setRelease(regionSlots, id, null);
            unmap(cached);
        }
        final Session.RegionEntry entry = session.findRegion(id);
        if (entry == null) {
            final List<Integer> known = session.activeRegions().stream().map(Session.RegionEntry::id).toList();
            throw new SharedMemoryException("regionId=" + id + " unknown or destroyed in session " + session.shmId()
                    + ": active regions " + known);
        }
        RegionView view = regions.localView(id, entry.instance());
        if (view == null) {
            view = RegionView.attach(entry, ShmFiles.ring(session.directory(), session.shmId(), id), session.shmId());
            attached.add(view);
        }
        SLOTS.setRelease(regionSlots, id, view);
        return view;
    }

    /**
     * Unmaps the views of regions destroyed since the last call, so that a destroyed region's memory returns to the
     * system at once, not when this factory closes (the factory's duty cycle calls it, every 3.2 ms at most when
     * idle). A payload or message of such a region read afterwards throws ({@code IllegalStateException} from the
     * unmapped segment, {@link TransportClosedException} from the transport's calls).
     *
     * @return how many views it unmapped
     */
    public int unmapDestroyedRegions() {
        final long events = session.eventCounter();
        if (events == seenRegionEvents) {
            return 0;
        }
        synchronized (this) {
            seenRegionEvents = events;
            int unmapped = 0;
            for (final RegionView view : List.copyOf(attached)) {
                if (session.regionInstance(view.slot()) != view.instance()) {
                    SLOTS.compareAndExchangeRelease(regionSlots, view.id(), view, null);
                    unmap(view);
                    unmapped++;
                }
            }
            return unmapped;
        }
    }

    private void unmap(final RegionView view) {
        attached.remove(view);
        view.close();
    }

    // ---------------------------------------------------------------------------------------------------------
    // reclaiming what dead processes held

    /** What one reclamation did. */
    public record Reclaimed(int devices, int references, long bytes, int skipped) {
    }

    /**
     * Releases every payload reference recorded in the ledgers of the session's dead devices (pid + start time) and
     * frees their slots, once a device has been seen dead for the reclaim grace. The first factory to take a dead device's ledger (a rename under the session lock) releases
     * its references outside the lock, then deletes it; a reference whose block is no longer the recorded one (its
     * generation changed) or whose region is gone is skipped. Called by the factory when it is made and by its duty
     * cycle every second.
     *
     * @return what it reclaimed
     */
    public Reclaimed reclaimDeadDevices() {
        synchronized (deadSince) {
            return reclaimDead();
        }
    }

    private Reclaimed reclaimDead() {
        final List<Session.DeadDevice> dead = session.deadDevices();
        deadSince.keySet().retainAll(dead);
        if (dead.isEmpty() || closed) {
            return new Reclaimed(0, 0, 0, 0);
        }
        int devices = 0;
        final long[] totals = new long[5]; // references, bytes, skipped, cached blocks, their bytes
        final long now = System.nanoTime();
        for (final Session.DeadDevice device : dead) {
            // The grace: a consumer may still be reading a payload the dead process kept for it (the side channel).
            final long since = deadSince.computeIfAbsent(device, d -> now);
            if (now - since < reclaimGraceNanos) {
                continue;
            }
            final Path taken = take(device);
            if (taken == null) {
                continue;
            }
            devices++;
            final long before = totals[0];
            final long bytesBefore = totals[1];
            final long cachedBefore = totals[3];
            final long cachedBytesBefore = totals[4];
            try {
                if (Files.exists(taken, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    own.settle(); // a transfer the dead process left under the allocator's lock is finished first
                    Ledger.read(taken, (owner, classIndex, segmentId, blocks) -> {
                        // Then its cached free blocks (a block it was allocating is one or the other, never both).
                        final int back = segment(segmentId).reclaimCached(owner, classIndex, blocks);
                        totals[3] += back;
                        totals[4] += (long) back << (6 + classIndex);
                    }, entry -> {
                        if (release(entry, device.holder())) {
                            totals[0]++;
                            totals[1] += entry.size();
                        } else if (entry.managed() && halfway(entry)) {
                            totals[3]++;
                            totals[4] += entry.size();
                        } else {
                            totals[2]++;
                            LOG.log(System.Logger.Level.INFO, () -> "session " + session.shmId() + ": left an entry of"
                                    + " dead pid " + device.pid() + " (holder id " + device.holder() + "): " + entry
                                    + (entry.managed() ? ", holder word " + holderWord(entry) : ""));
                        }
                    });
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot read the ledger of dead pid " + device.pid() + ": " + e);
            }
            if (taken.getFileName().toString().endsWith(RECLAIM_SUFFIX)) {
                ShmFiles.deleteQuietly(taken); // never the slot's own name: a new factory may have its ledger there by now
            }
            regions.destroyRegionsOf(device.pid());
            if (totals[0] > before || totals[3] > cachedBefore) {
                LOG.log(System.Logger.Level.INFO, "session " + session.shmId() + ": reclaimed " + (totals[0] - before)
                        + " payloads (" + (totals[1] - bytesBefore) + " bytes) and " + (totals[3] - cachedBefore)
                        + " cached free blocks (" + (totals[4] - cachedBytesBefore) + " bytes) of dead pid "
                        + device.pid() + " (device slot " + device.slot() + ")");
            }
        }
        return new Reclaimed(devices, (int) totals[0], totals[1], (int) totals[2]);
    }

    /** Ends the private name a reclaiming factory gives a dead device's ledger. */
    private static final String RECLAIM_SUFFIX = "-r";

    /**
     * @return the ledger of {@code device} renamed to this process's private name (ending {@link #RECLAIM_SUFFIX}),
     * the slot's own name when it had no ledger, or null when the device is not ours to reclaim
     */
    private Path take(final Session.DeadDevice device) {
        final Path ledgerFile = ShmFiles.ledger(session.directory(), session.shmId(), device.slot());
        final Path taken = ledgerFile.resolveSibling(ledgerFile.getFileName() + "_reclaim_" + ProcessIdentity.PID
                + RECLAIM_SUFFIX);
        session.lock().lock();
        try {
            if (!session.freeDeadDevice(device)) {
                return null;
            }
            try {
                Files.move(ledgerFile, taken, StandardCopyOption.ATOMIC_MOVE);
                return taken;
            } catch (NoSuchFileException e) {
                return ledgerFile; // it died before it had a ledger, or after it deleted it: nothing to read
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot take the ledger " + ledgerFile + ": " + e);
            return null;
        } finally {
            session.lock().unlock();
        }
    }

    /** @return the holder word of a managed entry's block as generation/id, for a log line */
    private String holderWord(final Ledger.Entry entry) {
        try {
            final ManagedSegment segment = segment(entry.id());
            segment.checkHandle(entry.handle());
            final long word = segment.holder(entry.handle());
            return Holder.generation(word) + "/" + Integer.toHexString(Holder.id(word));
        } catch (RuntimeException e) {
            return "unreadable (" + e.getMessage() + ")";
        }
    }

    /** @return whether the entry's block was caught between its dead owner's cache and a message, and came back */
    private boolean halfway(final Ledger.Entry entry) {
        try {
            return entry.hint() != 0 && segment(entry.id()).reclaimHalfway(entry.handle(), entry.hint());
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Releases a dead device's recorded reference to a managed block by its holder word: a block it held alone
     * (its holder id) or was handing over (the in-flight id its entry names) only after winning the CAS to
     * {@link Holder#RECLAIMED}, so that a consumer that took it first keeps it; a shared block by its count; one that
     * somebody else holds is skipped (the dead device was receiving it and lost, or had passed it on).
     */
    private boolean releaseHeld(final ManagedSegment segment, final Ledger.Entry entry, final int holder) {
        final long block = entry.handle();
        while (true) {
            final long word = segment.holder(block);
            final int id = Holder.id(word);
            if (Holder.generation(word) != entry.hint()) {
                return false;
            }
            if (id == Holder.SHARED || id == 0) {
                segment.release(block); // counted (0: written by a factory without a holder id)
                return true;
            }
            final boolean mine = id == holder && holder != 0
                    || Holder.inFlightId(id) && entry.shared() == (id & 0xFFFFFFFFL);
            if (!mine) {
                return false;
            }
            if (segment.replaceHolder(block, word, Holder.word(entry.hint(), Holder.RECLAIMED))) {
                if (entry.unit()) {
                    reclaimParts(segment, entry);
                }
                segment.release(block);
                return true;
            }
        }
    }

    /**
     * The parts of a unit whose descriptor a dead receiver took ({@code entry}, marked {@link LedgerLayout#UNIT})
     * that are still in flight with the unit's id: it died before it took them, and the sender forgot them at its
     * publish, so they are taken (to {@code RECLAIMED}) and released here. Parts it took are its own entries'.
     */
    private void reclaimParts(final ManagedSegment segment, final Ledger.Entry entry) {
        final List<MetaHeader> parts;
        try {
            final long offset = segment.checkedDataOffset(entry.handle(), entry.size(), entry.hint());
            parts = MultipartLayout.read(segment.memory().asSlice(offset, entry.size()));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot read the multipart descriptor of a dead receiver: " + entry
                    + ": " + e.getMessage());
            return;
        }
        reclaimInFlight(parts, (int) entry.shared());
    }

    /** Takes (to {@code RECLAIMED}) and releases every part whose holder word is still {@code inFlight}. */
    private void reclaimInFlight(final List<MetaHeader> parts, final int inFlight) {
        for (final MetaHeader part : parts) {
            try {
                if (!part.managed() || part.size() == 0) {
                    continue;
                }
                final ManagedSegment of = segment(part.segmentId());
                of.checkHandle(part.handle());
                if (of.replaceHolder(part.handle(), Holder.word(part.hint(), inFlight),
                        Holder.word(part.hint(), Holder.RECLAIMED))) {
                    of.release(part.handle());
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot reclaim a part in flight " + part + " of a unit: "
                        + e.getMessage());
            }
        }
    }

    /** Releases one recorded reference of the device whose holder id is {@code holder}; @return false when skipped */
    private boolean release(final Ledger.Entry entry, final int holder) {
        try {
            if (entry.managed()) {
                final ManagedSegment segment = segment(entry.id());
                // The generation proves the block is still the one recorded: never release a reused block.
                segment.checkedDataOffset(entry.handle(), 0, entry.hint() == 0 ? -1 : entry.hint());
                return releaseHeld(segment, entry, holder);
            }
            final RegionView view = region(entry.id());
            if (entry.shared() != MetaHeader.NOT_SHARED && !own.release(entry.shared())) {
                return true; // another holder of the shared range acknowledges it
            }
            if (!view.ring().hasRoom()) {
                return false; // its creator does not drain (dead too?): never wait here
            }
            view.ring().offer(entry.handle(), entry.size(), entry.hint());
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }


    /** Forgets the cached view of a region this factory destroyed (called by {@link Regions}). */
    public void evict(final RegionView view) {
        SLOTS.compareAndExchangeRelease(regionSlots, view.id(), view, null);
    }

    // ---------------------------------------------------------------------------------------------------------
    // close

    /** The first step of the factory's close: new calls throw {@link TransportClosedException}. */
    public void markClosed() {
        closed = true;
    }

    /**
     * Frees the large blocks whose frees this factory's stripes deferred (see {@code OpenMessages}), not those they
     * allocated ahead: called when a receive finds nothing; one volatile load when there are none.
     */
    public void flushDeferred() {
        openMessages.flushFrees();
    }

    /**
     * Frees the large blocks the stripes hold back (deferred frees, blocks allocated ahead) for {@code minAgeNanos}
     * or longer: the duty cycle's beat.
     */
    public void flushHeld(final long minAgeNanos) {
        openMessages.flushHeld(minAgeNanos);
    }

    /** @return the ledger entries that record deferred frees (part of {@link #recordedReferences()}) */
    public int deferredFrees() {
        return openMessages.deferredEntries();
    }

    /**
     * @return the spare blocks the stripes keep, live and recorded, for their next small allocations (part of
     * {@link #recordedReferences()})
     */
    public int spareBlocks() {
        return openMessages.spareBlocks();
    }

    /** @return the spare blocks the stripes lent to open messages, unlisted (a count for tests and diagnostics) */
    public int lentBlocks() {
        return openMessages.lentBlocks();
    }

    /** @return the ledger entries that record blocks allocated ahead (part of {@link #recordedReferences()}) */
    public int blocksAhead() {
        return openMessages.aheadEntries();
    }

    /** Releases every message still open; the regions then receive their acknowledgements while they linger. */
    public void releaseOpenMessages() {
        openMessages.releaseAll();
        openMessages.drainCaches();
    }

    /** Deletes this factory's ledger; its open messages are released (every entry is clear). */
    public void closeLedger() {
        ledger.close();
    }

    /** The last step of the factory's close: unmaps every segment and every region view. */
    public synchronized void unmap() {
        for (int i = 0; i < segmentSlots.length; i++) {
            final Object segment = SLOTS.getAndSet(segmentSlots, i, null);
            if (segment != null) {
                ((ManagedSegment) segment).close();
            }
            final Object view = SLOTS.getAndSet(regionSlots, i, null);
            if (view != null) {
                ((RegionView) view).close();
            }
        }
        attached.forEach(RegionView::close);
        attached.clear();
    }
}
