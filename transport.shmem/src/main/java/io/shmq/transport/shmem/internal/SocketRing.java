package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.MetaHeaderLayout;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.LockSupport;

import static io.shmq.transport.shmem.internal.SocketRingLayout.CAPACITY_H;
import static io.shmq.transport.shmem.internal.SocketRingLayout.COUNT_H;
import static io.shmq.transport.shmem.internal.SocketRingLayout.EMPTY_WAITERS_H;
import static io.shmq.transport.shmem.internal.SocketRingLayout.FULL_WAITERS_H;
import static io.shmq.transport.shmem.internal.SocketRingLayout.HEAD_H;
import static io.shmq.transport.shmem.internal.SocketRingLayout.HEADER_IN_RECORD;
import static io.shmq.transport.shmem.internal.SocketRingLayout.NOT_EMPTY_H;
import static io.shmq.transport.shmem.internal.SocketRingLayout.NOT_FULL_H;
import static io.shmq.transport.shmem.internal.SocketRingLayout.RECORDS_OFFSET;
import static io.shmq.transport.shmem.internal.SocketRingLayout.RECORD_BYTES;
import static io.shmq.transport.shmem.internal.SocketRingLayout.SEQUENCE_H;
import static io.shmq.transport.shmem.internal.SocketRingLayout.TAIL_H;

/**
 * A view of one {@link SocketRingLayout} ring inside an endpoint mapping. Producers {@link #tryClaim}, {@link #write}
 * and {@link #publish}; consumers {@link #poll}. Blocking is the caller's: {@link #awaitNotEmpty} and
 * {@link #awaitNotFull} sleep on the ring's futex words for at most a slice, and wakers issue {@code FUTEX_WAKE}
 * only when a waiter count says someone sleeps. Not thread-safe as an object (the stall bookkeeping is per view);
 * the shared ring is safe for any number of processes.
 */
final class SocketRing {
    /**
     * How long a claimed but unpublished record (or a consumed but unreleased one) may block the ring before it is
     * skipped: a process that died between the two steps would otherwise wedge it (Agrona's {@code unblock()}).
     */
    static final long UNBLOCK_NANOS = 2_000_000_000L;
    private static final System.Logger LOG = System.getLogger(SocketRing.class.getName());

    /** A consumed record: {@code count} 1 for one message, 0 for a multipart descriptor. */
    record Entry(int count, MetaHeader meta) {
    }

    private final MemorySegment memory;
    private final long base;
    private final int capacity;
    private final long mask;
    private final long notEmptyAddress;
    private final long notFullAddress;
    private long stalledPosition = -1;
    private long stalledSince;

    SocketRing(final MemorySegment memory, final long base) {
        this.memory = memory;
        this.base = base;
        this.capacity = (int) CAPACITY_H.get(memory, base);
        this.mask = capacity - 1L;
        this.notEmptyAddress = memory.address() + base + SocketRingLayout.NOT_EMPTY_OFFSET;
        this.notFullAddress = memory.address() + base + SocketRingLayout.NOT_FULL_OFFSET;
    }

    /** Formats a fresh ring at {@code base}; the memory is zero (a new file). */
    static void format(final MemorySegment memory, final long base, final int capacity) {
        CAPACITY_H.set(memory, base, capacity);
        for (long i = 0; i < capacity; i++) {
            SEQUENCE_H.set(memory, base + RECORDS_OFFSET + i * RECORD_BYTES, i);
        }
    }

    int capacity() {
        return capacity;
    }

    private long record(final long position) {
        return base + RECORDS_OFFSET + (position & mask) * RECORD_BYTES;
    }

    /** Counts attached producers or consumers (volatile add). */
    void addProducers(final int delta) {
        SocketRingLayout.PRODUCERS_H.getAndAdd(memory, base, delta);
        signalNotFull();
    }

    void addConsumers(final int delta) {
        SocketRingLayout.CONSUMERS_H.getAndAdd(memory, base, delta);
        signalNotFull();
        signalNotEmpty();
    }

    /**
     * Counts attached sockets of processes without the futex downcall: they cannot wake sleepers, so while any is
     * attached, waiters sleep at most 1 ms at a time.
     */
    void addParkers(final int delta) {
        SocketRingLayout.PARKERS_H.getAndAdd(memory, base, delta);
    }

    private long slice(final long nanos) {
        return (int) SocketRingLayout.PARKERS_H.getVolatile(memory, base) > 0 ? Math.min(nanos, 1_000_000L) : nanos;
    }

    int consumers() {
        return (int) SocketRingLayout.CONSUMERS_H.getVolatile(memory, base);
    }

    /** Claims the owner word of a subscriber slot (0 = free). */
    boolean claimOwner(final int owner) {
        return SocketRingLayout.OWNER_H.compareAndSet(memory, base, 0, owner);
    }

    void releaseOwner() {
        SocketRingLayout.OWNER_H.setVolatile(memory, base, 0);
    }

    /** @return whether a record has been claimed beyond the head (volatile loads) */
    boolean hasInput() {
        return (long) TAIL_H.getVolatile(memory, base) > (long) HEAD_H.getVolatile(memory, base);
    }

    /** @return whether a producer could claim a record now (volatile loads) */
    boolean hasRoom() {
        return (long) TAIL_H.getVolatile(memory, base) - (long) HEAD_H.getVolatile(memory, base) < capacity;
    }

    /**
     * Claims the next record (CAS of the tail).
     *
     * @return its position, or -1 when the ring is full
     */
    long tryClaim() {
        while (true) {
            final long position = (long) TAIL_H.getVolatile(memory, base);
            final long record = record(position);
            final long sequence = (long) SEQUENCE_H.getAcquire(memory, record);
            if (sequence == position) {
                if (TAIL_H.compareAndSet(memory, base, position, position + 1)) {
                    return position;
                }
            } else if (sequence < position) {
                // Full, or a consumer took the record of the previous lap and died before releasing it.
                if (sequence == position - capacity + 1 && (long) HEAD_H.getVolatile(memory, base) > position - capacity
                        && stalled(position)
                        && SEQUENCE_H.compareAndSet(memory, record, sequence, position)) {
                    LOG.log(System.Logger.Level.WARNING, "released a ring record consumed but never released (consumer"
                            + " died?): position=" + (position - capacity));
                    continue;
                }
                return -1;
            }
            // sequence > position: another producer claimed it; reload the tail
        }
    }

    /** Writes the body of a claimed record (plain stores, published by {@link #publish}). */
    void write(final long position, final int count, final MetaHeader meta) {
        final long record = record(position);
        COUNT_H.set(memory, record, count);
        MetaHeaderLayout.write(meta, memory, record + HEADER_IN_RECORD);
    }

    /**
     * Publishes a claimed record (CAS of its sequence, release semantics) and wakes sleeping consumers.
     *
     * @return false when a consumer skipped the record as dead because this thread stalled for longer than
     * {@link #UNBLOCK_NANOS}: the message was not delivered and stays with the sender
     */
    boolean publish(final long position) {
        final boolean published = SEQUENCE_H.compareAndSet(memory, record(position), position, position + 1);
        signalNotEmpty();
        return published;
    }

    /**
     * Takes the next record: copies the body, then CASes the head, then release-stores the sequence for the next lap.
     *
     * @return the record, or null when the ring is empty
     */
    Entry poll() {
        while (true) {
            final long position = (long) HEAD_H.getVolatile(memory, base);
            final long record = record(position);
            final long sequence = (long) SEQUENCE_H.getAcquire(memory, record);
            if (sequence == position + 1) {
                Entry entry;
                try {
                    entry = new Entry((int) COUNT_H.get(memory, record),
                            MetaHeaderLayout.read(memory, record + HEADER_IN_RECORD));
                } catch (IllegalArgumentException e) {
                    entry = null; // torn by a racing consumer and the next lap's producer, or corrupt: see the CAS
                }
                if (HEAD_H.compareAndSet(memory, base, position, position + 1)) {
                    // A CAS, not a plain release store: a producer may have freed the record as dead meanwhile.
                    SEQUENCE_H.compareAndSet(memory, record, position + 1, position + capacity);
                    signalNotFull();
                    if (entry == null) {
                        LOG.log(System.Logger.Level.WARNING, "dropped a corrupt ring record: position=" + position);
                        continue;
                    }
                    return entry;
                }
            } else if (sequence == position) {
                // Empty, or claimed by a producer that has not published (yet, or ever: it died).
                if ((long) TAIL_H.getVolatile(memory, base) > position && stalled(position)
                        && SEQUENCE_H.compareAndSet(memory, record, position, position + capacity)) {
                    HEAD_H.compareAndSet(memory, base, position, position + 1);
                    signalNotFull();
                    LOG.log(System.Logger.Level.WARNING, "skipped a ring record claimed but never published (producer"
                            + " died?): position=" + position);
                    continue;
                }
                return null;
            } else if (sequence < position) {
                return null;
            }
            // sequence > position + 1: another consumer took it; reload the head
        }
    }

    private boolean stalled(final long position) {
        final long now = System.nanoTime();
        if (stalledPosition != position) {
            stalledPosition = position;
            stalledSince = now;
            return false;
        }
        return now - stalledSince >= UNBLOCK_NANOS;
    }

    private void signalNotEmpty() {
        NOT_EMPTY_H.getAndAdd(memory, base, 1);
        if ((int) EMPTY_WAITERS_H.getVolatile(memory, base) > 0) {
            Native.futexWakeAll(notEmptyAddress);
        }
    }

    private void signalNotFull() {
        NOT_FULL_H.getAndAdd(memory, base, 1);
        if ((int) FULL_WAITERS_H.getVolatile(memory, base) > 0) {
            Native.futexWakeAll(notFullAddress);
        }
    }

    /** Wakes everyone sleeping on this ring (interrupt, close); they re-check their condition. */
    void wakeAll() {
        signalNotEmpty();
        signalNotFull();
    }

    /** Sleeps until something may have been published, for at most {@code nanos}. */
    void awaitNotEmpty(final long nanos) {
        EMPTY_WAITERS_H.getAndAdd(memory, base, 1);
        try {
            final int value = (int) NOT_EMPTY_H.getVolatile(memory, base);
            if (!hasInput()) {
                sleep(notEmptyAddress, value, slice(nanos));
            }
        } finally {
            EMPTY_WAITERS_H.getAndAdd(memory, base, -1);
        }
    }

    /** Sleeps until a record may have been freed or a consumer attached, for at most {@code nanos}. */
    void awaitNotFull(final long nanos, final boolean needConsumer) {
        FULL_WAITERS_H.getAndAdd(memory, base, 1);
        try {
            final int value = (int) NOT_FULL_H.getVolatile(memory, base);
            if (!hasRoom() || (needConsumer && consumers() <= 0)) {
                sleep(notFullAddress, value, slice(nanos));
            }
        } finally {
            FULL_WAITERS_H.getAndAdd(memory, base, -1);
        }
    }

    private static void sleep(final long address, final int value, final long nanos) {
        if (!Native.futexWait(address, value, nanos)) {
            // No native access: timed parking in short slices (documented fallback).
            LockSupport.parkNanos(Math.min(nanos, 1_000_000L));
        }
    }
}
