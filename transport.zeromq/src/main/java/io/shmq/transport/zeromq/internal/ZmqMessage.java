package io.shmq.transport.zeromq.internal;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportKind;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * A message of the zeromq transport: an off-heap payload (see {@link OffHeap}) or none.
 *
 * <p>{@link #copy()} shares the payload, as FairMQ's zeromq transport does with {@code zmq_msg_copy}: no byte is
 * copied, and a write through one message is visible through the other (treat shared payloads as read-only).
 * Closing drops this message's reference; the memory is freed when no message and no queued frame refers to it.
 * Not thread-safe: one thread at a time, as the API says.
 */
final class ZmqMessage implements Message {
    private final ZmqFactory factory;
    private MemorySegment data = MemorySegment.NULL;
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
        data = MemorySegment.NULL;
    }

    @Override
    public void rebuild(final long size) {
        rebuild(size, 0);
    }

    @Override
    public void rebuild(final long size, final long alignment) {
        checkOpen();
        data = factory.allocate(size, alignment);
    }

    @Override
    public Message copy() {
        checkOpen();
        factory.checkOpen();
        return new ZmqMessage(factory, data);
    }

    @Override
    public TransportKind kind() {
        return TransportKind.ZEROMQ;
    }

    @Override
    public void close() {
        closed = true;
        data = MemorySegment.NULL;
    }

    /** Takes the payload for sending; the message keeps it until {@link #sent()} confirms the send. */
    MemorySegment payload() {
        checkOpen();
        return data;
    }

    /** A successful send: the sender no longer owns the payload. */
    void sent() {
        data = MemorySegment.NULL;
    }

    /** A receive replaces the content. */
    void received(final MemorySegment payload) {
        checkOpen();
        data = Objects.requireNonNull(payload, "payload");
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
