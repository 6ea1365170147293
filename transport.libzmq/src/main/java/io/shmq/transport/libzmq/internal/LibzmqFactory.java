package io.shmq.transport.libzmq.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Poller;
import io.shmq.transport.api.RegionBlock;
import io.shmq.transport.api.RegionEvent;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketException;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.UnmanagedRegion;
import io.shmq.transport.zeromq.common.LocalRegion;
import io.shmq.transport.zeromq.common.LocalRegions;
import io.shmq.transport.zeromq.common.PayloadPool;
import io.shmq.transport.zeromq.common.ZeromqFactoryBase;
import io.shmq.transport.zeromq.common.ZeromqOptions;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A libzmq factory: one libzmq context (its I/O threads), a shared arena that scopes the payload views it hands out,
 * and everything it made.
 *
 * <p>Close: pollers and sockets are closed first (each wakes a call blocked in it and waits until the call left
 * libzmq), then {@code zmq_ctx_term} waits until every closed socket has delivered its queue or its linger passed
 * (all in parallel, so at most the largest linger), then the arena closes (every payload view of this factory
 * throws from then on) and the messages still open are freed.
 *
 * <p>Regions are local native memory ({@link LocalRegion}, kept by {@link LocalRegions}), the JeroMQ provider's code: a region message is
 * a copy and its block is released at once; events say {@link RegionEvent#LOCAL_ONLY} and
 * {@link RegionEvent#DESTROYED}.
 */
final class LibzmqFactory extends ZeromqFactoryBase<LibzmqSocket, LibzmqPoller> {
    private final MemorySegment context;
    private final Arena arena = Arena.ofShared();
    private final PayloadPool pool = new PayloadPool(arena, LibzmqMessage.COPY_SEND_LIMIT);
    /**
     * The registry of messages, so that close frees those still open: a lock-free stack ({@link #registry}, linked by
     * {@link LibzmqMessage#next}) that a message joins with one CAS once it holds native memory of its own (an own
     * payload or a {@code zmq_msg_t}; pooled payloads need no registry); a message's close claims its native memory
     * with one CAS of its own and stays on the stack until a prune drops it. This replaced a doubly-linked list
     * under a lock, whose lock and unlock on create and on close cost about 12 % of a small message's send rate
     * (measured). Prunes run under {@link #pruneLock}, in amortised constant time per message: after a prune the
     * next one waits until {@link #pruneAt} more messages were made, at least twice as many as stayed open.
     */
    private volatile LibzmqMessage registry;
    private final ReentrantLock pruneLock = new ReentrantLock();
    /** Messages made since the last prune: plain, racy on purpose (a lost count only delays a prune a little). */
    private int madeSincePrune;
    /** Written under the prune lock; read plain by creators. */
    private int pruneAt = MIN_PRUNE;
    private static final int MIN_PRUNE = 1024;
    private static final VarHandle REGISTRY;

    static {
        try {
            REGISTRY = MethodHandles.lookup().findVarHandle(LibzmqFactory.class, "registry", LibzmqMessage.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }


    private final ZeromqOptions options;

    LibzmqFactory(final FactoryConfig config, final ZeromqOptions options) {
        super(config);
        this.options = options;
        this.context = LibZmq.ctxNew();
        if (context.address() == 0) {
            throw new SocketException("zmq_ctx_new failed: factory=" + config.id() + ", errno=" + LibZmq.errno());
        }
        LibZmq.ctxSet(context, LibZmq.ZMQ_IO_THREADS, options.ioThreads());
    }

    /** @return this factory's options */
    ZeromqOptions options() {
        return options;
    }

    /** @return the arena that scopes every payload view of this factory */
    Arena arena() {
        return arena;
    }

    /** @return a new empty message; it joins the registry when it first holds native memory ({@link #register}) */
    LibzmqMessage newMessage() {
        return new LibzmqMessage(this);
    }

    /**
     * Puts a message on the registry: it holds native memory of its own from now on (see {@link LibzmqMessage}).
     *
     * @throws TransportClosedException when the factory closed meanwhile (the message is closed then)
     */
    void register(final LibzmqMessage message) {
        LibzmqMessage head;
        do {
            head = registry;
            message.next = head;
        } while (!REGISTRY.compareAndSet(this, head, message));
        // Close sets closed, then walks the registry: it frees this message, or this check sees closed.
        if (isClosed()) {
            message.close();
            checkOpen();
        }
        if (++madeSincePrune >= pruneAt && pruneLock.tryLock()) {
            try {
                prune();
            } finally {
                pruneLock.unlock();
            }
        }
    }

    /** @return the pool of small payloads, scoped to the factory's arena */
    PayloadPool pool() {
        return pool;
    }

    /**
     * Drops the closed messages behind the registry's head (the head stays: new messages CAS onto it). Pushes only
     * write the head and their own message, so the rest of the stack changes only here and in close, both under the
     * prune lock.
     */
    private void prune() {
        final LibzmqMessage head = registry;
        int open = 0;
        if (head != null) {
            LibzmqMessage kept = head;
            for (LibzmqMessage m = head.next; m != null; m = m.next) {
                if (m.isClaimed()) {
                    kept.next = m.next;
                } else {
                    kept = m;
                    open++;
                }
            }
        }
        madeSincePrune = 0;
        pruneAt = Math.max(MIN_PRUNE, 2 * open);
    }

    static void checkAllocation(final long size, final long alignment) {
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative: size=" + size);
        }
        if (alignment < 0 || (alignment & (alignment - 1)) != 0) {
            throw new IllegalArgumentException("alignment must be 0 or a power of two: alignment=" + alignment);
        }
    }

    @Override
    public Message createMessage() {
        checkOpen();
        return newMessage();
    }

    @Override
    public Message createMessage(final long size) {
        return createMessage(size, 0);
    }

    @Override
    public Message createMessage(final long size, final long alignment) {
        checkAllocation(size, alignment);
        checkOpen();
        final LibzmqMessage message = newMessage();
        message.allocate(size, alignment);
        return message;
    }

    @Override
    public Message createMessage(final MemorySegment source) {
        Objects.requireNonNull(source, "source");
        checkOpen();
        final LibzmqMessage message = newMessage();
        message.allocate(source.byteSize(), 0);
        if (source.byteSize() > 0) {
            message.data().copyFrom(source);
        }
        return message;
    }

    @Override
    public Message createMessage(final UnmanagedRegion region, final long offset, final long size, final long hint) {
        final LocalRegion zmqRegion = ownRegion(region, offset, size);
        final LibzmqMessage message = newMessage();
        message.allocate(size, 0);
        if (size > 0) {
            message.data().copyFrom(zmqRegion.data().asSlice(offset, size));
        }
        // The message owns a copy: the block is free again now, as in FairMQ's zeromq transport.
        zmqRegion.released(new RegionBlock(offset, size, hint));
        return message;
    }

    @Override
    public Socket createSocket(final SocketType type, final String name) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(name, "name");
        checkOpen();
        return register(new LibzmqSocket(this, context, type, name));
    }

    @Override
    public Poller createPoller(final List<Socket> list) {
        return register(new LibzmqPoller(this, ownSockets(list)));
    }

    @Override
    public void close() {
        if (!markClosed()) {
            return;
        }
        closeMade();
        // Blocks until every socket delivered its queue or its linger passed (all in parallel).
        while (LibZmq.ctxTerm(context) != 0 && LibZmq.errno() == LibZmq.EINTR) {
            Thread.onSpinWait();
        }
        // Views first (any access throws from now on), then the memory behind them.
        arena.close();
        pruneLock.lock();
        try {
            for (LibzmqMessage m = registry; m != null; m = m.next) {
                if (m.claim()) {
                    m.closeByFactory();
                }
            }
            registry = null;
        } finally {
            pruneLock.unlock();
        }
    }

    @Override
    public String toString() {
        return "LibzmqFactory[id=" + id() + ", session=" + config().session() + ", libzmq " + LibZmq.version() + "]";
    }
}
