package io.shmq.transport.libzmq.internal;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.MessageBadAllocException;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportKind;
import java.lang.foreign.MemorySegment;

/**
 * A message of the libzmq transport: a {@code zmq_msg_t} (64 bytes of native memory, {@code malloc}ed, freed on
 * close) and the payload it holds or will hold.
 *
 * <p>Three states. Empty: no payload. Own: a payload this provider allocated ({@code aligned_alloc}, default
 * alignment {@value #DEFAULT_ALIGNMENT}) and not yet handed to libzmq. In libzmq: the {@code zmq_msg_t} holds the
 * content (received, or handed over by a send that did not go through, or shared by {@link #copy()}). A send turns
 * an own payload into libzmq content with {@code zmq_msg_init_data} and libc's {@code free} as the deallocator, so
 * nothing is copied; a receive moves the socket's received {@code zmq_msg_t} into this one ({@code zmq_msg_move}),
 * so {@link #data()} is libzmq's own buffer, viewed in place.
 *
 * <p>{@link #data()} is a view scoped to the factory's shared arena: after the factory closes, an access throws
 * {@link IllegalStateException} instead of touching freed memory. Within the factory's life a view kept past
 * {@link #close()}, a rebuild or a send reads memory that may be freed (the API says it is valid until then).
 * {@link #setUsedSize} shrinks without moving; a shrunk libzmq content is copied once when it is sent (libzmq has
 * no way to shorten a message in place). Not thread-safe: one thread at a time, as the API says.
 */
final class LibzmqMessage implements Message {
    /** The default payload alignment, as the other providers'. */
    static final long DEFAULT_ALIGNMENT = 16;

    private static final int EMPTY = 0;
    private static final int OWN = 1;
    private static final int LIBZMQ = 2;

    private final LibzmqFactory factory;
    /** The {@code zmq_msg_t}, always initialised while the message is open. */
    private final MemorySegment msg;
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
    /** The factory's list of open messages; guarded by the factory's lock. */
    LibzmqMessage prev;
    LibzmqMessage next;

    LibzmqMessage(final LibzmqFactory factory) {
        this.factory = factory;
        this.msg = LibZmq.malloc(LibZmq.MSG_BYTES).reinterpret(LibZmq.MSG_BYTES);
        if (msg.address() == 0) {
            throw new MessageBadAllocException("no native memory for a zmq_msg_t: factory=" + factory.id());
        }
        LibZmq.msgInit(msg);
    }

    LibzmqFactory factory() {
        return factory;
    }

    /** Allocates an own payload of {@code bytes}; 0 leaves the message empty. */
    void allocate(final long bytes, final long alignment) {
        release();
        if (bytes == 0) {
            return;
        }
        final long align = Math.max(DEFAULT_ALIGNMENT, alignment);
        final MemorySegment memory = LibZmq.alignedAlloc(align, bytes);
        if (memory.address() == 0) {
            throw new MessageBadAllocException("no native memory for a message: size=" + bytes + ", alignment="
                    + align + ", factory=" + factory.id());
        }
        base = memory.reinterpret(bytes);
        size = bytes;
        state = OWN;
    }

    @Override
    public MemorySegment data() {
        checkOpen();
        if (size == 0) {
            return MemorySegment.NULL;
        }
        MemorySegment v = view;
        if (v == null) {
            v = base.reinterpret(size, factory.arena(), null);
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
        LibZmq.msgCopy(copy.msg, msg);
        copy.state = LIBZMQ;
        copy.base = base;
        copy.size = size;
        copy.contentSize = contentSize;
        return copy;
    }

    /** Hands an own payload to libzmq (no copy): the {@code zmq_msg_t} owns it from now on. */
    private void toLibzmq() {
        if (state == OWN) {
            LibZmq.msgInitData(msg, base, size);
            state = LIBZMQ;
            contentSize = size;
        }
    }

    @Override
    public TransportKind kind() {
        return TransportKind.ZEROMQ;
    }

    /**
     * The {@code zmq_msg_t} to send, holding exactly {@link #size} bytes; the message keeps it until
     * {@link #sent()}.
     */
    MemorySegment prepareSend() {
        checkOpen();
        toLibzmq();
        if (state == LIBZMQ && size < contentSize) {
            // libzmq cannot shorten a message: copy the used bytes into a payload of their own.
            final MemorySegment memory = LibZmq.alignedAlloc(DEFAULT_ALIGNMENT, size);
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
        return msg;
    }

    /** A successful send: libzmq took the content and left the {@code zmq_msg_t} empty. */
    void sent() {
        state = EMPTY;
        base = MemorySegment.NULL;
        size = 0;
        contentSize = 0;
        view = null;
    }

    /** A receive: moves the socket's received {@code zmq_msg_t} into this message, replacing the content. */
    void received(final MemorySegment from, final long bytes) {
        if (state == OWN) {
            LibZmq.free(base);
        }
        LibZmq.msgMove(msg, from);
        state = LIBZMQ;
        size = bytes;
        contentSize = bytes;
        base = bytes == 0 ? MemorySegment.NULL : LibZmq.msgData(msg).reinterpret(bytes);
        view = null;
    }

    /** Drops the payload: frees an own one, releases libzmq's reference to its content. */
    private void release() {
        if (state == OWN) {
            LibZmq.free(base);
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
     * Frees the native memory, once: whoever takes the message off the factory's list (this close, or the
     * factory's close for a message still open) frees it, so the two never race.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (factory.forget(this)) {
            freeNative();
        }
    }

    /** Called by the factory's close, after it took this message off its list: frees its native memory. */
    void closeByFactory() {
        closed = true;
        freeNative();
    }

    private void freeNative() {
        if (state == OWN) {
            LibZmq.free(base);
        }
        LibZmq.msgClose(msg);
        LibZmq.free(msg);
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
