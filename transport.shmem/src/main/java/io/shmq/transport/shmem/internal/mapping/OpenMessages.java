package io.shmq.transport.shmem.internal.mapping;

import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.shmem.internal.os.BiasedLock;
import io.shmq.transport.shmem.internal.segment.BlockCache;
import io.shmq.transport.shmem.internal.segment.Holder;
import io.shmq.transport.shmem.internal.segment.ManagedSegment;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The messages of one factory that hold a payload, so that closing the factory releases them (the API's promise;
 * without it a stopped OSGi bundle would leak its open messages into a session that goes on). Intrusive doubly
 * linked lists, striped by the registering thread so that threads rarely share a lock: registering and
 * unregistering take the stripe's lock (biased to the thread that uses the stripe: no atomic) and allocate nothing.
 *
 * <p>Whoever unlinks a message decides its fate: the owner releases it on close, the factory releases it on
 * factory close; a message unlinked by the factory is only cleared by its owner.
 *
 * <p>One message per stripe is not listed: the one that took the stripe's spare block ({@link #lend}). Listing stores
 * the young message into older objects, and each such store costs a fence under G1; the stripe keeps that message's
 * block and entry in primitives instead, the factory's close releases the block by them, and the message finds out
 * at its next step ({@link ShmemMessage#orphaned}).
 *
 * <p>The same lock guards the message's entry in the factory's {@link Ledger}: each stripe owns a range of
 * entries and a stack of free ones, so recording a payload costs a few plain stores into this process's ledger
 * file and no shared cache line.
 *
 * <p>Each stripe also keeps the {@link BlockCache} of segment 0 (in the ledger file too): small messages are
 * allocated from it and freed into it under the same lock, in an order that lets a survivor return exactly what
 * a killed process held. Allocation: the ledger entry is written with the block's next generation before the block
 * becomes allocated (killed before: the block is still free in the cache; after: the entry releases it). Free of
 * the only reference: the block goes into the cache, its count untouched, before the entry is cleared (killed
 * before it is marked free: the entry releases it; after: the cache returns it). A block caught between the two
 * states, free but still tagged with the session, is returned by its entry ({@code ManagedSegment.reclaimHalfway}).
 *
 * <p>Copies in the process share one reference ({@link Share}): the block's count (a region range's counter) and
 * the ledger record references of processes, not messages, so a copy and its close write nothing to shared memory,
 * and the kill of a process that copies leaves no count without its entry.
 */
final class OpenMessages {
    private static final int STRIPES = 16;
    private static final java.lang.invoke.VarHandle LENT;

    static {
        try {
            LENT = java.lang.invoke.MethodHandles.lookup().findVarHandle(Stripe.class, "lent", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One list, its ledger range and its lock. */
    static final class Stripe {
        private ShmemMessage head;
        /** The first entry of this stripe's range in the ledger. */
        private final int base;
        /** Entries of the range used so far (the free stack holds those given back). */
        private int used;
        /** Entries of the range whose file blocks are reserved. */
        private int reserved;
        private int[] free = new int[64];
        private int freeCount;
        /** Free small blocks of {@link #cached} this stripe keeps, or null. */
        private final BlockCache cache;
        private final ManagedSegment cached;

        /** Received large blocks of {@link #cached} whose frees are deferred ({@link #deferLarge}). */
        private final Held deferred;
        /**
         * Large blocks of {@link #cached} allocated ahead for the next allocations of {@link #aheadPayload} bytes at
         * {@link #aheadAlignment} ({@link #allocateLarge}); one slot more, the batch's scratch.
         */
        private final Held ahead;
        private long aheadPayload = -1;
        private long aheadAlignment;
        /** The payload and alignment of the stripe's last large allocation: the same again allocates ahead. */
        private long lastPayload = -1;
        /** The payload of the batch {@link #recorder} records (set under the lock before each batch). */
        private long recording;
        /** Writes each block of a batch into the {@link #ahead} entry claimed for it: one object per stripe. */
        private ManagedSegment.IndexedRecorder recorder;
        private long lastAlignment;
        /**
         * The stripe's spare ({@link #park}): a small block of {@link #cached} that a message of this stripe allocated
         * and freed without its handle ever leaving the message, kept live (one reference, this process's holder word,
         * the session's tag) and recorded in ledger entry {@link #spareEntry}, for the next allocation of its class
         * and user offset; 0 when there is none.
         */
        private long spare;
        private int spareClass;
        private long spareUserOffset;
        private int spareEntry = -1;
        private long spareGeneration;
        /**
         * The serial of the message that holds the spare this stripe lent it ({@link #lend}), unlisted; 0 when none.
         * Written under the lock; read by the message's owner without it ({@link #lentTo}).
         */
        private long lent;
        /** The lent block and its ledger entry: what the factory's close releases for the message. */
        private long lentBlock;
        private int lentEntry = -1;
        /** The last serial given. */
        private long lends;

        /**
         * Taken for every operation: a thread's stripe is its own but for the factory's close, the duty cycle's flush
         * and a message closed by another thread, so the lock is biased to the thread that takes it (no atomic and
         * no fence on its path; a handshake for the rare other) once it has taken it many times in a row.
         */
        private final BiasedLock lock = new BiasedLock();

        Stripe(final int base, final BlockCache cache, final ManagedSegment cached, final AtomicInteger frees,
               final AtomicInteger aheads) {
            this.base = base;
            this.cache = cache;
            this.cached = cached;
            this.deferred = new Held(DEFERRED_BLOCKS, frees);
            this.ahead = new Held(AHEAD_BLOCKS + 1, aheads);
        }

        void lock() {
            lock.lock();
        }

        /** No block is lent out any more (its message gave it back, or the factory's close released it). */
        void endLend() {
            lentEntry = -1;
            lentBlock = 0;
            LENT.setRelease(this, 0L);
        }

        /**
         * @return whether the message of serial {@code serial} still holds the block this stripe lent it (false once
         * the factory's close released it)
         */
        boolean lentTo(final long serial) {
            return (long) LENT.getAcquire(this) == serial;
        }

        void unlock() {
            lock.unlock();
        }

        /** @return a ledger entry for a new message, or -1 when the range is full or cannot be reserved */
        int claim(final Ledger ledger) {
            if (freeCount > 0) {
                return free[--freeCount];
            }
            if (used == Ledger.STRIPE_ENTRIES) {
                return -1;
            }
            if (used == reserved) {
                if (!ledger.reserve(base + reserved)) {
                    return -1;
                }
                reserved += Ledger.reserveStep();
            }
            return base + used++;
        }

        void giveBack(final int index) {
            if (freeCount == free.length) {
                free = java.util.Arrays.copyOf(free, free.length * 2);
            }
            free[freeCount++] = index;
        }
    }

    /**
     * The one reference this process holds to a managed block or a region range that several of its messages share
     * ({@link ShmemMessage#copy()} in this process): one count in the block header (or on the range's shared
     * counter, or none for a range only this process holds), one ledger entry (in {@link #stripe}'s range, written
     * and cleared under its lock), and {@link #holders} messages. A copy in the process counts only here, in the
     * heap: the shared count and the ledger change together, at the first copy (never) and when the last holder
     * lets go (the usual release of a message's reference), so a kill at any moment leaves the count and the
     * entries in agreement.
     */
    static final class Share {
        private final Stripe stripe;
        /** The reference's ledger entry, -1 when unrecorded (the range was full). */
        private final int entry;
        /** Messages that hold the reference; the last one to leave releases it. */
        private final java.util.concurrent.atomic.AtomicInteger holders = new java.util.concurrent.atomic.AtomicInteger(1);
        /**
         * A region range's shared counter (a managed block counting the range's references across processes), or
         * {@code MetaHeader.NOT_SHARED} while only this process holds the range; made when a holder is sent to
         * another process while others stay. Written under this share's monitor; read without it.
         */
        private volatile long shared;

        Share(final Stripe stripe, final int entry, final long shared) {
            this.stripe = stripe;
            this.entry = entry;
            this.shared = shared;
        }

        /** @return how many messages hold the reference now */
        int holders() {
            return holders.get();
        }

        /** @return the region range's shared counter, or {@code MetaHeader.NOT_SHARED} */
        long shared() {
            return shared;
        }
    }

    /**
     * Large blocks a stripe holds back, each with the ledger entry that still records it: the deferred frees, or
     * the blocks allocated ahead. Written under the stripe's lock; {@link #total} counts those of every stripe.
     */
    private static final class Held {
        final long[] blocks;
        final int[] entries;
        /** The factory's count of this kind over all stripes (read without a lock: a hint to skip a flush). */
        final AtomicInteger total;
        int count;
        /** Their block sizes. */
        long bytes;
        /** When the first of them was added ({@link System#nanoTime()}). */
        long since;

        Held(final int capacity, final AtomicInteger total) {
            blocks = new long[capacity];
            entries = new int[capacity];
            this.total = total;
        }

        void add(final long block, final int entry, final long blockSize) {
            if (count == 0) {
                since = System.nanoTime();
            }
            blocks[count] = block;
            entries[count] = entry;
            count++;
            bytes += blockSize;
            total.incrementAndGet();
        }

        /** Takes the last block out ({@link #blocks} and {@link #entries} keep it at {@link #count}). */
        void takeLast(final long blockSize) {
            count--;
            bytes -= blockSize;
            total.decrementAndGet();
        }

        /** Forgets every block (the caller released them). */
        void clear() {
            total.addAndGet(-count);
            count = 0;
            bytes = 0;
        }

        /** @return whether it holds blocks since {@code minAgeNanos} before {@code now} or longer */
        boolean heldFor(final long now, final long minAgeNanos) {
            return count > 0 && now - since >= minAgeNanos;
        }
    }

    /**
     * The most large frees a stripe defers before it gives them back together (within {@code deferLimit}'s bytes:
     * 32 blocks of 64 KiB, 8 of 16 MiB in a 2 GiB segment).
     */
    static final int DEFERRED_BLOCKS = 32;
    /** The most large blocks a stripe allocates ahead, with the one asked for, under one acquisition of the lock. */
    static final int AHEAD_BLOCKS = 7;

    private final Stripe[] stripes = new Stripe[STRIPES];
    private final Ledger ledger;
    /**
     * Deferred frees and blocks allocated ahead in all stripes ({@link Held#total}): let the receive path's idle step
     * and the duty cycle skip {@link #flushHeld} and {@link #flushFrees} when there is nothing to flush.
     */
    private final AtomicInteger frees = new AtomicInteger();
    private final AtomicInteger aheads = new AtomicInteger();

    /**
     * @param ledger the factory's ledger, or null to record nothing (and cache nothing)
     * @param own    the segment the factory allocates in: each stripe caches free blocks of it
     */
    OpenMessages(final Ledger ledger, final ManagedSegment own) {
        this.ledger = ledger;
        for (int i = 0; i < STRIPES; i++) {
            final Stripe stripe = new Stripe(i * Ledger.STRIPE_ENTRIES, ledger == null ? null
                    : ledger.cache(i, own.id()), own, frees, aheads);
            stripe.recorder = (index, handle, generation) -> ledger.managed(stripe.ahead.entries[index], own.id(),
                    handle, stripe.recording, generation);
            stripes[i] = stripe;
        }
    }

    /** @return whether a ledger records the messages (then {@link #allocateRecorded} is the only way to allocate) */
    boolean recording() {
        return ledger != null;
    }

    private Stripe current() {
        return stripes[(int) Thread.currentThread().threadId() & (STRIPES - 1)];
    }

    /**
     * Gives {@code message} (empty) a block of {@code segment}, recorded and registered: a small block from this
     * thread's stripe cache, a large one from the heap with its entry written before the heap marks it taken.
     *
     * @return false when the segment has no room now (the caller takes the slow path, which waits)
     */
    boolean allocateRecorded(final ShmemMessage message, final ManagedSegment segment, final long payload,
                             final long alignment) {
        final int cls = ManagedSegment.cachedClass(payload, alignment);
        final Stripe stripe = current();
        if (stripe.cache == null || stripe.cached != segment) {
            return false;
        }
        if (cls < 0) {
            return allocateLarge(stripe, message, segment, payload, alignment);
        }
        stripe.lock();
        try {
            if (stripe.spare != 0 && stripe.spareClass == cls
                    && stripe.spareUserOffset == ManagedSegment.userOffset(alignment)) {
                takeSpare(stripe, message, segment, payload, cls);
                return true;
            }
            final long block = segment.takeCached(stripe.cache, cls);
            if (block == 0) {
                return false;
            }
            // Linked first: the link stores the message into the stripe, an old object, and G1's post-write barrier
            // then issues a StoreLoad fence. Here it waits for nothing; after the header's stores it would wait for
            // their cache line to come from the process that freed the block, apart from the payload's lines that
            // the send's first atomic waits for (alternated 64 B streams: steady median 3.1 -> 3.6 M msgs/s).
            link(stripe, message);
            try {
                final int entry = stripe.claim(ledger);
                final long generation = segment.nextGeneration(block);
                if (entry >= 0) {
                    ledger.managed(entry, segment.id(), block, payload, generation);
                }
                final long offset = segment.activateSmall(block, cls, ManagedSegment.userOffset(alignment),
                        generation);
                message.takeAllocated(segment, block, payload, offset);
                message.knownGeneration(generation);
                message.ledgerEntry = entry;
                message.spareClass = entry >= 0 ? cls : -1;
            } catch (RuntimeException e) {
                unlink(stripe, message); // the mapping went (the factory closes): no message without a block listed
                throw e;
            }
        } finally {
            stripe.unlock();
        }
        return true;
    }

    /**
     * Gives {@code message} the stripe's spare: the block is live already, its header and holder word as this
     * process's allocation left them, its ledger entry recording it throughout, so nothing is written but the entry's
     * size. Its generation does not change: no header of the block was ever made ({@link #park}). The message is
     * lent the block unlisted when the stripe has no other lent out ({@link #lend}). The caller holds the stripe's
     * lock.
     */
    private void takeSpare(final Stripe stripe, final ShmemMessage message, final ManagedSegment segment,
                           final long payload, final int cls) {
        final long block = stripe.spare;
        stripe.spare = 0;
        if (stripe.lent == 0) {
            lend(stripe, message, block, stripe.spareEntry);
        } else {
            link(stripe, message);
        }
        ledger.resize(stripe.spareEntry, payload);
        message.takeAllocated(segment, block, payload, block + stripe.spareUserOffset);
        message.knownGeneration(stripe.spareGeneration);
        message.ledgerEntry = stripe.spareEntry;
        message.spareClass = cls;
        stripe.spareEntry = -1;
    }

    /**
     * Keeps the exclusive small block that {@code message} frees as the stripe's spare instead of freeing it, when
     * the message allocated it itself and its handle never left the message ({@link ShmemMessage#spareClass}: no
     * header, no hand-over, no copy), so that the next allocation of the class skips the free and the allocation
     * (cache, header, generation, ledger entry): a small message sent inline and the next one allocated, or a
     * receive into a message that an inline send emptied. The block stays live with one reference and this
     * process's holder word, and its ledger entry moves to the stripe, so a survivor releases it like any block this
     * process held. Not while an allocation waits for room (the spare is freed then too, as the caches drain), nor
     * when the stripe has a spare. The caller holds the stripe's lock.
     *
     * @return false when the block is freed the usual way
     */
    private boolean park(final Stripe stripe, final ManagedSegment segment, final long block,
                         final ShmemMessage message) {
        final int cls = message.spareClass;
        final int entry = message.ledgerEntry;
        if (cls < 0 || entry < 0 || stripe.spare != 0) {
            return false;
        }
        if (segment.allocationWaiting()) {
            releaseSpare(stripe);
            return false;
        }
        stripe.spare = block;
        stripe.spareClass = cls;
        stripe.spareUserOffset = message.userOffset();
        stripe.spareEntry = entry;
        stripe.spareGeneration = message.generation();
        message.ledgerEntry = -1; // the entry moves to the stripe
        unlink(stripe, message);
        return true;
    }

    /**
     * Frees the stripe's spare, if any, as the free of its message would have: into the cache first, then its entry
     * goes. The caller holds the stripe's lock.
     */
    private void releaseSpare(final Stripe stripe) {
        final long block = stripe.spare;
        if (block == 0) {
            return;
        }
        stripe.spare = 0;
        stripe.cached.releaseExclusive(block, stripe.cache);
        clearEntry(stripe, stripe.spareEntry);
        stripe.spareEntry = -1;
    }

    /**
     * A large block: the next of those allocated ahead when it has the size asked for; else from the heap, and when
     * the stripe's last large allocation asked for the same size (a stream of equal messages), up to
     * {@link #AHEAD_BLOCKS} more under the same acquisition of the segment's lock, each with its ledger entry, so that
     * a producer meets its consumer's frees on that lock once per batch (as {@link #deferLarge} makes the consumer
     * do). Not while an allocation waits, nor beyond a sixteenth of the heap per stripe, nor with less than half the
     * heap free; the blocks allocated ahead go back with the deferred frees ({@link #flush}), and at the next
     * allocation of another size.
     */
    private boolean allocateLarge(final Stripe stripe, final ShmemMessage message, final ManagedSegment segment,
                                  final long payload, final long alignment) {
        stripe.lock();
        try {
            final Held ahead = stripe.ahead;
            if (ahead.count > 0) {
                if (stripe.aheadPayload == payload && stripe.aheadAlignment == alignment) {
                    final long block = ahead.blocks[ahead.count - 1];
                    message.ledgerEntry = ahead.entries[ahead.count - 1];
                    ahead.takeLast(segment.largeBlockSize(block));
                    message.takeAllocated(segment, block, payload, segment.dataOffset(block));
                    link(stripe, message);
                    return true;
                }
                release(stripe, ahead);
            }
            final boolean again = payload == stripe.lastPayload && alignment == stripe.lastAlignment;
            stripe.lastPayload = payload;
            stripe.lastAlignment = alignment;
            int want = 1;
            if (again && !segment.allocationWaiting() && segment.roomToDefer()) {
                want += (int) Math.min(AHEAD_BLOCKS, segment.deferLimit() / ManagedSegment.largeBlockBytes(payload,
                        alignment));
            }
            final long[] blocks = ahead.blocks;
            final int[] entries = ahead.entries;
            int recorded = 0;
            while (recorded < want && (entries[recorded] = stripe.claim(ledger)) >= 0) {
                recorded++;
            }
            int taken = 0;
            try {
                if (recorded == 0) {
                    // No entry to record it in: one block, unrecorded.
                    blocks[0] = segment.allocate(payload, alignment);
                    taken = blocks[0] < 0 ? 0 : 1;
                    entries[0] = -1;
                } else {
                    stripe.recording = payload;
                    taken = segment.allocateLarge(payload, alignment, blocks, recorded, stripe.recorder);
                }
            } finally {
                for (int i = taken; i < recorded; i++) {
                    ledger.clear(entries[i]);
                    stripe.giveBack(entries[i]);
                }
            }
            if (taken == 0) {
                return false;
            }
            // The message gets the first (the heap's first fit: a block just freed comes back at once); the others
            // wait for the next allocations of this size.
            final long block = blocks[0];
            message.takeAllocated(segment, block, payload, segment.dataOffset(block));
            link(stripe, message);
            message.ledgerEntry = entries[0];
            stripe.aheadPayload = payload;
            stripe.aheadAlignment = alignment;
            for (int i = 1; i < taken; i++) {
                ahead.add(blocks[i], entries[i], segment.largeBlockSize(blocks[i])); // moves them down by one
            }
        } finally {
            stripe.unlock();
        }
        return true;
    }

    /**
     * Frees the large blocks the stripe holds back in {@code blocks} (deferred or allocated ahead) under one
     * acquisition of the segment's lock, then clears their entries (a kill between leaks, never frees twice). The
     * caller holds the stripe's lock.
     */
    private void release(final Stripe stripe, final Held blocks) {
        final int count = blocks.count;
        if (count == 0) {
            return;
        }
        stripe.cached.releaseExclusiveLarge(blocks.blocks, count);
        for (int i = 0; i < count; i++) {
            clearEntry(stripe, blocks.entries[i]);
        }
        blocks.clear();
    }

    /**
     * Releases a managed message's block through its stripe's cache and unregisters it.
     *
     * @return false when the factory already released it
     */
    boolean releaseManaged(final ShmemMessage message) {
        return unregister(message, true);
    }

    /**
     * Unregisters the message (its entry cleared) under its stripe's lock, and with {@code release} releases its
     * managed block too, in the order that leaves a survivor nothing to free twice.
     *
     * @return false when the factory already released it (or it was never registered)
     */
    private boolean unregister(final ShmemMessage message, final boolean release) {
        final Stripe stripe = message.stripe;
        if (stripe == null) {
            return false;
        }
        final Share share;
        stripe.lock();
        try {
            if (!holds(stripe, message)) {
                return false;
            }
            share = message.share;
            if (share == null) {
                if (release) {
                    releaseReference(stripe, message.managedSegment(), message.managedHandle(), message, -1);
                } else {
                    unlink(stripe, message); // the caller releases the region range, or hands it on (a detach)
                }
                return true;
            }
            unlink(stripe, message);
        } finally {
            stripe.unlock();
        }
        // One holder of a share less; the last one releases the process's reference, under the share's stripe.
        leave(share, message, null);
        return release; // a region message's range was released here (when it was the last holder), not by the caller
    }

    /**
     * {@code message} (unlinked) leaves {@code share}; the last holder releases the reference: a managed block
     * through the share's stripe, a region range by its entry and then its counter or acknowledgement. The message's
     * fields are still set; {@code held} is the stripe whose lock the caller holds, or null.
     */
    private void leave(final Share share, final ShmemMessage message, final Stripe held) {
        message.share = null;
        if (share.holders.decrementAndGet() == 0) {
            releaseLast(share, message, held);
        }
    }

    /**
     * The last holder of {@code share} left: releases the process's reference under the share's stripe (locked here
     * unless it is {@code held}): a managed block as any message's ({@link #releaseReference}); a region range's entry
     * first, then, outside the lock, its counter or acknowledgement (a kill between leaks, never twice).
     */
    private void releaseLast(final Share share, final ShmemMessage message, final Stripe held) {
        final Stripe stripe = share.stripe;
        final ManagedSegment segment = message.managedSegment();
        if (stripe != held) {
            stripe.lock();
        }
        try {
            if (segment != null) {
                releaseReference(stripe, segment, message.managedHandle(), null, share.entry);
            } else {
                clearEntry(stripe, share.entry);
            }
        } finally {
            if (stripe != held) {
                stripe.unlock();
            }
        }
        if (segment == null) {
            message.releaseRange(share.shared());
        }
    }

    /**
     * Releases one reference of this process to {@code block}, recorded by {@code message} (unlinked here) or by a
     * share at {@code entry} (cleared here), both of {@code stripe}, whose lock is held, in the order that leaves a
     * survivor nothing to free twice: an exclusive block goes into the cache first, then the entry goes; a block
     * others hold too loses its entry first (a kill between leaks, never frees twice).
     */
    private void releaseReference(final Stripe stripe, final ManagedSegment segment, final long block,
                                  final ShmemMessage message, final int entry) {
        final BlockCache cache = segment == stripe.cached ? stripe.cache : null;
        final boolean exclusive = cache != null && segment.exclusive(block);
        if (exclusive && message != null && (park(stripe, segment, block, message)
                || deferLarge(stripe, segment, block, message))) {
            return;
        }
        if (exclusive) {
            segment.releaseExclusive(block, cache);
        }
        if (message != null) {
            unlink(stripe, message);
        } else {
            clearEntry(stripe, entry);
        }
        if (!exclusive) {
            if (cache != null) {
                segment.releaseCached(block, cache);
            } else {
                segment.release(block);
            }
        }
    }

    /**
     * Defers the free of {@code message}'s large exclusive block: the message is unlinked, its ledger entry stays
     * (a survivor releases the block if this process dies before the free), and the block is freed with the
     * stripe's others under one acquisition of the segment's lock once {@link #DEFERRED_BLOCKS} are pending. Only a
     * received block (a process that frees what another allocates meets it on the lock at every free), only while
     * half the heap is free when a batch starts, never beyond a sixteenth of the heap per stripe, and not while an
     * allocation waits for room: then the block is freed at once, with the pending ones. So held-back blocks can make
     * an allocation fail (with the default {@code THROW} policy) only when it asks for more than half the heap less
     * what they hold. The caller holds the stripe's lock.
     *
     * @return false when the block is freed the usual way now (small, unrecorded, or not deferrable)
     */
    private boolean deferLarge(final Stripe stripe, final ManagedSegment segment, final long block,
                               final ShmemMessage message) {
        final int entry = message.ledgerEntry;
        if (entry < 0 || !message.received) {
            return false;
        }
        final long blockSize = segment.largeBlockSize(block);
        if (blockSize < 0) {
            return false;
        }
        final Held deferred = stripe.deferred;
        if (segment.allocationWaiting() || deferred.bytes + blockSize > segment.deferLimit()
                || deferred.count == 0 && !segment.roomToDefer()) {
            flush(stripe);
            return false;
        }
        message.ledgerEntry = -1; // the entry moves to the stripe's deferred list
        unlink(stripe, message);
        deferred.add(block, entry, blockSize);
        if (deferred.count == DEFERRED_BLOCKS) {
            release(stripe, deferred);
        }
        return true;
    }

    /** Frees the stripe's deferred blocks and those it allocated ahead, then clears their entries. */
    private void flush(final Stripe stripe) {
        release(stripe, stripe.ahead);
        release(stripe, stripe.deferred);
    }

    /**
     * Frees every stripe's held-back blocks (deferred frees, blocks allocated ahead, the spares): before an allocation
     * of this factory waits for room or throws, and at close.
     */
    void flushHeld() {
        flushHeld(Long.MIN_VALUE, true);
        for (final Stripe stripe : stripes) {
            if (stripe.spare != 0) {
                stripe.lock();
                try {
                    releaseSpare(stripe);
                } finally {
                    stripe.unlock();
                }
            }
        }
    }

    /**
     * Frees the held-back large blocks of every stripe that holds some for {@code minAgeNanos} or longer (the duty
     * cycle's beat: a thread that stopped holds them that long at most).
     */
    void flushHeld(final long minAgeNanos) {
        flushHeld(minAgeNanos, true);
    }

    /**
     * Frees every stripe's deferred frees, not its blocks allocated ahead (those are this process's next
     * allocations): when a receive finds nothing. Nothing to do costs one volatile load.
     */
    void flushFrees() {
        flushHeld(Long.MIN_VALUE, false);
    }

    private void flushHeld(final long minAgeNanos, final boolean ahead) {
        if (frees.get() == 0 && (!ahead || aheads.get() == 0)) {
            return;
        }
        final long now = System.nanoTime();
        for (final Stripe stripe : stripes) {
            if (stripe.deferred.count == 0 && (!ahead || stripe.ahead.count == 0)) {
                continue;
            }
            stripe.lock();
            try {
                if (!ahead) {
                    release(stripe, stripe.deferred);
                } else if (minAgeNanos == Long.MIN_VALUE || stripe.deferred.heldFor(now, minAgeNanos)
                        || stripe.ahead.heldFor(now, minAgeNanos)) {
                    flush(stripe);
                }
            } finally {
                stripe.unlock();
            }
        }
    }

    private void clearEntry(final Stripe stripe, final int entry) {
        if (entry >= 0) {
            ledger.clear(entry);
            stripe.giveBack(entry);
        }
    }

    /**
     * A copy in this process: {@code copy} (its fields set, not registered) shares {@code original}'s reference to
     * its managed block or region range, which becomes a {@link Share} at the first copy (its entry moves from the
     * message to the share). Nothing in shared memory changes, so a kill leaves nothing to undo.
     *
     * @return false when the factory released {@code original} meanwhile
     */
    boolean copyShared(final ShmemMessage original, final ShmemMessage copy) {
        Share share = original.share;
        if (share == null) {
            final Stripe stripe = original.stripe;
            if (stripe == null) {
                return false;
            }
            stripe.lock();
            try {
                if (!holds(stripe, original)) {
                    return false;
                }
                settle(stripe, original);
                share = new Share(stripe, original.ledgerEntry, original.regionShared());
                original.ledgerEntry = -1;
                original.share = share;
            } finally {
                stripe.unlock();
            }
        }
        share.holders.incrementAndGet();
        copy.share = share;
        final Stripe stripe = current();
        stripe.lock();
        try {
            link(stripe, copy);
        } finally {
            stripe.unlock();
        }
        return true;
    }

    /**
     * Gives a holder of a {@link Share} a reference of its own, before a send or a detach hands it to another
     * party: one more count on the block, then its own entry (a kill between leaks one reference, never frees
     * twice), then it leaves the share (the last holder to leave releases the share's reference). The sole holder
     * takes the share's reference and its entry over instead, and nothing in shared memory changes: the entry, of
     * the share's stripe's range, goes back to the message's stripe when it is cleared (an entry belongs to the
     * stripe whose free stack holds it; the ranges only say where new entries come from).
     */
    void unshare(final ShmemMessage message) {
        final Share share = message.share;
        final Stripe stripe = message.stripe;
        if (stripe == null) {
            return; // released by the factory's close meanwhile
        }
        if (share.holders() == 1) {
            stripe.lock();
            try {
                if (holds(stripe, message)) {
                    message.ledgerEntry = share.entry;
                    message.takeShared(share.shared());
                    message.share = null;
                }
            } finally {
                stripe.unlock();
            }
            return;
        }
        if (message.managedSegment() == null) {
            unshareRange(message, share, stripe);
            return;
        }
        final ManagedSegment segment = message.managedSegment();
        final long block = message.managedHandle();
        segment.retain(block);
        stripe.lock();
        try {
            if (!holds(stripe, message)) {
                segment.release(block);
                return;
            }
            recordOwn(stripe, message);
        } finally {
            stripe.unlock();
        }
        if (share.holders.decrementAndGet() == 0) {
            releaseLast(share, message, null); // the share's count goes; the message's own keeps the block
        }
    }

    /** {@code message} takes an entry of its own for the reference it now holds (the stripe's lock is held). */
    private void recordOwn(final Stripe stripe, final ShmemMessage message) {
        final int entry = stripe.claim(ledger);
        message.ledgerEntry = entry;
        if (entry >= 0) {
            message.record(ledger, entry);
        }
        message.share = null;
    }

    /**
     * {@link #unshare} of a region message while other holders stay: the range gets a shared counter if it has
     * none (made with one count, the share's, and written into the share's entry), the message one more count on
     * it and an entry of its own, in the order the old copy had (a kill between the count and the entry leaks that
     * count); then it leaves the share.
     */
    private void unshareRange(final ShmemMessage message, final Share share, final Stripe stripe) {
        final ManagedSegment counters = message.mappings().ownSegment();
        final Runnable acknowledge = message.rangeAcknowledgement();
        final long counter;
        synchronized (share) {
            if (share.shared == io.shmq.transport.api.MetaHeader.NOT_SHARED) {
                final long made = message.mappings().allocateBlock(0, 0);
                share.stripe.lock();
                try {
                    share.shared = made;
                    if (share.entry >= 0) {
                        message.recordRange(ledger, share.entry, made);
                    }
                } finally {
                    share.stripe.unlock();
                }
            }
            counter = share.shared;
            counters.retain(counter);
        }
        stripe.lock();
        try {
            if (!holds(stripe, message)) {
                // Released by the factory's close meanwhile: the count taken here goes too.
                if (counters.release(counter)) {
                    acknowledge.run();
                }
                return;
            }
            message.takeShared(counter);
            recordOwn(stripe, message);
        } finally {
            stripe.unlock();
        }
        if (share.holders.decrementAndGet() == 0) {
            releaseLast(share, message, null); // its count goes; the message's own keeps the range
        }
    }

    /** Gives every stripe's deferred, spare and cached blocks back to the segment (the factory closes). */
    void drainCaches() {
        for (final Stripe stripe : stripes) {
            stripe.lock();
            try {
                flush(stripe);
                releaseSpare(stripe);
                if (stripe.cache != null) {
                    stripe.cached.drainAll(stripe.cache);
                }
            } finally {
                stripe.unlock();
            }
        }
    }

    /**
     * @return bytes of free blocks the stripes cache (free memory only this factory can allocate), of the large
     * blocks they hold back (free once flushed, or the next allocations of their size) and of their spares
     */
    long cachedBytes() {
        long bytes = 0;
        for (final Stripe stripe : stripes) {
            stripe.lock();
            try {
                if (stripe.cache != null) {
                    bytes += stripe.cache.cachedBytes();
                }
                bytes += stripe.deferred.bytes + stripe.ahead.bytes;
                if (stripe.spare != 0) {
                    bytes += 64L << stripe.spareClass; // a small block of class c is 64 << c bytes
                }
            } finally {
                stripe.unlock();
            }
        }
        return bytes;
    }

    /** @return how many stripes keep a spare block ({@link #park}), each recorded in a ledger entry of its own */
    int spareBlocks() {
        int spares = 0;
        for (final Stripe stripe : stripes) {
            stripe.lock();
            try {
                spares += stripe.spare == 0 ? 0 : 1;
            } finally {
                stripe.unlock();
            }
        }
        return spares;
    }

    /** @return how many stripes have lent their spare block to a message, unlisted ({@link #lend}) */
    int lentBlocks() {
        int lent = 0;
        for (final Stripe stripe : stripes) {
            stripe.lock();
            try {
                lent += stripe.lent == 0 ? 0 : 1;
            } finally {
                stripe.unlock();
            }
        }
        return lent;
    }

    /** @return the ledger entries that record deferred frees, not references of messages */
    int deferredEntries() {
        return frees.get();
    }

    /** @return the ledger entries that record blocks allocated ahead, not references of messages */
    int aheadEntries() {
        return aheads.get();
    }

    /** @return how many stripes (ledger ranges) there are */
    static int stripes() {
        return STRIPES;
    }

    void add(final ShmemMessage message) {
        final Stripe stripe = current();
        stripe.lock();
        try {
            link(stripe, message);
            if (ledger != null) {
                recordOwn(stripe, message);
            }
        } finally {
            stripe.unlock();
        }
    }

    /**
     * Clears the message's ledger entry while it keeps its payload and its entry: a send calls this just before it
     * publishes the payload's header to a ring, whose consumer owns the reference from the publish on. A process
     * killed between the two then leaks the reference; the other order would let a survivor release a reference the
     * consumer holds. A send that fails records it again ({@link #rerecord}).
     */
    void unrecord(final ShmemMessage message) {
        final int entry = message.ledgerEntry;
        if (entry >= 0 && ledger != null) {
            ledger.clear(entry);
        }
    }

    /**
     * The sender's half of a hand-over: when {@code message} holds the only reference to its block and the holder
     * word names this process, notes {@code inFlight} in its ledger entry, then stores it in the holder word. From
     * then on the block goes to whoever wins the next CAS from that word: the ring's consumer, or a survivor that
     * reclaims this process (it finds the id in the entry). The entry stays until the publish (cleared by the
     * detach after it), so a kill between the two leaves it to the survivor, never to nobody.
     *
     * @return whether the block is in flight
     */
    boolean beginHandover(final ShmemMessage message, final int inFlight) {
        // No stripe lock: the message is its thread's, and its entry is written without one, as unrecord does.
        if (message.stripe == null || message.share != null) {
            return false;
        }
        final ManagedSegment segment = message.managedSegment();
        final long block = message.managedHandle();
        final long own = segment.ownHolderOf(message.generation());
        if (segment.holder(block) != own || !segment.exclusive(block)) {
            return false;
        }
        final int entry = message.ledgerEntry;
        if (entry >= 0) {
            ledger.handover(entry, inFlight & 0xFFFFFFFFL);
        }
        // A release store, not a CAS: while the word is this process's, nobody else writes it (consumers and
        // survivors CAS only from in-flight ids and dead holders' ids); the entry's store goes before it.
        segment.handHolder(block, Holder.word(Holder.generation(own), inFlight));
        return true;
    }

    /**
     * A hand-over whose publish failed (the ring skipped the record): the holder word comes back to this process
     * and the entry forgets the in-flight id. Should the word have been taken meanwhile (only a survivor of this
     * process could), the message forgets the block instead of releasing it a second time.
     */
    void handoverFailed(final ShmemMessage message, final int inFlight) {
        final Stripe stripe = message.stripe;
        if (stripe == null) {
            return;
        }
        stripe.lock();
        try {
            if (!holds(stripe, message)) {
                return;
            }
            final ManagedSegment segment = message.managedSegment();
            final long block = message.managedHandle();
            final long own = segment.ownHolderOf(message.generation());
            if (segment.replaceHolder(block, Holder.word(Holder.generation(own), inFlight), own)) {
                if (message.ledgerEntry >= 0) {
                    ledger.handover(message.ledgerEntry, -1L);
                }
                return;
            }
            unlink(stripe, message);
            message.forget();
        } finally {
            stripe.unlock();
        }
    }

    /** Writes the message's ledger entry again (its shared counter changed, or its send failed). */
    void rerecord(final ShmemMessage message) {
        final Stripe stripe = message.stripe;
        if (stripe == null || ledger == null) {
            return;
        }
        stripe.lock();
        try {
            if (holds(stripe, message) && message.ledgerEntry >= 0) {
                message.record(ledger, message.ledgerEntry);
            }
        } finally {
            stripe.unlock();
        }
    }

    /**
     * Moves the payload of {@code source} (which holds its own reference) into the empty {@code target}, with its
     * registration and its ledger entry: the entry keeps naming the payload throughout and nothing is written to
     * shared memory (a receive hands out, one frame at a time, the parts of a unit it adopted at once).
     *
     * @throws TransportClosedException when the factory's close released {@code source} first
     */
    void move(final ShmemMessage source, final ShmemMessage target) {
        final Stripe stripe = source.stripe;
        if (stripe != null) {
            stripe.lock();
            try {
                if (holds(stripe, source)) {
                    if (source.share != null) {
                        throw new IllegalArgumentException("a message that shares its reference cannot be moved");
                    }
                    final int entry = source.ledgerEntry;
                    source.ledgerEntry = -1; // the entry goes with the payload, uncleared
                    unlink(stripe, source);
                    link(stripe, target);
                    target.ledgerEntry = entry;
                    target.takeFrom(source);
                    return;
                }
            } finally {
                stripe.unlock();
            }
        }
        // Not registered: it never held a payload (an empty part), or the factory's close released it.
        source.discard();
        if (source.orphaned()) {
            throw new TransportClosedException("message was released when its factory closed");
        }
    }

    /** @return true when this call unlinked the message; false when the factory already released it */
    boolean remove(final ShmemMessage message) {
        return unregister(message, false);
    }

    /**
     * Gives {@code message} the stripe's spare {@code block} (recorded in {@code entry}) without listing it: listing a
     * message stores it into the stripe or into the list's head, objects older than the message, and G1's
     * post-write barrier issues a {@code StoreLoad} fence for each such store (41% of an allocate + free of 64 B,
     * JMH {@code perfasm}). The stripe keeps the block, its entry and the message's serial in primitives instead, so
     * the factory's close releases the block without reaching the message ({@link #releaseAll}), and the message
     * learns it at its next step: it finds the stripe lent to another serial ({@link #holds}). The caller holds the
     * stripe's lock; the stripe has no other block lent out.
     */
    private static void lend(final Stripe stripe, final ShmemMessage message, final long block, final int entry) {
        final long serial = ++stripe.lends;
        stripe.lentBlock = block;
        stripe.lentEntry = entry;
        LENT.setRelease(stripe, serial);
        message.lent = serial;
        message.prevOpen = null;
        message.nextOpen = null;
        message.stripe = stripe;
    }

    /**
     * @return whether {@code message} is still registered with {@code stripe}, whose lock the caller holds: listed in
     * it, or holding the block it lent; false once the factory's close released the message
     */
    private static boolean holds(final Stripe stripe, final ShmemMessage message) {
        return message.stripe == stripe && (message.lent == 0 || stripe.lent == message.lent);
    }

    /** Lists a message the stripe lent its spare, before a step that the lent state does not cover (a copy). */
    private static void settle(final Stripe stripe, final ShmemMessage message) {
        if (message.lent != 0) {
            stripe.endLend();
            message.lent = 0;
            link(stripe, message);
        }
    }

    private static void link(final Stripe stripe, final ShmemMessage message) {
        final ShmemMessage head = stripe.head;
        message.prevOpen = null;
        message.nextOpen = head;
        if (head != null) {
            head.prevOpen = message;
        }
        stripe.head = message;
        message.stripe = stripe;
    }

    private void unlink(final Stripe stripe, final ShmemMessage message) {
        final int entry = message.ledgerEntry;
        if (entry >= 0) {
            ledger.clear(entry);
            stripe.giveBack(entry);
            message.ledgerEntry = -1;
        }
        if (message.lent != 0) { // holds the stripe's lent block, unlisted
            stripe.endLend();
            message.lent = 0;
            message.stripe = null;
            return;
        }
        final ShmemMessage previous = message.prevOpen;
        final ShmemMessage next = message.nextOpen;
        if (previous == null) {
            stripe.head = next;
        } else {
            previous.nextOpen = next;
        }
        if (next != null) {
            next.prevOpen = previous;
        }
        message.prevOpen = null;
        message.nextOpen = null;
        message.stripe = null;
    }

    /**
     * The factory's close releases the block the stripe lent a message ({@link #lend}) as that message's
     * {@link ShmemMessage#releaseByFactory} would: its entry first, then the block (a kill between leaks, never
     * frees twice); the message finds itself released at its next step. The caller holds the stripe's lock.
     */
    private void releaseLent(final Stripe stripe) {
        final long block = stripe.lentBlock;
        clearEntry(stripe, stripe.lentEntry);
        stripe.endLend();
        ShmemMessage.releaseBlock(stripe.cached, block);
    }

    /** Releases every registered message; returns how many. */
    int releaseAll() {
        int released = 0;
        for (final Stripe stripe : stripes) {
            stripe.lock();
            try {
                if (stripe.lent != 0) {
                    releaseLent(stripe);
                    released++;
                }
                while (stripe.head != null) {
                    final ShmemMessage message = stripe.head;
                    unlink(stripe, message);
                    final Share share = message.share;
                    if (share == null) {
                        message.releaseByFactory();
                    } else {
                        try {
                            leave(share, message, stripe);
                        } catch (IllegalStateException e) {
                            // The factory closed and unmapped the segment: the session reclaims it when it ends.
                        }
                        message.orphanByFactory();
                    }
                    released++;
                }
            } finally {
                stripe.unlock();
            }
        }
        return released;
    }
}
