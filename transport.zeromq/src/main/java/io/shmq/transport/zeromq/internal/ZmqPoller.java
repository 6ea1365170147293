package io.shmq.transport.zeromq.internal;

import io.shmq.transport.api.Socket;
import io.shmq.transport.zeromq.common.ZeromqPollerBase;
import java.util.List;
import org.zeromq.ZMQ;

/**
 * A poller over sockets of one factory, on JeroMQ's poller.
 *
 * <p>Which event a socket is polled for: input for every type that can receive (pull, sub, req, rep, pair), output
 * for the send-only types (push, pub). Polling a pair socket for output too would make every poll return at once,
 * since it can almost always send; FairMQ's devices poll for input.
 *
 * <p>Interrupt: a blocking poll waits in slices of {@value #SLICE_MS} ms and checks the factory's interrupted flag
 * between them, so an interrupt from any thread ends it within one slice. JeroMQ's poll has no cancellation token,
 * and a slice costs a selector wake-up, which is nothing next to a device's work.
 */
final class ZmqPoller extends ZeromqPollerBase {
    /** How long one slice of a blocking poll waits before looking at the interrupted flag. */
    static final long SLICE_MS = 10;

    private final ZmqFactory factory;
    private final ZMQ.Poller poller;

    ZmqPoller(final ZmqFactory factory, final ZMQ.Context context, final List<ZmqSocket> sockets) {
        super(factory.id(), sockets.size());
        this.factory = factory;
        this.poller = context.poller(size);
        for (final ZmqSocket socket : sockets) {
            final int events = ZmqSocket.canReceive(socket.type()) ? ZMQ.Poller.POLLIN : ZMQ.Poller.POLLOUT;
            poller.register(socket.zmqSocket(), events);
        }
    }

    @Override
    public int poll(final long timeoutMs) {
        checkPoll(timeoutMs);
        final long deadline = timeoutMs > 0 ? System.nanoTime() + timeoutMs * 1_000_000 : 0;
        while (true) {
            if (factory.interrupted()) {
                return (int) Socket.INTERRUPTED;
            }
            final long slice;
            if (timeoutMs == 0) {
                slice = 0;
            } else if (timeoutMs == Socket.INFINITE) {
                slice = SLICE_MS;
            } else {
                final long left = (deadline - System.nanoTime()) / 1_000_000;
                slice = Math.max(0, Math.min(SLICE_MS, left));
            }
            final int events = poller.poll(slice);
            if (events > 0 || timeoutMs == 0) {
                return Math.max(events, 0);
            }
            if (timeoutMs > 0 && System.nanoTime() - deadline >= 0) {
                return 0;
            }
            checkOpen();
        }
    }

    @Override
    public boolean checkInput(final int index) {
        return poller.pollin(checkIndex(index));
    }

    @Override
    public boolean checkOutput(final int index) {
        return poller.pollout(checkIndex(index));
    }

    @Override
    public void close() {
        if (!markClosed()) {
            return;
        }
        poller.close();
        factory.forget(this);
    }
}
