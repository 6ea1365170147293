package io.shmq.transport.zeromq.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.MessageBadAllocException;
import io.shmq.transport.api.Poller;
import io.shmq.transport.api.RegionBlock;
import io.shmq.transport.api.RegionEvent;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.UnmanagedRegion;
import io.shmq.transport.zeromq.common.LocalRegion;
import io.shmq.transport.zeromq.common.LocalRegions;
import io.shmq.transport.zeromq.common.PayloadPool;
import io.shmq.transport.zeromq.common.ZeromqFactoryBase;
import io.shmq.transport.zeromq.common.ZeromqOptions;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;
import org.zeromq.ZMQ;

/**
 * A zeromq factory: one JeroMQ context (the I/O threads) and everything made from it.
 *
 * <p>Close: sockets are closed first, each with its own linger (see {@link ZmqSocket}), then the context is
 * terminated. JeroMQ's termination waits until every closed socket has delivered its queued messages or its linger
 * passed, so all sockets linger in parallel and {@code close()} takes at most the largest linger.
 *
 * <p>Regions are local off-heap memory ({@link LocalRegion}, kept by {@link LocalRegions}, shared with the
 * libzmq provider); region events report them as {@link RegionEvent#LOCAL_ONLY} when they appear and
 * {@link RegionEvent#DESTROYED} when they close, on the thread that created or closed the region.
 *
 * <p>Small payloads (up to {@link OffHeap#SMALL}, alignment up to 64) come from the factory's {@link PayloadPool}, in
 * a shared arena the close ends last (a view of such a payload throws from then on); the others from
 * {@link OffHeap}.
 */
final class ZmqFactory extends ZeromqFactoryBase<ZmqSocket, ZmqPoller> {
    private final ZMQ.Context context;

    private final ZeromqOptions options;
    private final Arena arena = Arena.ofShared();
    private final PayloadPool pool = new PayloadPool(arena, OffHeap.SMALL);

    ZmqFactory(final FactoryConfig config, final ZeromqOptions options) {
        super(config);
        this.options = options;
        this.context = ZMQ.context(options.ioThreads());
    }

    /** @return whether {@code ipc://} is handed to JeroMQ's loopback-tcp emulation instead of being refused */
    boolean jeromqIpcEmulation() {
        return options.jeromqIpcEmulation();
    }

    /** @return the handshake interval of this factory's sockets */
    int handshakeIntervalMs() {
        return options.handshakeIntervalMs();
    }

    @Override
    public Message createMessage() {
        checkOpen();
        return new ZmqMessage(this);
    }

    @Override
    public Message createMessage(final long size) {
        return createMessage(size, 0);
    }

    @Override
    public Message createMessage(final long size, final long alignment) {
        checkOpen();
        final ZmqMessage message = new ZmqMessage(this);
        message.allocate(size, alignment);
        return message;
    }

    @Override
    public Message createMessage(final MemorySegment source) {
        Objects.requireNonNull(source, "source");
        checkOpen();
        final ZmqMessage message = new ZmqMessage(this);
        message.allocate(source.byteSize(), 0);
        message.data().copyFrom(source);
        return message;
    }

    @Override
    public Message createMessage(final UnmanagedRegion region, final long offset, final long size, final long hint) {
        final LocalRegion zmqRegion = ownRegion(region, offset, size);
        final ZmqMessage message = new ZmqMessage(this);
        message.allocate(size, 0);
        message.data().copyFrom(zmqRegion.data().asSlice(offset, size));
        // The message owns a copy: the block is free again now, as in FairMQ's zeromq transport.
        zmqRegion.released(new RegionBlock(offset, size, hint));
        return message;
    }

    /** @return the pool of small payloads */
    PayloadPool pool() {
        return pool;
    }

    /**
     * @return a pooled block for a payload of {@code size} and {@code alignment} (already checked, by
     * {@link #checkAllocation}), or null when it is not small or the pool has none
     */
    MemorySegment pooled(final long size, final long alignment) {
        return size > 0 && size <= OffHeap.SMALL && alignment <= PayloadPool.MAX_ALIGNMENT ? pool.take(size) : null;
    }

    /**
     * Allocates a payload outside the pool; {@code size} 0 gives {@link MemorySegment#NULL}. The caller checked
     * {@code size} and {@code alignment} ({@link #checkAllocation}: a message's allocation does, once).
     */
    MemorySegment allocate(final long size, final long alignment) {
        if (size == 0) {
            return MemorySegment.NULL;
        }
        try {
            return OffHeap.allocate(size, alignment);
        } catch (final OutOfMemoryError e) {
            throw new MessageBadAllocException("no off-heap memory for a message: size=" + size + ", alignment="
                    + alignment + ", factory=" + id(), e);
        }
    }

    /** Checks a payload's size and alignment. */
    static void checkAllocation(final long size, final long alignment) {
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative: size=" + size);
        }
        if (alignment < 0 || (alignment & (alignment - 1)) != 0) {
            throw new IllegalArgumentException("alignment must be 0 or a power of two: alignment=" + alignment);
        }
        if (size > Integer.MAX_VALUE) {
            // A ZeroMQ frame is backed by one ByteBuffer, which holds at most 2 GiB - 1 bytes.
            throw new MessageBadAllocException("message too large for a ZeroMQ frame: size=" + size + ", max="
                    + Integer.MAX_VALUE);
        }
    }

    @Override
    public Socket createSocket(final SocketType type, final String name) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(name, "name");
        checkOpen();
        return register(new ZmqSocket(this, context, type, name));
    }

    @Override
    public Poller createPoller(final List<Socket> list) {
        return register(new ZmqPoller(this, context, ownSockets(list)));
    }

    @Override
    public void close() {
        if (!markClosed()) {
            return;
        }
        // JeroMQ's socket close and context termination fail with EINTR on an interrupted thread (a DS deactivate
        // may run on one) and then leave the context's threads running: close with the flag cleared, restore it.
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
        closeMade();
        // Blocks until every socket delivered its queue or its linger passed (all in parallel).
        context.close();
        arena.close(); // the pool's chunks: no socket sends from them any more

    }

    @Override
    public String toString() {
        return "ZmqFactory[id=" + id() + ", session=" + config().session() + "]";
    }
}
