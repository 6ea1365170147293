package io.shmq.transport.zeromq.common;

import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.TransportClosedException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Objects;

/**
 * What every zeromq socket keeps, whichever library is underneath: its identity and type rules, the closed flag,
 * the lock around its library calls, the high-water marks and linger (checked here, handed to the library by the
 * provider), the counters, the req turn, and the argument checks of transfers and topics.
 *
 * <p>Not the transfers: each provider's send and receive stay in its own final class and call only final methods
 * and fields of this one, so they bind statically and are inlined as before; nothing here is virtual on the
 * per-message path. The only abstract methods are the three option setters ({@link #applySendHighWaterMark(int)},
 * {@link #applyReceiveHighWaterMark(int)}, {@link #applyLinger(int)}), called with {@link #lock} held.
 *
 * <p>Counters: plain fields, written with release stores by the one thread that uses the socket (a plain store on
 * x86, no fence per message) and read with acquire loads by any thread. A multipart unit counts once.
 *
 * <p>The req turn: strict alternation (as without {@code ZMQ_REQ_RELAXED}), except that a receive that timed out
 * lets the next request go; the providers set the library's relaxed and correlated modes so that a late reply to
 * the request given up is dropped.
 */
public abstract non-sealed class ZeromqSocketBase extends ZeromqCloseable implements Socket {
    private static final VarHandle BYTES_SENT;
    private static final VarHandle BYTES_RECEIVED;
    private static final VarHandle MESSAGES_SENT;
    private static final VarHandle MESSAGES_RECEIVED;

    static {
        try {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            BYTES_SENT = lookup.findVarHandle(ZeromqSocketBase.class, "bytesSent", long.class);
            BYTES_RECEIVED = lookup.findVarHandle(ZeromqSocketBase.class, "bytesReceived", long.class);
            MESSAGES_SENT = lookup.findVarHandle(ZeromqSocketBase.class, "messagesSent", long.class);
            MESSAGES_RECEIVED = lookup.findVarHandle(ZeromqSocketBase.class, "messagesReceived", long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Held during every call into the library on this socket (and a transfer's whole attempt), so that a close
     * from another thread waits until the call it woke has left the library.
     */
    protected final CallLock lock = new CallLock();
    private final SocketType type;
    private final String name;
    private final String id;
    private volatile Duration linger = DEFAULT_LINGER;
    private volatile int sendHighWaterMark = DEFAULT_HIGH_WATER_MARK;
    private volatile int receiveHighWaterMark = DEFAULT_HIGH_WATER_MARK;
    private long bytesSent;
    private long bytesReceived;
    private long messagesSent;
    private long messagesReceived;
    /** A req: a request is out and its reply not in. */
    private boolean awaitingReply;
    /** A req: its last receive timed out, so it may give the request up and send the next one. */
    private boolean replyTimedOut;

    /**
     * @param factoryId the id of the factory that makes the socket ({@link #id()} is {@code factoryId.name})
     * @param type      the socket type
     * @param name      the socket's name
     */
    protected ZeromqSocketBase(final String factoryId, final SocketType type, final String name) {
        this.type = type;
        this.name = name;
        this.id = factoryId + "." + name;
    }

    /** @return whether a socket of {@code type} sends (all but pull and sub) */
    public static boolean canSend(final SocketType type) {
        return type != SocketType.PULL && type != SocketType.SUB;
    }

    /** @return whether a socket of {@code type} receives (all but push and pub) */
    public static boolean canReceive(final SocketType type) {
        return type != SocketType.PUSH && type != SocketType.PUB;
    }

    /** @throws IllegalArgumentException unless {@code timeoutMs} is -1, 0 or positive */
    public static void checkTimeout(final long timeoutMs) {
        if (timeoutMs < INFINITE) {
            throw new IllegalArgumentException("timeout must be -1, 0 or positive: timeoutMs=" + timeoutMs);
        }
    }

    @Override
    public final String id() {
        return id;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final SocketType type() {
        return type;
    }

    /** @throws TransportClosedException if the socket is closed */
    public final void checkOpen() {
        if (isClosed()) {
            throw new TransportClosedException("socket is closed: socket=" + id);
        }
    }

    @Override
    public final void bind(final String address) {
        endpoint(address, true);
    }

    @Override
    public final void connect(final String address) {
        endpoint(address, false);
    }

    private void endpoint(final String address, final boolean bind) {
        Objects.requireNonNull(address, "address");
        lock.lock();
        try {
            checkOpen();
            attach(address, bind);
        } finally {
            lock.unlock();
        }
    }

    /** The checks of a send before its messages': open, a type that sends, a valid timeout. */
    protected final void checkSendable(final long timeoutMs) {
        checkOpen();
        if (!canSend(type)) {
            throw new IllegalStateException("cannot send on a " + type + " socket: socket=" + id);
        }
        checkTimeout(timeoutMs);
    }

    /** The checks of a receive before its message's: open, a type that receives, a valid timeout. */
    protected final void checkReceivable(final long timeoutMs) {
        checkOpen();
        if (!canReceive(type)) {
            throw new IllegalStateException("cannot receive on a " + type + " socket: socket=" + id);
        }
        checkTimeout(timeoutMs);
    }

    /** The checks of {@code subscribe} and {@code unsubscribe}: a prefix, an open sub socket, the length limit. */
    protected final void checkTopic(final byte[] prefix) {
        Objects.requireNonNull(prefix, "prefix");
        checkOpen();
        if (type != SocketType.SUB) {
            throw new IllegalStateException("only a sub socket subscribes: socket id=" + id + ", type=" + type);
        }
        if (prefix.length > MAX_TOPIC_BYTES) {
            throw new IllegalArgumentException("topic prefix too long: length=" + prefix.length + ", maximum="
                    + MAX_TOPIC_BYTES);
        }
    }

    /** @return whether a req may not send now: a request is out, and no receive for its reply timed out */
    protected final boolean reqOutOfTurn() {
        return type == SocketType.REQ && awaitingReply && !replyTimedOut;
    }

    /** After a successful send: a req now waits for its reply. */
    protected final void reqSent() {
        if (type == SocketType.REQ) {
            awaitingReply = true;
            replyTimedOut = false;
        }
    }

    /**
     * After a receive: a req got its reply, or may give the request up after a timeout.
     *
     * @return {@code result}
     */
    protected final long reqReceived(final long result) {
        if (type == SocketType.REQ) {
            if (result >= 0) {
                awaitingReply = false;
            } else if (result == TIMEOUT) {
                replyTimedOut = true;
            }
        }
        return result;
    }

    /** Counts a sent message (or multipart unit) of {@code bytes} payload bytes; the socket's thread only. */
    protected final void countSent(final long bytes) {
        BYTES_SENT.setRelease(this, bytesSent + bytes);
        MESSAGES_SENT.setRelease(this, messagesSent + 1);
    }

    /** Counts a received message (or multipart unit) of {@code bytes} payload bytes; the socket's thread only. */
    protected final void countReceived(final long bytes) {
        BYTES_RECEIVED.setRelease(this, bytesReceived + bytes);
        MESSAGES_RECEIVED.setRelease(this, messagesReceived + 1);
    }

    @Override
    public final long bytesSent() {
        return (long) BYTES_SENT.getAcquire(this);
    }

    @Override
    public final long bytesReceived() {
        return (long) BYTES_RECEIVED.getAcquire(this);
    }

    @Override
    public final long messagesSent() {
        return (long) MESSAGES_SENT.getAcquire(this);
    }

    @Override
    public final long messagesReceived() {
        return (long) MESSAGES_RECEIVED.getAcquire(this);
    }

    @Override
    public final int sendHighWaterMark() {
        return sendHighWaterMark;
    }

    @Override
    public final void setSendHighWaterMark(final int messages) {
        checkHighWaterMark(messages);
        lock.lock();
        try {
            checkOpen();
            applySendHighWaterMark(messages);
            sendHighWaterMark = messages;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public final int receiveHighWaterMark() {
        return receiveHighWaterMark;
    }

    @Override
    public final void setReceiveHighWaterMark(final int messages) {
        checkHighWaterMark(messages);
        lock.lock();
        try {
            checkOpen();
            applyReceiveHighWaterMark(messages);
            receiveHighWaterMark = messages;
        } finally {
            lock.unlock();
        }
    }

    private void checkHighWaterMark(final int messages) {
        if (messages < 1) {
            throw new IllegalArgumentException("high-water mark must be at least 1: messages=" + messages
                    + ", socket=" + id);
        }
    }

    @Override
    public final Duration linger() {
        return linger;
    }

    @Override
    public final void setLinger(final Duration value) {
        Objects.requireNonNull(value, "linger");
        if (value.isNegative()) {
            throw new IllegalArgumentException("linger must not be negative: linger=" + value + ", socket=" + id);
        }
        final int millis = (int) Math.min(value.toMillis(), Integer.MAX_VALUE);
        lock.lock();
        try {
            checkOpen();
            applyLinger(millis);
            linger = value;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Binds or connects the library's socket; called with {@link #lock} held on an open socket.
     *
     * @throws io.shmq.transport.api.SocketException naming the address if the library refuses it
     */
    protected abstract void attach(String address, boolean bind);

    /**
     * Wakes a blocked transfer, which then returns {@link #INTERRUPTED}, as do later ones until {@link #resume()};
     * called by the factory, from any thread, after it set its interrupted flag.
     */
    protected abstract void interrupt();

    /** Lets transfers block again after an interrupt; called by the factory after it cleared its flag. */
    protected abstract void resume();

    /** Gives the library the send high-water mark; called with {@link #lock} held on an open socket. */
    protected abstract void applySendHighWaterMark(int messages);

    /** Gives the library the receive high-water mark; called with {@link #lock} held on an open socket. */
    protected abstract void applyReceiveHighWaterMark(int messages);

    /** Gives the library the linger in milliseconds; called with {@link #lock} held on an open socket. */
    protected abstract void applyLinger(int millis);
}
