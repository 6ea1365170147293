package io.shmq.transport.libzmq.internal;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.SocketException;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.zeromq.common.ZeromqSocketBase;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A socket of the libzmq transport: one libzmq socket.
 *
 * <p>Every send and receive calls libzmq with {@code ZMQ_DONTWAIT}; when libzmq says "not now" ({@code EAGAIN}) the
 * call waits in {@code zmq_poll} on the socket and on its {@link Wakeup} (an eventfd) for the rest of its timeout.
 * {@link LibzmqFactory#interrupt()} and {@link #close()} signal the eventfd, so a blocked transfer wakes at once from
 * any thread (libzmq sockets cannot be touched from a second thread, an eventfd can).
 *
 * <p>Frames: a message is one ZeroMQ frame; a multipart unit is one frame per part, linked with {@code ZMQ_SNDMORE},
 * exactly as FairMQ's zeromq transport sends them. libzmq delivers a unit all or nothing and counts whole units
 * against the high-water mark, so once the first frame is accepted the others are accepted at once.
 *
 * <p>Counters count payload bytes and messages; a multipart unit counts once. High-water marks and linger apply to
 * connections made after they are set (libzmq's rule): set them before bind or connect.
 */
final class LibzmqSocket extends ZeromqSocketBase {
    private final LibzmqFactory factory;
    private final MemorySegment handle;
    /**
     * The {@code zmq_msg_t} a receive lands in; a single-part receive then trades it for the caller's message's own
     * (see {@link LibzmqMessage#receivedInto}), so it may hold that message's previous content until the next receive
     * releases it. Used under the lock only.
     */
    private MemorySegment scratch;
    /** Two poll items: this socket and the wake-up eventfd. */
    private final MemorySegment items;
    private final Wakeup wakeup = new Wakeup();
    /** The socket files of the {@code ipc://} addresses this socket bound, removed on close (see {@link #close()}). */
    private final List<IpcFile> ipcFiles = new ArrayList<>();

    LibzmqSocket(final LibzmqFactory factory, final MemorySegment context, final SocketType type, final String name) {
        super(factory.id(), type, name);
        this.factory = factory;
        this.handle = LibZmq.socket(context, zmqType(type));
        if (handle.address() == 0) {
            final int errno = LibZmq.errno();
            wakeup.close();
            throw new SocketException("zmq_socket failed: socket=" + id() + ", type=" + type + ", errno=" + errno
                    + " (" + LibZmq.strerror(errno) + ")");
        }
        scratch = LibZmq.malloc(LibZmq.MSG_BYTES).reinterpret(LibZmq.MSG_BYTES);
        LibZmq.msgInit(scratch);
        items = LibZmq.malloc(2 * LibZmq.POLLITEM.byteSize()).reinterpret(2 * LibZmq.POLLITEM.byteSize());
        LibZmq.setItem(items, 0, handle, 0, canReceive(type) ? LibZmq.ZMQ_POLLIN : LibZmq.ZMQ_POLLOUT);
        LibZmq.setItem(items, 1, MemorySegment.NULL, wakeup.fd(), LibZmq.ZMQ_POLLIN);
        setOption(LibZmq.ZMQ_SNDHWM, sendHighWaterMark());
        setOption(LibZmq.ZMQ_RCVHWM, receiveHighWaterMark());
        setOption(LibZmq.ZMQ_LINGER, (int) DEFAULT_LINGER.toMillis());
        setOption(LibZmq.ZMQ_HANDSHAKE_IVL, factory.options().handshakeIntervalMs());
        if (type == SocketType.SUB) {
            // FairMQ's sub channels receive everything: subscribe to the empty prefix.
            LibZmq.setBytes(handle, LibZmq.ZMQ_SUBSCRIBE, new byte[0]);
        }
        if (type == SocketType.REQ) {
            // A reply that never comes ends with a timeout and a usable socket: after a timed-out receive the next
            // request may go (relaxed) and a late reply to the one given up is dropped (correlated); strict
            // alternation otherwise stays (ZeromqSocketBase.reqOutOfTurn), as in the other providers.
            setOption(LibZmq.ZMQ_REQ_RELAXED, 1);
            setOption(LibZmq.ZMQ_REQ_CORRELATE, 1);
        }
    }

    private static int zmqType(final SocketType type) {
        return switch (type) {
            case PUSH -> LibZmq.ZMQ_PUSH;
            case PULL -> LibZmq.ZMQ_PULL;
            case PUB -> LibZmq.ZMQ_PUB;
            case SUB -> LibZmq.ZMQ_SUB;
            case REQ -> LibZmq.ZMQ_REQ;
            case REP -> LibZmq.ZMQ_REP;
            case PAIR -> LibZmq.ZMQ_PAIR;
        };
    }

    /** @return the libzmq socket, for a poller */
    MemorySegment handle() {
        return handle;
    }

    @Override
    protected void attach(final String address, final boolean bind) {
        final int rc = bind ? LibZmq.bind(handle, address) : LibZmq.connect(handle, address);
        if (rc != 0) {
            final int errno = LibZmq.errno();
            throw new SocketException((bind ? "bind" : "connect") + " failed: socket=" + id() + ", address="
                    + address + ", errno=" + errno + " (" + LibZmq.strerror(errno) + ")");
        }
        if (bind) {
            IpcFile.of(address).ifPresent(ipcFiles::add);
        }
    }

    @Override
    public long send(final Message message, final long timeoutMs) {
        final LibzmqMessage m = checkSend(message, timeoutMs);
        if (factory.interrupted()) {
            return INTERRUPTED;
        }
        lock.lock();
        try {
            checkOpen();
            if (reqOutOfTurn()) {
                return ERROR;
            }
            m.prepareSend();
            final long size = m.size();
            final long result = sendFrame(m, 0, timeoutMs);
            if (result < 0) {
                return result;
            }
            m.sent();
            reqSent();
            countSent(size);
            return size;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long send(final List<Message> parts, final long timeoutMs) {
        Objects.requireNonNull(parts, "parts");
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a multipart send needs at least one part: parts=0, socket=" + id());
        }
        final List<LibzmqMessage> messages = new ArrayList<>(parts.size());
        for (final Message part : parts) {
            messages.add(checkSend(part, timeoutMs));
        }
        if (factory.interrupted()) {
            return INTERRUPTED;
        }
        lock.lock();
        try {
            checkOpen();
            if (reqOutOfTurn()) {
                return ERROR;
            }
            final int last = messages.size() - 1;
            long total = 0;
            for (int i = 0; i <= last; i++) {
                messages.get(i).prepareSend();
                total += messages.get(i).size();
            }
            final long first = sendFrame(messages.getFirst(), last == 0 ? 0 : LibZmq.ZMQ_SNDMORE, timeoutMs);
            if (first < 0) {
                return first;
            }
            messages.getFirst().sent();
            // The first frame is in: libzmq accepts the rest at once (see the class comment).
            for (int i = 1; i <= last; i++) {
                final int flags = LibZmq.ZMQ_DONTWAIT | (i == last ? 0 : LibZmq.ZMQ_SNDMORE);
                if (messages.get(i).trySend(handle, flags) < 0) {
                    final int errno = LibZmq.errno();
                    throw new SocketException("multipart send broke after the first frame: socket=" + id()
                            + ", part=" + i + ", errno=" + errno + " (" + LibZmq.strerror(errno) + ")");
                }
                messages.get(i).sent();
            }
            reqSent();
            countSent(total);
            return total;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long receive(final Message message, final long timeoutMs) {
        final LibzmqMessage m = checkReceive(message, timeoutMs);
        if (factory.interrupted()) {
            return INTERRUPTED;
        }
        lock.lock();
        try {
            checkOpen();
            final long size = receiveFrame(timeoutMs);
            if (size < 0) {
                return reqReceived(size);
            }
            scratch = m.receivedInto(scratch, size);
            countReceived(size);
            return reqReceived(size);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long receive(final List<Message> parts, final long timeoutMs) {
        Objects.requireNonNull(parts, "parts");
        checkReceive(null, timeoutMs);
        if (factory.interrupted()) {
            return INTERRUPTED;
        }
        lock.lock();
        try {
            checkOpen();
            final long result = receiveFrame(timeoutMs);
            if (result < 0) {
                return reqReceived(result);
            }
            final List<Message> received = new ArrayList<>();
            long total = 0;
            while (true) {
                final long size = LibZmq.msgSize(scratch);
                final boolean more = LibZmq.msgMore(scratch);
                final LibzmqMessage part = factory.newMessage();
                part.received(scratch, size);
                received.add(part);
                total += size;
                if (!more) {
                    break;
                }
                // libzmq delivers a unit whole: the next frame is already here.
                if (LibZmq.msgRecv(scratch, handle, LibZmq.ZMQ_DONTWAIT) < 0) {
                    final int errno = LibZmq.errno();
                    received.forEach(Message::close);
                    throw new SocketException("multipart receive broke after the first frame: socket=" + id()
                            + ", part=" + received.size() + ", errno=" + errno + " (" + LibZmq.strerror(errno) + ")");
                }
            }
            parts.clear();
            parts.addAll(received);
            countReceived(total);
            return reqReceived(total);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sends one frame, waiting in {@code zmq_poll} while libzmq says not now; 0 or a negative code. The deadline is
     * taken only once the first attempt failed: reading the clock per message cost about 4 % of a small send's time
     * (perf).
     */
    private long sendFrame(final LibzmqMessage message, final int flags, final long timeoutMs) {
        long deadline = 0;
        boolean waiting = false;
        while (true) {
            if (message.trySend(handle, flags | LibZmq.ZMQ_DONTWAIT) >= 0) {
                return 0;
            }
            if (!waiting) {
                waiting = true;
                deadline = deadline(timeoutMs);
            }
            final long waited = afterFailure(LibZmq.ZMQ_POLLOUT, timeoutMs, deadline);
            if (waited < 0) {
                return waited;
            }
        }
    }

    /** Receives one frame into {@link #scratch}, waiting in {@code zmq_poll}; its size, or a negative code. */
    private long receiveFrame(final long timeoutMs) {
        long deadline = 0;
        boolean waiting = false;
        while (true) {
            final int received = LibZmq.msgRecv(scratch, handle, LibZmq.ZMQ_DONTWAIT);
            if (received >= 0) {
                // zmq_msg_recv returns the size, clamped to INT_MAX: only a frame that large needs zmq_msg_size.
                return received < Integer.MAX_VALUE ? received : LibZmq.msgSize(scratch);
            }
            if (!waiting) {
                waiting = true;
                deadline = deadline(timeoutMs);
            }
            final long waited = afterFailure(LibZmq.ZMQ_POLLIN, timeoutMs, deadline);
            if (waited < 0) {
                return waited;
            }
        }
    }

    /** @return the clock reading at which a transfer of {@code timeoutMs} gives up (0 without a timeout) */
    private static long deadline(final long timeoutMs) {
        return timeoutMs > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs) : 0;
    }

    /**
     * After a libzmq call that did not transfer: maps the error, or waits until the socket may be ready.
     *
     * @return 0 to try again, or the API's code to return
     */
    private long afterFailure(final short events, final long timeoutMs, final long deadline) {
        final int errno = LibZmq.errno();
        if (errno == LibZmq.EINTR) {
            return 0;
        }
        if (errno != LibZmq.EAGAIN) {
            return failure(errno);
        }
        if (timeoutMs == 0) {
            return TIMEOUT;
        }
        long waitMs = -1;
        if (timeoutMs > 0) {
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                return TIMEOUT;
            }
            waitMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(left + 999_999));
        }
        if (factory.interrupted()) {
            return INTERRUPTED;
        }
        LibZmq.setItem(items, 0, handle, 0, events);
        final int n = LibZmq.poll(items, 2, waitMs);
        if (n < 0) {
            final int pollErrno = LibZmq.errno();
            return pollErrno == LibZmq.EINTR ? 0 : failure(pollErrno);
        }
        if (LibZmq.revents(items, 1) != 0) {
            if (isClosed()) {
                throw new TransportClosedException("socket closed during a transfer: socket=" + id());
            }
            if (factory.interrupted()) {
                return INTERRUPTED;
            }
            // Signalled by an interrupt that was resumed already: nothing to report, wait on.
            wakeup.drain();
        }
        return 0;
    }

    /** Maps libzmq's error number after a failed transfer to the API's result code. */
    private long failure(final int errno) {
        if (isClosed()) {
            throw new TransportClosedException("socket closed during a transfer: socket=" + id());
        }
        if (errno == LibZmq.ETERM || errno == LibZmq.ENOTSOCK) {
            throw new TransportClosedException("factory closed during a transfer: socket=" + id());
        }
        if (factory.interrupted()) {
            return INTERRUPTED;
        }
        // EFSM (req/rep out of turn) and the like: FairMQ reports them as an error code.
        return ERROR;
    }

    private LibzmqMessage checkSend(final Message message, final long timeoutMs) {
        checkSendable(timeoutMs);
        return checkMessage(message);
    }

    private LibzmqMessage checkReceive(final Message message, final long timeoutMs) {
        checkReceivable(timeoutMs);
        return message == null ? null : checkMessage(message);
    }

    private LibzmqMessage checkMessage(final Message message) {
        Objects.requireNonNull(message, "message");
        if (!(message instanceof LibzmqMessage m) || m.factory() != factory) {
            throw new IllegalArgumentException("message of another factory: socket=" + id() + ", message kind="
                    + message.kind() + ", expected a message of factory " + factory.id());
        }
        m.checkOpen();
        return m;
    }

    @Override
    public void subscribe(final byte[] prefix) {
        topic(prefix, LibZmq.ZMQ_SUBSCRIBE);
    }

    @Override
    public void unsubscribe(final byte[] prefix) {
        topic(prefix, LibZmq.ZMQ_UNSUBSCRIBE);
    }

    private void topic(final byte[] prefix, final int option) {
        checkTopic(prefix);
        lock.lock();
        try {
            checkOpen();
            // libzmq ignores the unsubscription of a prefix it does not hold; a count per prefix, as the API says.
            LibZmq.setBytes(handle, option, prefix);
        } finally {
            lock.unlock();
        }
    }

    @Override
    protected void applySendHighWaterMark(final int messages) {
        setOption(LibZmq.ZMQ_SNDHWM, messages);
    }

    @Override
    protected void applyReceiveHighWaterMark(final int messages) {
        setOption(LibZmq.ZMQ_RCVHWM, messages);
    }

    @Override
    protected void applyLinger(final int millis) {
        setOption(LibZmq.ZMQ_LINGER, millis);
    }

    private void setOption(final int option, final int value) {
        if (LibZmq.setInt(handle, option, value) != 0) {
            final int errno = LibZmq.errno();
            throw new SocketException("zmq_setsockopt failed: socket=" + id() + ", option=" + option + ", value="
                    + value + ", errno=" + errno + " (" + LibZmq.strerror(errno) + ")");
        }
    }

    /** Wakes a blocked transfer; called by the factory from any thread after it set its interrupted flag. */
    @Override
    protected void interrupt() {
        wakeup.signal();
    }

    /** Lets transfers block again after an interrupt. */
    @Override
    protected void resume() {
        wakeup.drain();
    }

    @Override
    public void close() {
        // Two threads may close at once (the owner and the factory): only one closes the libzmq socket.
        if (!markClosed()) {
            return;
        }
        // Wake a transfer blocked in another thread, then wait until it has left libzmq: a libzmq socket must
        // not be closed while another thread is inside it.
        wakeup.signal();
        lock.lock();
        try {
            // Returns at once; libzmq's reaper delivers what is queued for up to the linger (zmq_ctx_term waits).
            LibZmq.close(handle);
            // libzmq 4.3 leaves the socket file of a bound ipc:// address behind (it unlinks only the files of
            // ipc://* wildcards), and the next bind to the path removes it anyway: remove ours now.
            ipcFiles.forEach(IpcFile::remove);
            LibZmq.msgClose(scratch);
            LibZmq.free(scratch);
            LibZmq.free(items);
            wakeup.close();
        } finally {
            lock.unlock();
            factory.forget(this);
        }
    }

    @Override
    public String toString() {
        return "LibzmqSocket[id=" + id() + ", type=" + type() + ", libzmq]";
    }
}
