package io.shmq.transport.shmem.internal.ring;

import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.MetaHeaderLayout;
import io.shmq.transport.shmem.internal.os.Native;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.LockSupport;

import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.CAPACITY_H;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.COUNT_H;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.EMPTY_WAITERS_H;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.FULL_WAITERS_H;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.HEADER_IN_RECORD;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.NOT_EMPTY_H;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.NOT_FULL_H;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.RECORDS_OFFSET;
import static io.shmq.transport.shmem.internal.ring.SocketRingLayout.RECORD_BYTES;

/**
 * A view of one {@link SocketRingLayout} ring inside an endpoint mapping. Producers {@link #tryClaim}, {@link #write}
 * and {@link #publish}; consumers {@link #poll} (the protocol is {@link SequencedRing}'s). Blocking is the caller's:
 * {@link #awaitNotEmpty} and {@link #awaitNotFull} sleep on the ring's futex words for at most a slice, and wakers
 * issue {@code FUTEX_WAKE} only when a waiter count says someone sleeps.
 */
public final class SocketRing extends SequencedRing<SocketRing.Entry> {
    /**
     * How long a claimed but unpublished record (or a consumed but unreleased one) may block the ring before it is
     * skipped: a process that died between the two steps would otherwise wedge it (Agrona's {@code unblock()}).
     */
    public static final long UNBLOCK_NANOS = 2_000_000_000L;
    /** The longest sleep while a process without the futex downcall is attached: it cannot wake anyone. */
    private static final long PARKER_SLICE_NANOS = 1_000_000L;

    /** A consumed record: {@code count} 1 for one message, 0 for a multipart descriptor. */
    public record Entry(int count, MetaHeader meta) {
    }

    private final long base;
    private final long notEmptyAddress;
    private final long notFullAddress;

    /**
     * @param memory the endpoint mapping
     * @param base   the ring's offset in it; its capacity is read from there and checked against the mapping
     * @param what   names the ring in errors
     */
    public SocketRing(final MemorySegment memory, final long base, final String what) {
        super(memory, base + SocketRingLayout.CURSORS_OFFSET, base + RECORDS_OFFSET, RECORD_BYTES,
                (int) CAPACITY_H.get(memory, base), UNBLOCK_NANOS, what);
        this.base = base;
        this.notEmptyAddress = memory.address() + base + SocketRingLayout.NOT_EMPTY_OFFSET;
        this.notFullAddress = memory.address() + base + SocketRingLayout.NOT_FULL_OFFSET;
    }

    /** Formats a fresh ring at {@code base}; the memory is zero (a new file). */
    public static void format(final MemorySegment memory, final long base, final int capacity) {
        CAPACITY_H.set(memory, base, capacity);
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

    /** Frees the owner word. */
    public void releaseOwner() {
        SocketRingLayout.OWNER_H.setVolatile(memory, base, 0);
    }

    /** Writes the body of a claimed record (plain stores, published by {@link #publish}). */
    public void write(final long position, final int count, final MetaHeader meta) {
        final long record = record(position);
        COUNT_H.set(memory, record, count);
        MetaHeaderLayout.write(meta, memory, record + HEADER_IN_RECORD);
    }

    @Override
    protected Entry readBody(final long record) {
        try {
            return new Entry((int) COUNT_H.get(memory, record),
                    MetaHeaderLayout.read(memory, record + HEADER_IN_RECORD));
        } catch (IllegalArgumentException e) {
            return null;
        }
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
    public void wakeAll() {
        signalNotEmpty();
        signalNotFull();
    }

    /** Sleeps until something may have been published, for at most {@code nanos}. */
    public void awaitNotEmpty(final long nanos) {
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
    public void awaitNotFull(final long nanos, final boolean needConsumer) {
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
            LockSupport.parkNanos(Math.min(nanos, PARKER_SLICE_NANOS));
        }
    }
}
