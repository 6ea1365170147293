package io.shmq.transport.zeromq.internal;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportKind;
import io.shmq.transport.zeromq.common.PayloadPool;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A message of the zeromq transport: an off-heap payload or none. A small payload is a block of the factory's
 * {@link PayloadPool} that this message alone holds ({@link #block}): it goes back
 * to the pool when the message is sent (its send copied it into a heap frame), rebuilt, received into or closed. A
 * larger one is {@link OffHeap} memory that JeroMQ takes without a copy.
 *
 * <p>{@link #copy()} shares the payload, as FairMQ's zeromq transport does with {@code zmq_msg_copy}: no byte is
 * copied (a pooled payload is first moved out of the pool, once), and a write through one message is visible through
 * the other (treat shared payloads as read-only). Closing drops this message's reference; the memory is freed when
 * no message and no queued frame refers to it. Not thread-safe: one thread at a time, as the API says.
 */
final class ZmqMessage implements Message {
    private final ZmqFactory factory;
    private MemorySegment data = MemorySegment.NULL;
    /** The pooled block {@link #data} is a slice of, held by this message alone; null otherwise. */
    private MemorySegment block;
    private boolean closed;

    ZmqMessage(final ZmqFactory factory) {
        this.factory = factory;
    }

    ZmqMessage(final ZmqFactory factory, final MemorySegment data) {
        this.factory = factory;
        this.data = data;
    }

    ZmqFactory factory() {
        return factory;
    }

    @Override
    public MemorySegment data() {
        checkOpen();
        return data;
    }

    @Override
    public long size() {
        checkOpen();
        return data.byteSize();
    }

    @Override
    public void setUsedSize(final long size) {
        checkOpen();
        if (size < 0 || size > data.byteSize()) {
            throw new IllegalArgumentException("used size must be in [0, size]: usedSize=" + size + ", size="
                    + data.byteSize());
        }
        data = size == 0 ? MemorySegment.NULL : data.asSlice(0, size);
    }

    @Override
    public void rebuild() {
        checkOpen();
        drop();
    }

    /** Gives {@code size} bytes of {@code alignment} (checked here): a pooled block when small, else off-heap memory. */
    void allocate(final long size, final long alignment) {
        ZmqFactory.checkAllocation(size, alignment);
        drop();
        final MemorySegment pooled = factory.pooled(size, alignment);
        if (pooled != null) {
            block = pooled;
            data = pooled.asSlice(0, size);
        } else {
            data = factory.allocate(size, alignment);
        }
    }

    /** Gives the pooled block back, if any, and empties the message. */
    private void drop() {
        if (block != null) {
            factory.pool().give(block);
            block = null;
        }
        data = MemorySegment.NULL;
    }

    @Override
    public void rebuild(final long size) {
        rebuild(size, 0);
    }

    @Override
    public void rebuild(final long size, final long alignment) {
        checkOpen();
        allocate(size, alignment);
    }

    @Override
    public Message copy() {
        checkOpen();
        factory.checkOpen();
        if (block != null) {
            // Shared from now on: out of the pool, into memory the garbage collector frees after the last holder.
            final MemorySegment own = factory.allocate(data.byteSize(), PayloadPool.MAX_ALIGNMENT).copyFrom(data);
            drop();
            data = own;
        }
        return new ZmqMessage(factory, data);
    }

    @Override
    public TransportKind kind() {
        return TransportKind.ZEROMQ;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            drop();
        }
    }

    /** Takes the payload for sending; the message keeps it until {@link #sent()} confirms the send. */
    MemorySegment payload() {
        checkOpen();
        return data;
    }

    /** @return whether the payload is a pooled block: a send copies it into a heap frame */
    boolean pooled() {
        return block != null;
    }

    /** A successful send: the sender no longer owns the payload (a pooled block goes back). */
    void sent() {
        drop();
    }

    /** A receive replaces the content. */
    void received(final MemorySegment payload) {
        checkOpen();
        drop();
        data = Objects.requireNonNull(payload, "payload");
    }

    /** A receive replaces the content with the first {@code size} bytes of the pooled {@code pooledBlock}. */
    void receivedPooled(final MemorySegment pooledBlock, final long size) {
        checkOpen();
        drop();
        block = pooledBlock;
        data = pooledBlock.asSlice(0, size);
    }

    boolean isClosed() {
        return closed;
    }

    void checkOpen() {
        if (closed) {
            throw new TransportClosedException("message is closed: factory=" + factory.id());
        }
        if (factory.isClosed()) {
            throw new TransportClosedException("message's factory is closed: factory=" + factory.id());
        }
    }
}
