package io.shmq.transport.libzmq.internal;

import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketException;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.zeromq.common.CallLock;
import io.shmq.transport.zeromq.common.ZeromqPollerBase;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A poller over sockets of one factory: one {@code zmq_poll} over their libzmq sockets and the poller's own
 * {@link Wakeup}, so that an interrupt (or a close) from any thread ends a blocking poll at once.
 *
 * <p>Which event a socket is polled for: input for every type that can receive (pull, sub, req, rep, pair), output
 * for the send-only types (push, pub), as the JeroMQ provider does.
 */
final class LibzmqPoller extends ZeromqPollerBase {
    private final LibzmqFactory factory;
    private final List<LibzmqSocket> sockets;
    /** {@code size + 1} poll items: the sockets, then the wake-up eventfd. */
    private final MemorySegment items;
    private final Wakeup wakeup = new Wakeup();
    private final CallLock lock = new CallLock();

    LibzmqPoller(final LibzmqFactory factory, final List<LibzmqSocket> sockets) {
        super(factory.id(), sockets.size());
        this.factory = factory;
        this.sockets = List.copyOf(sockets);
        final long bytes = (size + 1) * LibZmq.POLLITEM.byteSize();
        this.items = LibZmq.malloc(bytes).reinterpret(bytes);
        for (int i = 0; i < size; i++) {
            final LibzmqSocket socket = sockets.get(i);
            LibZmq.setItem(items, i, socket.handle(), 0,
                    LibzmqSocket.canReceive(socket.type()) ? LibZmq.ZMQ_POLLIN : LibZmq.ZMQ_POLLOUT);
        }
        LibZmq.setItem(items, size, MemorySegment.NULL, wakeup.fd(), LibZmq.ZMQ_POLLIN);
    }

    @Override
    public int poll(final long timeoutMs) {
        checkPoll(timeoutMs);
        final long deadline = timeoutMs > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs) : 0;
        lock.lock();
        try {
            while (true) {
                checkOpen();
                for (final LibzmqSocket socket : sockets) {
                    // zmq_poll on a closed libzmq socket would touch freed memory.
                    socket.checkOpen();
                }
                if (factory.interrupted()) {
                    return (int) Socket.INTERRUPTED;
                }
                long waitMs = timeoutMs;
                if (timeoutMs > 0) {
                    final long left = deadline - System.nanoTime();
                    waitMs = left <= 0 ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(left + 999_999));
                }
                final int n = LibZmq.poll(items, size + 1, waitMs);
                if (n < 0) {
                    final int errno = LibZmq.errno();
                    if (errno == LibZmq.EINTR) {
                        continue;
                    }
                    if (errno == LibZmq.ETERM || errno == LibZmq.ENOTSOCK) {
                        throw new TransportClosedException("factory closed during a poll: factory=" + factory.id());
                    }
                    throw new SocketException("zmq_poll failed: factory=" + factory.id() + ", errno=" + errno + " ("
                            + LibZmq.strerror(errno) + ")");
                }
                if (LibZmq.revents(items, size) != 0) {
                    checkOpen();
                    if (factory.interrupted()) {
                        return (int) Socket.INTERRUPTED;
                    }
                    wakeup.drain();
                    if (n > 1) {
                        return n - 1;
                    }
                    continue;
                }
                if (n > 0 || timeoutMs == 0 || (timeoutMs > 0 && System.nanoTime() - deadline >= 0)) {
                    return n;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean checkInput(final int index) {
        return (LibZmq.revents(items, openIndex(index)) & LibZmq.ZMQ_POLLIN) != 0;
    }

    @Override
    public boolean checkOutput(final int index) {
        return (LibZmq.revents(items, openIndex(index)) & LibZmq.ZMQ_POLLOUT) != 0;
    }

    /** The index checked, then the poller: the poll items are freed on close. */
    private int openIndex(final int index) {
        checkIndex(index);
        checkOpen();
        return index;
    }

    @Override
    protected void interrupt() {
        wakeup.signal();
    }

    @Override
    protected void resume() {
        wakeup.drain();
    }

    @Override
    public void close() {
        if (!markClosed()) {
            return;
        }
        wakeup.signal();
        lock.lock();
        try {
            LibZmq.free(items);
            wakeup.close();
        } finally {
            lock.unlock();
            factory.forget(this);
        }
    }
}
