package io.shmq.transport.shmem.internal.mapping;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportKind;
import io.shmq.transport.shmem.internal.region.RegionView;
import io.shmq.transport.shmem.internal.ring.SocketRing;
import io.shmq.transport.shmem.internal.segment.Holder;
import io.shmq.transport.shmem.internal.segment.ManagedSegment;
import java.lang.foreign.MemorySegment;

/**
 * A message of the shared-memory factory. Three states: empty (no payload), managed (a block of a managed segment,
 * reference counted in the block header) and region (a range of an unmanaged region; a copy shares a reference
 * count kept in a small managed block whose handle travels in {@link MetaHeader#shared()}). Used by one thread at
 * a time, as the API says.
 */
public final class ShmemMessage implements SharedMemoryMessage {
    private final SessionMappings mappings;
    private ManagedSegment segment;
    private RegionView region;
    private long handle = -1;
    private long dataOffset;
    private long size;
    /** A region message's hint; a managed message's block generation once known (0 until then: never a generation). */
    private long hint;
    private long shared = MetaHeader.NOT_SHARED;
    private boolean closed;
    /** Set by the factory's close when it released this message's payload. */
    private volatile boolean orphaned;
    /**
     * Links of {@link OpenMessages}, guarded by the stripe's lock (read before taking it, then checked again under
     * it: a message is used by one thread at a time, and only the factory's close clears it from another).
     */
    OpenMessages.Stripe stripe;
    ShmemMessage prevOpen;
    /**
     * The serial under which {@link #stripe} lent this message its spare block, unlisted ({@code OpenMessages.lend}),
     * or 0 when the message is listed or holds nothing; guarded like the links. While it is not 0, the factory's close
     * releases the block through the stripe and this message reads as orphaned once the stripe's serial moved on.
     */
    long lent;
    /** This message's entry in the factory's ledger, -1 when none (guarded by the stripe's lock). */
    int ledgerEntry = -1;
    /**
     * Whether the managed block came from a header (a receive, an adopt, a copy) rather than from this message's own
     * allocation: only such a block's free may be deferred ({@code OpenMessages}), for a process that frees what
     * another allocates meets that one on the segment's lock at every free.
     */
    boolean received;
    /**
     * The size class of the small block this message allocated itself while nothing outside the message has seen its
     * handle (no header made, no hand-over begun, no copy, no move), else -1: the free of such a block may keep it,
     * live and recorded, as its stripe's spare for the next allocation of the class ({@code OpenMessages}), for no
     * header of it can be stale. Guarded like the links.
     */
    int spareClass = -1;
    /**
     * The reference this message shares with copies in this process, or null when it holds one of its own (see
     * {@link OpenMessages.Share}); its entry is then the share's and {@link #ledgerEntry} is -1.
     */
    OpenMessages.Share share;
    ShmemMessage nextOpen;

    ShmemMessage(final SessionMappings mappings) {
        this.mappings = mappings;
    }

    /** @return the mappings of the factory this message belongs to */
    public SessionMappings mappings() {
        return mappings;
    }

    /** Takes ownership of a managed block (one reference) whose payload starts at the checked {@code offset}. */
    void setManaged(final ManagedSegment value, final long block, final long payload, final long offset) {
        takeAllocated(value, block, payload, offset);
        received = true;
        mappings.openMessages().add(this);
    }

    /** Takes a block {@link OpenMessages} allocated, recorded and registers itself (under the stripe's lock). */
    void takeAllocated(final ManagedSegment value, final long block, final long payload, final long offset) {
        this.segment = value;
        this.region = null;
        this.handle = block;
        this.dataOffset = offset;
        this.size = payload;
        this.shared = MetaHeader.NOT_SHARED;
        this.hint = 0; // the generation, read when first asked ({@link #generation})
        this.received = false;
        this.spareClass = -1;
    }

    /** @return the payload's offset from the block header (a managed message) */
    long userOffset() {
        return dataOffset - handle;
    }

    /**
     * @return the generation of the managed block this message holds, read from the block once (it changes only when
     * the block is allocated again, never while a message holds it)
     */
    long generation() {
        long generation = hint;
        if (generation == 0) {
            generation = segment.generation(handle);
            hint = generation;
        }
        return generation;
    }

    /** Notes the generation of the managed block just taken, known to the caller (an allocation, a claim). */
    void knownGeneration(final long generation) {
        hint = generation;
    }

    /**
     * Writes the record of this message's hand-over (a single managed block put in flight by {@link #beginHandover})
     * into the claimed record at {@code position} of {@code ring}, with no {@link MetaHeader} made on the way.
     */
    public void writeHandover(final SocketRing ring, final long position, final int correlation, final int nonce) {
        spareClass = -1;
        ring.writeHandover(position, correlation, nonce, size, generation(), handle, segment.id());
    }

    ManagedSegment managedSegment() {
        return segment;
    }

    long managedHandle() {
        return handle;
    }

    /** Sets the fields of a region message without registering it (a copy that joins a share). */
    void takeRange(final RegionView value, final long offset, final long payload, final long hintValue,
                   final long sharedHandle) {
        this.segment = null;
        this.region = value;
        this.handle = offset;
        this.size = payload;
        this.hint = hintValue;
        this.shared = sharedHandle;
    }

    /** @return a region message's shared counter ({@link MetaHeader#NOT_SHARED} when none, or managed) */
    long regionShared() {
        return region == null ? MetaHeader.NOT_SHARED : shared;
    }

    /** A region message takes its share's counter with its reference (under its stripe's lock). */
    void takeShared(final long counter) {
        if (region != null) {
            shared = counter;
        }
    }

    /** Writes a share's entry for this message's range with {@code counter} (under the share's stripe lock). */
    void recordRange(final Ledger ledger, final int entry, final long counter) {
        ledger.region(entry, region.id(), handle, size, hint, counter);
    }

    /**
     * Releases one reference to this message's region range (its entry is gone): a count of its shared counter,
     * and the acknowledgement to the region's creator when that was the last (or without a counter).
     */
    void releaseRange(final long counter) {
        rangeAcknowledgement(counter).run();
    }

    /** @return what acknowledges this message's range to its creator, for a count dropped elsewhere */
    Runnable rangeAcknowledgement() {
        return rangeAcknowledgement(MetaHeader.NOT_SHARED);
    }

    /** @return what drops a count of {@code counter} and acknowledges the range when it was the last, or none */
    private Runnable rangeAcknowledgement(final long counter) {
        final RegionView r = region;
        final long h = handle;
        final long used = size;
        final long hintValue = hint;
        return () -> {
            try {
                if (counter == MetaHeader.NOT_SHARED || mappings.ownSegment().release(counter)) {
                    r.ring().offer(h, used, hintValue);
                }
            } catch (IllegalStateException e) {
                // The factory closed and unmapped the segment: the session reclaims everything when it ends.
            }
        };
    }

    /** Takes ownership of one reference to a region range. */
    public void setRegion(final RegionView value, final long offset, final long payload, final long hintValue,
                   final long sharedHandle) {
        takeRange(value, offset, payload, hintValue, sharedHandle);
        mappings.openMessages().add(this);
    }

    private void checkOpen() {
        if (closed) {
            throw new TransportClosedException("message is closed");
        }
        if (orphaned()) {
            throw new TransportClosedException("message was released when its factory closed");
        }
    }

    @Override
    public MemorySegment data() {
        checkOpen();
        if (segment != null) {
            return size == 0 ? MemorySegment.NULL : segment.memory().asSlice(dataOffset, size);
        }
        if (region != null) {
            return region.data().asSlice(handle, size);
        }
        return MemorySegment.NULL;
    }

    @Override
    public long size() {
        checkOpen();
        return size;
    }

    @Override
    public void setUsedSize(final long value) {
        checkOpen();
        if (value < 0 || value > size) {
            throw new IllegalArgumentException("used size must be in [0, " + size + "]: size=" + value);
        }
        size = value;
    }

    @Override
    public void rebuild() {
        checkOpen();
        releasePayload();
    }

    @Override
    public void rebuild(final long value) {
        rebuild(value, 0);
    }

    @Override
    public void rebuild(final long value, final long alignment) {
        checkOpen();
        releasePayload();
        mappings.allocateInto(this, value, alignment);
    }

    @Override
    public Message copy() {
        checkOpen();
        try {
            return copyOwned();
        } catch (RuntimeException e) {
            throw mappings.failure("copy", e);
        }
    }

    private Message copyOwned() {
        spareClass = -1; // shared, or its header goes to the copy
        final ShmemMessage copy = new ShmemMessage(mappings);
        if (segment != null) {
            final OpenMessages open = mappings.openMessages();
            if (open.recording()) {
                // A copy in this process shares this message's reference: nothing in shared memory changes.
                copy.takeAllocated(segment, handle, size, dataOffset);
                if (!open.copyShared(this, copy)) {
                    throw new TransportClosedException("message was released when its factory closed");
                }
                return copy;
            }
            segment.retain(handle);
            copy.setManaged(segment, handle, size, dataOffset);
        } else if (region != null) {
            final OpenMessages open = mappings.openMessages();
            if (open.recording()) {
                // As a managed copy: it shares this message's reference to the range (no shared counter).
                copy.takeRange(region, handle, size, hint, shared);
                if (!open.copyShared(this, copy)) {
                    throw new TransportClosedException("message was released when its factory closed");
                }
                return copy;
            }
            countedRangeCopy(copy);
        }
        return copy;
    }

    /**
     * Gives {@code copy} a counted reference of its own to this message's region range: the range's shared counter
     * (made at the first such copy) counts one more, and the copy has its own entry.
     */
    private void countedRangeCopy(final ShmemMessage copy) {
        final ManagedSegment counters = mappings.ownSegment();
        if (shared == MetaHeader.NOT_SHARED) {
            shared = mappings.allocateBlock(0, 0);
            mappings.openMessages().rerecord(this);
        }
        counters.retain(shared);
        copy.setRegion(region, handle, size, hint, shared);
    }

    /**
     * A copy with a reference of its own, counted in the block header and recorded in its own ledger entry, for a
     * copy that goes to another process at once (a publish to each subscriber). A kill between the count and the
     * entry leaks that reference.
     *
     * @return the copy
     */
    public ShmemMessage copyCounted() {
        spareClass = -1;
        checkOpen();
        try {
            final ShmemMessage copy = new ShmemMessage(mappings);
            if (segment != null) {
                segment.retain(handle);
                copy.setManaged(segment, handle, size, dataOffset);
            } else if (region != null) {
                if (share != null) {
                    mappings.openMessages().unshare(this); // the counter goes with a reference of its own
                }
                countedRangeCopy(copy);
            }
            return copy;
        } catch (RuntimeException e) {
            throw mappings.failure("copy", e);
        }
    }

    @Override
    public TransportKind kind() {
        return TransportKind.SHMEM;
    }

    @Override
    public MetaHeader meta() {
        checkOpen();
        if (segment != null) {
            spareClass = -1; // its handle is out: the block's next allocation must change its generation
            // hint: the block's generation (FairMQ leaves it 0 for managed messages), so a stale header is refused
            return new MetaHeader(size, generation(), handle, MetaHeader.NOT_SHARED, 0, segment.id(), true);
        }
        if (region != null) {
            final OpenMessages.Share s = share;
            return new MetaHeader(size, hint, handle, s == null ? shared : s.shared(), region.id(), 0, false);
        }
        return new MetaHeader(0, 0, -1, MetaHeader.NOT_SHARED, 0, 0, true);
    }

    /**
     * Gives up ownership without releasing: the returned header carries this message's reference to whoever
     * adopts it ({@link SessionMappings#adopt}), like a send. Leaves the message empty.
     *
     * @return the header that now owns the reference
     */
    public MetaHeader detach() {
        unshare();
        markCounted();
        final MetaHeader meta = meta();
        handedOver();
        return meta;
    }

    /**
     * After the publish of a hand-over ({@link #beginHandover}): the record owns the block now; the message forgets
     * it and its ledger entry goes, as a {@link #detach} would, without building a header nobody reads.
     */
    public void handedOver() {
        if (!holdsPayload()) {
            return; // an empty part of a unit: nothing went
        }
        if (!mappings.openMessages().remove(this)) {
            clear();
            throw new TransportClosedException("message was released when its factory closed");
        }
        clear();
    }

    private void clear() {
        spareClass = -1;
        segment = null;
        region = null;
        handle = -1;
        size = 0;
        hint = 0;
        shared = MetaHeader.NOT_SHARED;
    }

    private void releasePayload() {
        if (!holdsPayload()) {
            return;
        }
        if (segment != null) {
            try {
                mappings.openMessages().releaseManaged(this);
            } catch (IllegalStateException e) {
                // The factory closed and unmapped the segment: the session reclaims everything when it ends.
            }
            clear(); // released here, or by the factory's close before
            return;
        }
        if (!mappings.openMessages().remove(this)) {
            clear(); // the factory closed and released the payload
            return;
        }
        releaseOwned();
    }

    /**
     * Gives a copy that shares its process's reference one of its own ({@link OpenMessages#unshare}), before its
     * header goes to another party (a send writes it into a ring, a detach returns it): a region range's header then
     * names the shared counter the copy counts on. Nothing for a message that holds its own reference.
     */
    public void unshare() {
        if (share != null) {
            mappings.openMessages().unshare(this);
        }
    }

    /**
     * Just before a send publishes this message's header: see {@link OpenMessages#unrecord}. The send unshared the
     * message ({@link #unshare}) before it wrote the header, so the entry cleared here is the message's own.
     */
    public void beforePublish() {
        markCounted();
        mappings.openMessages().unrecord(this);
    }

    /**
     * Writes this message's payload into the claimed record at {@code position} of {@code ring} as an inline record
     * (see {@link io.shmq.transport.shmem.internal.ring.SocketRingLayout#INLINE_BYTES}) when it is a managed block of
     * 1 to {@code limit} bytes; after the publish {@link #rebuild()} releases the block (in this process: nothing
     * travels but the record).
     *
     * @return false when the message does not go inline (a region range, empty, or larger than {@code limit})
     */
    public boolean writeInline(final SocketRing ring, final long position, final int correlation, final int limit) {
        if (segment == null || size < 1 || size > limit) {
            return false;
        }
        ring.writeInline(position, correlation, segment.memory(), dataOffset, size);
        return true;
    }

    /**
     * @return whether this message holds the only reference to a managed block of exactly {@code size} bytes, held by
     * this process alone (its holder word), so that an inline receive may copy into it in place instead of freeing
     * it and allocating the same again
     */
    boolean holdsOnly(final long size) {
        return segment != null && this.size == size && share == null && stripe != null && !closed && !orphaned()
                && segment.exclusive(handle) && segment.holder(handle) == segment.ownHolderOf(generation());
    }

    /** Copies an inline record's payload into this message's block (given by {@link SessionMappings#copyInline}). */
    void copyInline(final SocketRing.Entry record) {
        record.copyInline(segment.memory(), dataOffset);
    }

    /**
     * Starts handing this message's block over to a ring record (a send of one managed block,
     * {@link OpenMessages#beginHandover}).
     *
     * @param nonce the record's hand-over nonce (its in-flight holder id is {@link Holder#inFlight} of it)
     * @return whether the block is in flight now (false: it is shared, a region range or empty, or this process
     * does not hold its only reference: the send takes the ordinary way)
     */
    public boolean beginHandover(final int nonce) {
        spareClass = -1;
        return segment != null && share == null
                && mappings.openMessages().beginHandover(this, Holder.inFlight(nonce));
    }

    /** After a publish that failed, for a block {@link #beginHandover} put in flight: this process holds it again. */
    public void handoverFailed(final int nonce) {
        mappings.openMessages().handoverFailed(this, Holder.inFlight(nonce));
    }

    /**
     * Before this message's header goes to another party the ordinary way (an ordinary send, a detach): a block this
     * process held alone by its holder word becomes {@code Holder.SHARED}, so that the receiver's survivor releases
     * it by its count, as it would a shared block. One CAS that fails harmlessly when the block was handed over (its
     * word is then in flight or the receiver's) or is shared already.
     */
    void markCounted() {
        spareClass = -1;
        final ManagedSegment s = segment;
        if (s != null) {
            final long own = s.ownHolderOf(generation());
            if (s.holder(handle) == own) { // a load first: no locked instruction on a word in flight or shared
                s.replaceHolder(handle, own, Holder.word(Holder.generation(own), Holder.SHARED));
            }
        }
    }

    /** Empties the message without releasing anything (its reference went elsewhere; the caller unlinked it). */
    void forget() {
        clear();
    }

    /** @return whether this message holds a payload (a managed block or a region range) */
    public boolean holdsPayload() {
        return segment != null || region != null;
    }

    /** @return whether the factory's close released this message's payload (listed, or the block its stripe lent) */
    boolean orphaned() {
        return orphaned || lent != 0 && !stripe.lentTo(lent);
    }

    /** Empties and closes the message without releasing anything (a message nobody else sees). */
    void discard() {
        clear();
        closed = true;
    }

    /**
     * Takes the payload of {@code source}, which ends empty and closed ({@link OpenMessages#move}: the caller moved
     * its registration and ledger entry).
     */
    void takeFrom(final ShmemMessage source) {
        segment = source.segment;
        region = source.region;
        handle = source.handle;
        dataOffset = source.dataOffset;
        size = source.size;
        hint = source.hint;
        shared = source.shared;
        received = source.received;
        spareClass = -1;
        source.discard();
    }

    /** After a publish that failed: the message keeps its payload, recorded again. */
    public void publishFailed() {
        mappings.openMessages().rerecord(this);
    }

    /** Writes this message's payload reference into ledger entry {@code entry} (under the stripe's lock). */
    void record(final Ledger ledger, final int entry) {
        if (segment != null) {
            ledger.managed(entry, segment.id(), handle, size, segment.generation(handle));
        } else if (region != null) {
            ledger.region(entry, region.id(), handle, size, hint, shared);
        }
    }

    /** The factory's close releases this message; the caller has unlinked it from {@link OpenMessages}. */
    void releaseByFactory() {
        orphaned = true;
        releaseOwned();
    }

    /** The factory's close took this message's part of a share (the caller has unlinked it): it is empty now. */
    void orphanByFactory() {
        orphaned = true;
        clear();
    }

    /** Releases the payload; the caller has unlinked the message from {@link OpenMessages}. */
    private void releaseOwned() {
        final ManagedSegment s = segment;
        final long h = handle;
        final Runnable range = region == null ? null : rangeAcknowledgement(shared);
        clear();
        if (range != null) {
            range.run();
            return;
        }
        if (s != null) {
            releaseBlock(s, h);
        }
    }

    /**
     * The factory's close releases this process's reference to {@code block}, which a message held: not a block a
     * send put in flight (it belongs to its ring record now: its consumer, or the binder's drain).
     */
    static void releaseBlock(final ManagedSegment s, final long block) {
        try {
            if (!Holder.inFlightId(Holder.id(s.holder(block)))) {
                s.release(block);
            }
        } catch (IllegalStateException e) {
            // The factory closed and unmapped the segment: the session reclaims everything when it ends.
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        releasePayload();
    }
}
