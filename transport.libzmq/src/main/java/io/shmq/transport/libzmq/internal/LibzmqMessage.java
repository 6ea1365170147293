package io.shmq.transport.libzmq.internal;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.MessageBadAllocException;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportKind;
import io.shmq.transport.zeromq.common.PayloadPool;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A message of the libzmq transport: the payload it holds and, once it needs one, a {@code zmq_msg_t} (64 bytes of
 * native memory, {@code malloc}ed on first use, freed on close).
 *
 * <p>Four states. Empty: no payload. Pooled: a small payload (up to {@value #COPY_SEND_LIMIT} bytes, alignment up
 * to 64) from the factory's {@link PayloadPool}. Own: a payload this provider allocated ({@code malloc}, whose 16-byte
 * alignment is the default {@value #DEFAULT_ALIGNMENT}; {@code aligned_alloc} for a larger alignment) and not yet
 * handed to libzmq. In libzmq: the {@code zmq_msg_t} holds the content (received, or handed over by a send that did
 * not go through, or shared by {@link #copy()}).
 *
 * <p>A message joins the factory's registry (so that the factory's close frees what it holds) only once it holds
 * native memory of its own: an own payload or a {@code zmq_msg_t}. An empty or pooled message needs no registry: the
 * arena's close frees the pool. So the usual small send (create, fill, send, close) touches neither the registry nor
 * {@code malloc}.
 *
 * <p>Sending a pooled or own payload: up to {@value #COPY_SEND_LIMIT} bytes it is copied with one {@code zmq_send},
 * which makes libzmq's message exactly as a C sender's {@code zmq_msg_init_size} does (one allocation, freed by
 * libzmq's I/O thread), and the payload goes back to the pool (or is freed) by the sending thread itself. Handing a small payload over instead ({@code zmq_msg_init_data}) costs a
 * {@code zmq_msg_t}, a content header and two frees on the I/O thread, which measured slower (see the README).
 * A larger payload is handed to libzmq without a copy: {@code zmq_msg_init_data} with libc's {@code free} as the
 * deallocator. A receive moves the socket's received {@code zmq_msg_t} into this one ({@code zmq_msg_move}), so
 * {@link #data()} is libzmq's own buffer, viewed in place.
 *
 * <p>{@link #data()} is a view scoped to the factory's shared arena: after the factory closes, an access throws
 * {@link IllegalStateException} instead of touching freed memory. Within the factory's life a view kept past
 * {@link #close()}, a rebuild or a send reads memory that may be freed (the API says it is valid until then).
 * {@link #setUsedSize} shrinks without moving; a shrunk libzmq content is copied once when it is sent (libzmq has
 * no way to shorten a message in place). Not thread-safe: one thread at a time, as the API says.
 */
final class LibzmqMessage implements Message {
    /** The default payload alignment, as the other providers'; glibc's {@code malloc} gives it on 64-bit Linux. */
    static final long DEFAULT_ALIGNMENT = 16;
    /** Own payloads up to this size are sent as a copy ({@code zmq_send}), larger ones without one. */
    static final long COPY_SEND_LIMIT = 8192;

    private static final int EMPTY = 0;
    private static final int OWN = 1;
    private static final int LIBZMQ = 2;
    private static final int POOLED = 3;

    private final LibzmqFactory factory;
    /** The {@code zmq_msg_t}, initialised; NULL until the message first needs it. */
    private MemorySegment msg = MemorySegment.NULL;
    private int state = EMPTY;
    /** The payload's address (own or libzmq's), reinterpreted to {@link #size}, global scope; NULL when empty. */
    private MemorySegment base = MemorySegment.NULL;
    /** The used size. */
    private long size;
    /** The size of libzmq's content, when {@link #state} is {@link #LIBZMQ}. */
    private long contentSize;
    /** The view handed out by {@link #data()}, made on first use. */
    private MemorySegment view;
    private boolean closed;
    /** Whether the message is on the factory's registry: from the first native memory of its own on. */
    private boolean registered;
    /** 0 while the native memory is this message's, 1 once a closer claimed it (CAS): it is freed exactly once. */
    private volatile int claimed;
    /**
     * The next older message on the factory's registry ({@link LibzmqFactory#newMessage()}): written before the
     * message is published by the registry's CAS, later only under the registry's prune lock.
     */
    LibzmqMessage next;
    private static final VarHandle CLAIMED;

    static {
        try {
            CLAIMED = MethodHandles.lookup().findVarHandle(LibzmqMessage.class, "claimed", int.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    LibzmqMessage(final LibzmqFactory factory) {
        this.factory = factory;
    }

    LibzmqFactory factory() {
        return factory;
    }

    /** @return the {@code zmq_msg_t}, allocated and initialised on first use */
    private MemorySegment msg() {
        MemorySegment m = msg;
        if (m.address() == 0) {
            m = LibZmq.malloc(LibZmq.MSG_BYTES);
            if (m.address() == 0) {
                throw new MessageBadAllocException("no native memory for a zmq_msg_t: factory=" + factory.id());
            }
            m = m.reinterpret(LibZmq.MSG_BYTES);
            LibZmq.msgInit(m);
            msg = m;
            register();
        }
        return m;
    }

    /** Joins the factory's registry, once: the message holds native memory of its own from now on. */
    private void register() {
        if (!registered) {
            registered = true;
            factory.register(this);
        }
    }

    /** Allocates an own payload of {@code bytes}; 0 leaves the message empty. */
    void allocate(final long bytes, final long alignment) {
        release();
        if (bytes == 0) {
            return;
        }
        final long align = Math.max(DEFAULT_ALIGNMENT, alignment);
        if (bytes <= COPY_SEND_LIMIT && align <= PayloadPool.MAX_ALIGNMENT) {
            final MemorySegment block = factory.pool().take(bytes);
            if (block != null) {
                base = block;
                size = bytes;
                state = POOLED;
                return;
            }
        }
        MemorySegment memory = MemorySegment.NULL;
        if (align == DEFAULT_ALIGNMENT) {
            // malloc, unlike aligned_alloc, is served from the thread's cache (glibc 2.36 has none for memalign).
            memory = LibZmq.malloc(bytes);
            if (memory.address() % align != 0) {
                LibZmq.free(memory);
                memory = MemorySegment.NULL;
            }
        }
        if (memory.address() == 0) {
            memory = LibZmq.alignedAlloc(align, bytes);
        }
        if (memory.address() == 0) {
            throw new MessageBadAllocException("no native memory for a message: size=" + bytes + ", alignment="
                    + align + ", factory=" + factory.id());
        }
        base = memory.reinterpret(bytes);
        size = bytes;
        state = OWN;
        register();
    }

    @Override
    public MemorySegment data() {
        checkOpen();
        if (size == 0) {
            return MemorySegment.NULL;
        }
        MemorySegment v = view;
        if (v == null) {
            // A pooled block is a slice of the arena already; the others are global addresses, scoped here.
            v = state == POOLED ? base.asSlice(0, size) : base.reinterpret(size, factory.arena(), null);
            view = v;
        }
        return v;
    }

    @Override
    public long size() {
        checkOpen();
        return size;
    }

    @Override
    public void setUsedSize(final long used) {
        checkOpen();
        if (used < 0 || used > size) {
            throw new IllegalArgumentException("used size must be in [0, size]: usedSize=" + used + ", size=" + size);
        }
        if (used == 0) {
            release();
            return;
        }
        size = used;
        view = null;
    }

    @Override
    public void rebuild() {
        checkOpen();
        release();
    }

    @Override
    public void rebuild(final long bytes) {
        rebuild(bytes, 0);
    }

    @Override
    public void rebuild(final long bytes, final long alignment) {
        checkOpen();
        LibzmqFactory.checkAllocation(bytes, alignment);
        allocate(bytes, alignment);
    }

    @Override
    public Message copy() {
        checkOpen();
        factory.checkOpen();
        final LibzmqMessage copy = factory.newMessage();
        if (state == EMPTY) {
            return copy;
        }
        toLibzmq();
        // zmq_msg_copy shares the content by reference count (small contents are copied): nothing is duplicated.
        LibZmq.msgCopy(copy.msg(), msg);
        copy.state = LIBZMQ;
        // The copy's own address: a small content (up to 33 bytes) lives inside each zmq_msg_t, so the original's
        // address would read whatever the original (or the socket that took its zmq_msg_t) holds next.
        copy.base = size == 0 ? MemorySegment.NULL : LibZmq.msgData(copy.msg).reinterpret(size);
        copy.size = size;
        copy.contentSize = contentSize;
        return copy;
    }

    /**
     * Hands an own payload to libzmq (no copy): the {@code zmq_msg_t} owns it from now on. A pooled payload is first
     * copied into an own one (libzmq frees what it is given with {@code free}).
     */
    private void toLibzmq() {
        if (state == POOLED) {
            final MemorySegment memory = LibZmq.malloc(size);
            if (memory.address() == 0) {
                throw new MessageBadAllocException("no native memory for a message: size=" + size + ", factory="
                        + factory.id());
            }
            final MemorySegment own = memory.reinterpret(size);
            own.copyFrom(base.asSlice(0, size));
            factory.pool().give(base);
            base = own;
            state = OWN;
            view = null;
            register();
        }
        if (state == OWN) {
            LibZmq.msgInitData(msg(), base, size);
            state = LIBZMQ;
            contentSize = size;
        }
    }

    @Override
    public TransportKind kind() {
        return TransportKind.ZEROMQ;
    }

    /**
     * Makes the message ready to be sent on any socket, before the first frame of a send goes: a large own payload
     * is handed to libzmq here, a shrunk libzmq content is copied here, so that {@link #trySend} is one call.
     */
    void prepareSend() {
        checkOpen();
        if (state == OWN && size > COPY_SEND_LIMIT) {
            toLibzmq();
        }
        if (state == LIBZMQ && size < contentSize) {
            // libzmq cannot shorten a message: copy the used bytes into a payload of their own.
            final MemorySegment memory = LibZmq.malloc(size);
            if (memory.address() == 0) {
                throw new MessageBadAllocException("no native memory to shrink a message: size=" + size
                        + ", factory=" + factory.id());
            }
            final MemorySegment shrunk = memory.reinterpret(size);
            shrunk.copyFrom(base.asSlice(0, size));
            LibZmq.msgClose(msg);
            LibZmq.msgInitData(msg, shrunk, size);
            base = shrunk;
            contentSize = size;
            view = null;
        }
    }

    /**
     * One non-blocking attempt to send the message as one frame, after {@link #prepareSend()}: a copy of a small own
     * payload ({@code zmq_send}), else libzmq's {@code zmq_msg_t} ({@code zmq_msg_send}). Changes nothing when it
     * fails; the caller calls {@link #sent()} when it succeeded.
     *
     * @return not negative when libzmq took the frame, -1 with libzmq's errno set otherwise
     */
    int trySend(final MemorySegment socket, final int flags) {
        return switch (state) {
            // The pooled block's address alone: a segment of the shared arena would cost the downcall an acquire and
            // a release of the arena. The arena outlives every send (the factory closes its sockets first).
            case POOLED -> LibZmq.send(socket, MemorySegment.ofAddress(base.address()), size, flags);
            case OWN -> LibZmq.send(socket, base, size, flags);
            case LIBZMQ -> LibZmq.msgSend(msg, socket, flags);
            default -> LibZmq.send(socket, MemorySegment.NULL, 0, flags);
        };
    }

    /** A successful send: libzmq took the content (or a copy of an own payload, which is freed here). */
    void sent() {
        dropOwn();
        state = EMPTY;
        base = MemorySegment.NULL;
        size = 0;
        contentSize = 0;
        view = null;
    }

    /** Gives back a pooled payload, frees an own one; the state is the caller's to set. */
    private void dropOwn() {
        if (state == POOLED) {
            factory.pool().give(base);
        } else if (state == OWN) {
            LibZmq.free(base);
        }
    }

    /**
     * A single-part receive: takes the socket's {@code zmq_msg_t} that holds the received frame as this message's own
     * and gives the socket this message's one in exchange (its previous content, if any, is released by the socket's
     * next {@code zmq_msg_recv}, as a C receiver's is): no {@code zmq_msg_move}, no copy. A message without a
     * {@code zmq_msg_t} yet gets the frame moved into a new one instead.
     *
     * @return the {@code zmq_msg_t} the socket receives into from now on
     */
    MemorySegment receivedInto(final MemorySegment from, final long bytes) {
        final MemorySegment mine = msg;
        if (mine.address() == 0) {
            received(from, bytes);
            return from;
        }
        dropOwn();
        msg = from;
        state = LIBZMQ;
        size = bytes;
        contentSize = bytes;
        base = bytes == 0 ? MemorySegment.NULL : LibZmq.msgData(from).reinterpret(bytes);
        view = null;
        return mine;
    }

    /** A receive: moves the socket's received {@code zmq_msg_t} into this message, replacing the content. */
    void received(final MemorySegment from, final long bytes) {
        dropOwn();
        LibZmq.msgMove(msg(), from);
        state = LIBZMQ;
        size = bytes;
        contentSize = bytes;
        base = bytes == 0 ? MemorySegment.NULL : LibZmq.msgData(msg).reinterpret(bytes);
        view = null;
    }

    /** Drops the payload: frees an own one, releases libzmq's reference to its content. */
    private void release() {
        if (state == POOLED || state == OWN) {
            dropOwn();
        } else if (state == LIBZMQ) {
            LibZmq.msgClose(msg);
            LibZmq.msgInit(msg);
        }
        state = EMPTY;
        base = MemorySegment.NULL;
        size = 0;
        contentSize = 0;
        view = null;
    }

    /**
     * Frees the native memory, once: whoever claims it first (this close, or the factory's close for a message still
     * open) frees it, so the two never race. The factory's registry drops the closed message later.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!registered) {
            // Not on the registry (empty or pooled, no zmq_msg_t): nobody else can free it.
            dropOwn();
            state = EMPTY;
            base = MemorySegment.NULL;
            size = 0;
            view = null;
        } else if (state == EMPTY && msg.address() == 0) {
            // Nothing native to free (the usual case after a send): mark it for the registry's prune, no CAS. A
            // factory close that claims it at the same time finds nothing to free either.
            CLAIMED.setRelease(this, 1);
        } else if (claim()) {
            freeNative();
        }
    }

    /** @return whether this caller claimed the native memory (CAS 0 -> 1); it then frees it */
    boolean claim() {
        return CLAIMED.compareAndSet(this, 0, 1);
    }

    /** @return whether the native memory was claimed (acquire load): a closed message the registry may drop */
    boolean isClaimed() {
        return (int) CLAIMED.getAcquire(this) != 0;
    }

    /** Called by the factory's close after it claimed the message: frees its native memory. */
    void closeByFactory() {
        closed = true;
        freeNative();
    }

    private void freeNative() {
        dropOwn();
        if (msg.address() != 0) {
            LibZmq.msgClose(msg);
            LibZmq.free(msg);
            msg = MemorySegment.NULL;
        }
        state = EMPTY;
        base = MemorySegment.NULL;
        size = 0;
        view = null;
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
