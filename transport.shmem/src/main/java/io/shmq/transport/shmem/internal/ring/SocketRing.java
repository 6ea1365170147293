package io.shmq.transport.shmem.internal.ring;

import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.shmem.internal.os.Doorbell;
import io.shmq.transport.shmem.internal.os.Native;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.concurrent.locks.LockSupport;

import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.CAPACITY_H;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.KIND_CORRELATION_H;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.KIND_CORRELATION_OFFSET;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.META_HANDLE_H;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.META_HINT_H;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.META_IDS_H;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.META_IDS_OFFSET;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.META_SHARED_H;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.META_SIZE_H;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.correlationOf;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.ids;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.kindCorrelation;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.kindOf;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.managedOf;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.regionIdOf;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.segmentIdOf;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.RECORDS_OFFSET;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.RECORD_BYTES;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.TOPIC_COUNT_H;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.TOPIC_LENGTH_H;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.TOPIC_SEQ_H;

/**
 * A view of one {@link SocketRingLayout} ring inside an endpoint mapping. Producers {@link #tryClaim}, {@link #write}
 * and {@link #publish}; consumers {@link #poll} (the protocol is {@link SequencedRing}'s). Blocking is the caller's:
 * {@link #awaitNotEmpty} and {@link #awaitNotFull} sleep on the ring's futex words for at most a slice, and wakers
 * issue {@code FUTEX_WAKE} only when a sleeper armed the doorbell since its last ring ({@link Doorbell}).
 */
public final class SocketRing extends SequencedRing<SocketRing.Entry> {
    /**
     * How long a claimed but unpublished record (or a consumed but unreleased one) may block the ring before it is
     * skipped: a process that died between the two steps would otherwise wedge it (Agrona's {@code unblock()}).
     */
    public static final long UNBLOCK_NANOS = 2_000_000_000L;
    /** How often a publisher rereads a topic table that changes under it before it gives up on that subscriber. */
    private static final int TOPIC_RETRIES = 100_000;
    /** The longest sleep while a process without the futex downcall is attached: it cannot wake anyone. */
    private static final long PARKER_SLICE_NANOS = 1_000_000L;
    /** How long a consumer naps behind a head record another consumer took and has not moved past yet. */
    private static final long BLOCKED_NAP_NANOS = 50_000L;

    /**
     * A consumed record: {@code count} 1 for one message, 0 for a multipart descriptor; {@code correlation} a req's
     * request number (0 for other sockets); {@code nonce} the hand-over nonce of a record that hands its managed
     * block over through the block's holder word ({@code Holder}), -1 for an ordinary record; and the fields of the
     * record's {@link MetaHeader}.
     *
     * <p>Each ring view has one, which every {@link #poll} overwrites: a receive allocates no body (a record read as
     * a {@link MetaHeader} and a record object cost 80 bytes a message). It is read before the view's next poll, by
     * the one thread that polls the view ({@link SequencedRing} views are not thread-safe); {@link #meta()} makes the
     * header an object for the paths that keep it.
     */
    public static final class Entry {
        private int count;
        private int correlation;
        private int nonce;
        private long size;
        private long hint;
        private long handle;
        private long shared;
        private int regionId;
        private int segmentId;
        private boolean managed;
        /** An inline record's payload: its offset in the ring's mapping ({@link #memory}), or -1. */
        private long inlineAt = -1;
        private final MemorySegment memory;

        Entry(final MemorySegment memory) {
            this.memory = memory;
        }

        /** @return whether the record carries its payload itself (then {@link #size} is its length) */
        public boolean inline() {
            return inlineAt >= 0;
        }

        /**
         * Copies an inline record's payload to {@code target} at {@code offset}: while the record is at the ring's
         * head (in a {@link SequencedRing.Claim}), so that the copy is the record's when the head's CAS then wins.
         */
        public void copyInline(final MemorySegment target, final long offset) {
            MemorySegment.copy(memory, inlineAt, target, offset, size);
        }

        /** @return 1 for one message, 0 for a multipart unit's descriptor */
        public int count() {
            return count;
        }

        /** @return a req's request number, 0 for other sockets */
        public int correlation() {
            return correlation;
        }

        /** @return the hand-over nonce, -1 for an ordinary record */
        public int nonce() {
            return nonce;
        }

        /** @return whether the record hands its block over by the holder word's CAS */
        public boolean handover() {
            return nonce >= 0;
        }

        /** @return the header's payload size */
        public long size() {
            return size;
        }

        /** @return the header's hint (a managed block's generation) */
        public long hint() {
            return hint;
        }

        /** @return the header's handle */
        public long handle() {
            return handle;
        }

        /** @return the header's segment id */
        public int segmentId() {
            return segmentId;
        }

        /** @return whether the header names a managed block */
        public boolean managed() {
            return managed;
        }

        /** @return the record's header as an object */
        public MetaHeader meta() {
            return new MetaHeader(size, hint, handle, shared, regionId, segmentId, managed);
        }

        @Override
        public String toString() {
            return "Entry[count=" + count + ", correlation=" + correlation + ", nonce=" + nonce + ", meta=" + meta()
                    + "]";
        }
    }

    /** The kind word's bit of a hand-over record; its nonce sits above it. */
    private static final int HANDOVER = 2;
    /** The kind word's bit of an inline record (without {@link #HANDOVER}); its size sits in bits 8-15. */
    private static final int INLINE = 4;
    /** The bits of a hand-over nonce (30). */
    public static final int NONCE_MASK = 0x3FFFFFFF;

    private final long base;
    /** The body every poll of this view fills ({@link Entry}). */
    private final Entry body;
    /** Rung on publish and consumer attach: something may be there to poll. */
    private final Doorbell notEmpty;
    /** Rung on release and peer attach: a record may be free, a consumer may be there. */
    private final Doorbell notFull;

    /**
     * @param memory the endpoint mapping
     * @param base   the ring's offset in it; its capacity is read from there and checked against the mapping
     * @param what   names the ring in errors
     */
    public SocketRing(final MemorySegment memory, final long base, final String what) {
        super(memory, base + SocketRingLayout.CURSORS_OFFSET, base + RECORDS_OFFSET, RECORD_BYTES,
                (int) CAPACITY_H.get(memory, base), UNBLOCK_NANOS,
                (int) SocketRingLayout.SINGLE_H.get(memory, base) == 1, what);
        this.base = base;
        this.body = new Entry(memory);
        // A single producer publishes with a release store (SequencedRing.publish): its sleepers fence for it.
        this.notEmpty = new Doorbell(memory, base + SocketRingLayout.NOT_EMPTY_OFFSET,
                base + SocketRingLayout.EMPTY_WAITERS_OFFSET, single());
        this.notFull = new Doorbell(memory, base + SocketRingLayout.NOT_FULL_OFFSET,
                base + SocketRingLayout.FULL_WAITERS_OFFSET);
    }

    /** Formats a fresh ring of any number of producers at {@code base}; the memory is zero (a new file). */
    public static void format(final MemorySegment memory, final long base, final int capacity) {
        format(memory, base, capacity, false);
    }

    /**
     * Formats a fresh ring at {@code base}; the memory is zero (a new file).
     *
     * @param single true for a ring that one producer writes by construction (the single-producer protocol of
     *               {@link SequencedRing}): the caller refuses every other producer
     */
    public static void format(final MemorySegment memory, final long base, final int capacity, final boolean single) {
        CAPACITY_H.set(memory, base, capacity);
        SocketRingLayout.SINGLE_H.set(memory, base, single ? 1 : 0);
        formatSequences(memory, base + RECORDS_OFFSET, RECORD_BYTES, capacity);
    }

    /** Counts attached producers (volatile add). */
    public void addProducers(final int delta) {
        SocketRingLayout.PRODUCERS_H.getAndAdd(memory, base, delta);
        signalNotFull();
    }

    /** Counts attached consumers (volatile add). */
    public void addConsumers(final int delta) {
        SocketRingLayout.CONSUMERS_H.getAndAdd(memory, base, delta);
        signalNotFull();
        signalNotEmpty();
    }

    /**
     * Counts attached sockets of processes without the futex downcall: they cannot wake sleepers, so while any is
     * attached, waiters sleep at most {@link #PARKER_SLICE_NANOS} at a time.
     */
    public void addParkers(final int delta) {
        SocketRingLayout.PARKERS_H.getAndAdd(memory, base, delta);
    }

    private long slice(final long nanos) {
        return (int) SocketRingLayout.PARKERS_H.getVolatile(memory, base) > 0
                ? Math.min(nanos, PARKER_SLICE_NANOS) : nanos;
    }

    /** @return the attached consumers */
    public int consumers() {
        return (int) SocketRingLayout.CONSUMERS_H.getVolatile(memory, base);
    }

    /** Claims the owner word of a subscriber slot (0 = free). */
    public boolean claimOwner(final int owner) {
        return SocketRingLayout.OWNER_H.compareAndSet(memory, base, 0, owner);
    }

    /** @return the owner word of a peer slot: the holder's pid, 0 when free */
    public int owner() {
        return (int) SocketRingLayout.OWNER_H.getVolatile(memory, base);
    }

    /** Takes the slot of a holder that died (CAS of the owner word). */
    public boolean replaceOwner(final int holder, final int next) {
        return SocketRingLayout.OWNER_H.compareAndSet(memory, base, holder, next);
    }

    /** Frees the owner word. */
    public void releaseOwner() {
        SocketRingLayout.OWNER_H.setVolatile(memory, base, 0);
    }

    /**
     * The subscriber's side of the topic table: replaces its prefixes under the ring's seqlock (odd while writing).
     *
     * @param prefixes at most {@link SocketRingLayout#MAX_TOPICS}, each at most
     *                 {@link SocketRingLayout#TOPIC_BYTES} bytes
     */
    public void writeTopics(final List<byte[]> prefixes) {
        if (prefixes.size() > SocketRingLayout.MAX_TOPICS) {
            throw new IllegalArgumentException("too many topic prefixes: count=" + prefixes.size() + ", maximum="
                    + SocketRingLayout.MAX_TOPICS);
        }
        // Even when settled (a writer that died half-way left it odd: start from the even below).
        final int seq = (int) TOPIC_SEQ_H.getVolatile(memory, base) & ~1;
        TOPIC_SEQ_H.setVolatile(memory, base, seq + 1);
        VarHandle.storeStoreFence(); // the table's stores stay after the odd mark
        final long topics = base + SocketRingLayout.TOPICS_OFFSET;
        for (int i = 0; i < prefixes.size(); i++) {
            final byte[] prefix = prefixes.get(i);
            TOPIC_LENGTH_H.set(memory, topics, (long) i, prefix.length);
            MemorySegment.copy(prefix, 0, memory, ValueLayout.JAVA_BYTE, topics + i * SocketRingLayout.TOPIC
                    .byteSize() + SocketRingLayout.PREFIX_IN_TOPIC, prefix.length);
        }
        TOPIC_COUNT_H.set(memory, base, prefixes.size());
        TOPIC_SEQ_H.setRelease(memory, base, seq + 2);
    }

    /**
     * The publisher's side of the topic table: whether a unit whose first part is {@code first} goes to this
     * subscriber (ZeroMQ's rule: one of its prefixes starts the part; the empty prefix matches everything). Reads
     * under the seqlock; a subscriber that died while writing its table makes the ring match nothing after a bounded
     * number of retries.
     */
    public boolean matches(final MemorySegment first) {
        for (int attempt = 0; attempt < TOPIC_RETRIES; attempt++) {
            final int seq = (int) TOPIC_SEQ_H.getAcquire(memory, base);
            if ((seq & 1) != 0) {
                Thread.onSpinWait();
                continue;
            }
            final boolean match = matchesNow(first);
            VarHandle.loadLoadFence();
            if ((int) TOPIC_SEQ_H.getVolatile(memory, base) == seq) {
                return match;
            }
        }
        return false;
    }

    private boolean matchesNow(final MemorySegment first) {
        final int count = Math.clamp((int) TOPIC_COUNT_H.get(memory, base), 0, SocketRingLayout.MAX_TOPICS);
        final long topics = base + SocketRingLayout.TOPICS_OFFSET;
        for (int i = 0; i < count; i++) {
            final long length = Math.clamp((int) TOPIC_LENGTH_H.get(memory, topics, (long) i), 0,
                    SocketRingLayout.TOPIC_BYTES);
            if (length > first.byteSize()) {
                continue;
            }
            final long prefix = topics + i * SocketRingLayout.TOPIC.byteSize() + SocketRingLayout.PREFIX_IN_TOPIC;
            if (length == 0 || MemorySegment.mismatch(memory, prefix, prefix + length, first, 0, length) == -1) {
                return true;
            }
        }
        return false;
    }

    /**
     * Writes a claimed record that carries a single message's payload itself: {@code size} bytes (1 to {@link
     * SocketRingLayout#INLINE_BYTES}) of {@code payload} from {@code offset}, copied out by the consumer.
     */
    public void writeInline(final long position, final int correlation, final MemorySegment payload, final long offset,
                            final long size) {
        if (size < 1 || size > SocketRingLayout.INLINE_BYTES) {
            throw new IllegalArgumentException("an inline payload has 1 to " + SocketRingLayout.INLINE_BYTES
                    + " bytes: size=" + size);
        }
        final long record = record(position);
        MemorySegment.copy(payload, offset, memory, record + SocketRingLayout.INLINE_IN_RECORD, size);
        KIND_CORRELATION_H.set(memory, record + KIND_CORRELATION_OFFSET,
                kindCorrelation(1 | INLINE | (int) size << 8, correlation));
    }

    /** Writes the body of a claimed record (plain stores, published by {@link #publish}). */
    public void write(final long position, final int count, final int correlation, final MetaHeader meta) {
        writeKind(position, count, correlation, meta);
    }

    /**
     * Writes the body of a claimed record that hands its one managed block over: its kind word carries
     * {@code nonce} (30 bits), the low half of the block's in-flight holder word.
     */
    public void writeHandover(final long position, final int correlation, final MetaHeader meta, final int nonce) {
        writeHandover(position, correlation, meta, nonce, false);
    }

    /**
     * {@link #writeHandover(long, int, MetaHeader, int)}, or with {@code unit} the record of a multipart unit whose
     * descriptor and parts are all in flight with {@code nonce}: {@code meta} is the descriptor's.
     */
    public void writeHandover(final long position, final int correlation, final MetaHeader meta, final int nonce,
                              final boolean unit) {
        writeKind(position, (unit ? 0 : 1) | HANDOVER | (nonce & NONCE_MASK) << 2, correlation, meta);
    }

    /**
     * {@link #writeHandover(long, int, MetaHeader, int)} of a single managed block, from its fields (no
     * {@link MetaHeader} made on the way): not shared, region 0, {@code generation} its hint.
     */
    public void writeHandover(final long position, final int correlation, final int nonce, final long size,
                              final long generation, final long handle, final int segmentId) {
        writeRecord(record(position), 1 | HANDOVER | (nonce & NONCE_MASK) << 2, correlation, size, generation, handle,
                MetaHeader.NOT_SHARED, 0, segmentId, true);
    }

    private void writeKind(final long position, final int kind, final int correlation, final MetaHeader meta) {
        writeRecord(record(position), kind, correlation, meta.size(), meta.hint(), meta.handle(), meta.shared(),
                meta.regionId(), meta.segmentId(), meta.managed());
    }

    /** The one writer of a record's body; its header's fields go through the record's own layout (no slice). */
    private void writeRecord(final long record, final int kind, final int correlation, final long size,
                             final long hint, final long handle, final long shared, final int regionId,
                             final int segmentId, final boolean managed) {
        KIND_CORRELATION_H.set(memory, record + KIND_CORRELATION_OFFSET, kindCorrelation(kind, correlation));
        META_SIZE_H.set(memory, record, size);
        META_HINT_H.set(memory, record, hint);
        META_HANDLE_H.set(memory, record, handle);
        META_SHARED_H.set(memory, record, shared);
        META_IDS_H.set(memory, record + META_IDS_OFFSET, ids(regionId, segmentId, managed));
    }

    @Override
    protected Entry readBody(final long record) {
        final long kindWord = (long) KIND_CORRELATION_H.get(memory, record + KIND_CORRELATION_OFFSET);
        final int kindBits = kindOf(kindWord);
        if ((kindBits & (HANDOVER | INLINE)) == INLINE) {
            final Entry entry = body;
            final int size = kindBits >>> 8 & 0xFF;
            if ((kindBits & 1) == 0 || size < 1 || size > SocketRingLayout.INLINE_BYTES) {
                return null; // corrupt: the ring drops the record
            }
            entry.count = 1;
            entry.correlation = correlationOf(kindWord);
            entry.nonce = -1;
            entry.size = size;
            entry.hint = 0;
            entry.handle = -1;
            entry.shared = MetaHeader.NOT_SHARED;
            entry.regionId = 0;
            entry.segmentId = 0;
            entry.managed = true;
            entry.inlineAt = record + SocketRingLayout.INLINE_IN_RECORD;
            return entry;
        }
        final long size = (long) META_SIZE_H.get(memory, record);
        final long ids = (long) META_IDS_H.get(memory, record + META_IDS_OFFSET);
        if (size < 0 || (managedOf(ids) & ~1) != 0) {
            return null; // not a header (the checks of MetaHeaderLayout.read): the ring drops the record
        }
        final Entry entry = body;
        entry.inlineAt = -1;
        entry.count = kindBits & 1;
        entry.correlation = correlationOf(kindWord);
        entry.nonce = (kindBits & HANDOVER) != 0 ? kindBits >>> 2 : -1;
        entry.size = size;
        entry.hint = (long) META_HINT_H.get(memory, record);
        entry.handle = (long) META_HANDLE_H.get(memory, record);
        entry.shared = (long) META_SHARED_H.get(memory, record);
        entry.regionId = regionIdOf(ids);
        entry.segmentId = segmentIdOf(ids);
        entry.managed = managedOf(ids) == 1;
        return entry;
    }

    @Override
    protected void afterPublish() {
        signalNotEmpty();
    }

    @Override
    protected void afterRelease() {
        signalNotFull();
    }

    private void signalNotEmpty() {
        notEmpty.ring();
    }

    private void signalNotFull() {
        notFull.ring();
    }

    /** Wakes everyone sleeping on this ring (interrupt, close); they re-check their condition. */
    public void wakeAll() {
        signalNotEmpty();
        signalNotFull();
    }

    /** Sleeps until something may have been published, for at most {@code nanos}. */
    public void awaitNotEmpty(final long nanos) {
        final long slice = slice(nanos);
        if (blocked()) {
            // The head record is published but another consumer took its payload and has not moved the head yet
            // (or died doing so, until a survivor reclaims the payload), or this consumer has no room to copy an
            // inline record yet: the futex's condition holds, so nap.
            LockSupport.parkNanos(Math.min(slice, BLOCKED_NAP_NANOS));
            return;
        }
        // Sleep until a record is published, not while one is merely claimed: a consumer behind a producer that died
        // (or stalls) between the two steps sleeps, and looks again at the end of the slice to skip it.
        if (!notEmpty.await(this::hasPublished, slice)) {
            park(slice);
        }
    }

    /** Sleeps until a record may have been freed or a consumer attached, for at most {@code nanos}. */
    public void awaitNotFull(final long nanos, final boolean needConsumer) {
        final long slice = slice(nanos);
        if (!notFull.await(() -> hasRoom() && (!needConsumer || consumers() > 0), slice)) {
            park(slice);
        }
    }

    /**
     * Sleeps until one of several rings may have changed: arms the doorbell of each ({@link #enterWait}), checks
     * once more that none is ready (so a publish in between is never missed), then waits on all their futex words at
     * once ({@code futex_waitv}) for at most {@code nanos} (shorter while a peer without futex is attached).
     *
     * @param rings the rings, the first {@code count} used
     * @param input per ring: wait for input (notEmpty) or for room (notFull)
     * @param ready per index: whether the caller's condition already holds (then this returns at once)
     * @return false when it could not sleep so (no futex_waitv: an old kernel or no native access): the caller parks
     */
    public static boolean awaitAny(final SocketRing[] rings, final boolean[] input, final int count, final long nanos,
                                   final IntPredicate ready) {
        final long[] addresses = new long[count];
        final int[] values = new int[count];
        long slice = nanos;
        Doorbell fence = null;
        for (int i = 0; i < count; i++) {
            final SocketRing ring = rings[i];
            values[i] = ring.enterWait(input[i]);
            addresses[i] = ring.waitAddress(input[i]);
            slice = ring.slice(slice);
            if (input[i] && ring.single()) {
                fence = ring.notEmpty;
            }
        }
        if (fence != null) {
            slice = fence.fenceForWakers(slice); // one barrier for all the rings
        }
        for (int i = 0; i < count; i++) {
            if (ready.test(i)) {
                return true;
            }
        }
        return Native.futexWaitAny(addresses, values, count, slice);
    }

    /**
     * Arms one of this ring's doorbells, so that its next waker issues {@code FUTEX_WAKE}, and returns the futex
     * word's value to wait on. The caller checks its condition after this and before sleeping.
     *
     * @param input true for "something was published" (notEmpty), false for "a record was freed" (notFull)
     */
    private int enterWait(final boolean input) {
        return (input ? notEmpty : notFull).enter();
    }

    /** @return the address of the futex word {@link #enterWait} returned the value of */
    private long waitAddress(final boolean input) {
        return (input ? notEmpty : notFull).address();
    }

    private static void park(final long nanos) {
        // No native access: timed parking in short slices (documented fallback).
        LockSupport.parkNanos(Math.min(nanos, PARKER_SLICE_NANOS));
    }
}
