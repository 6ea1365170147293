package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.Poller;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.TransportClosedException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;

/**
 * Polls shared-memory sockets of one factory: input for the types that receive, output for the send-only types
 * (push, pub), as the zeromq provider does. A poller over one socket sleeps on that socket's ring futex; over
 * several it parks in slices of at most 1 ms (a futex waits on one word only), checking every socket between
 * slices. {@link io.shmq.transport.api.TransportFactory#interrupt()} ends a blocked poll with
 * {@link Socket#INTERRUPTED}.
 */
final class ShmemPoller implements Poller {
    private static final int SPINS = 200;
    private static final long SLICE_NANOS = 1_000_000L;

    private final ShmemFactory factory;
    private final ShmemSocket[] sockets;
    private final boolean[] input;
    private final boolean[] output;
    private volatile boolean closed;

    ShmemPoller(final ShmemFactory factory, final List<Socket> list) {
        this.factory = factory;
        this.sockets = new ShmemSocket[list.size()];
        for (int i = 0; i < sockets.length; i++) {
            final Socket socket = Objects.requireNonNull(list.get(i), "socket");
            if (!(socket instanceof ShmemSocket shm) || !factory.owns(shm)) {
                throw new IllegalArgumentException("not a socket of factory id=" + factory.id() + ": " + socket);
            }
            sockets[i] = shm;
        }
        this.input = new boolean[sockets.length];
        this.output = new boolean[sockets.length];
    }

    @Override
    public int poll(final long timeoutMs) {
        if (closed) {
            throw new TransportClosedException("poller of factory id=" + factory.id() + " is closed");
        }
        if (timeoutMs < -1) {
            throw new IllegalArgumentException("timeout must be -1, 0 or positive: timeoutMs=" + timeoutMs);
        }
        final long deadline = System.nanoTime() + Math.max(0, timeoutMs) * 1_000_000L;
        int round = 0;
        while (true) {
            if (factory.interrupted()) {
                return (int) Socket.INTERRUPTED;
            }
            int events = 0;
            for (int i = 0; i < sockets.length; i++) {
                final ShmemSocket socket = sockets[i];
                input[i] = socket.canReceive() && socket.hasInput();
                output[i] = !socket.canReceive() && socket.hasOutputRoom();
                if (input[i] || output[i]) {
                    events++;
                }
            }
            if (events > 0 || timeoutMs == 0) {
                return events;
            }
            final long remaining = timeoutMs < 0 ? Long.MAX_VALUE : deadline - System.nanoTime();
            if (remaining <= 0) {
                return 0;
            }
            if (closed) {
                throw new TransportClosedException("poller of factory id=" + factory.id() + " is closed");
            }
            if (round < SPINS) {
                round++;
                Thread.onSpinWait();
                continue;
            }
            final SocketRing ring = sockets.length == 1 ? sockets[0].waitRing() : null;
            if (ring != null && sockets[0].canReceive()) {
                ring.awaitNotEmpty(Math.min(remaining, ShmemSocket.SLICE_NANOS));
            } else if (ring != null) {
                ring.awaitNotFull(Math.min(remaining, ShmemSocket.SLICE_NANOS), true);
            } else {
                LockSupport.parkNanos(Math.min(remaining, SLICE_NANOS));
            }
        }
    }

    @Override
    public boolean checkInput(final int index) {
        Objects.checkIndex(index, sockets.length);
        return input[index];
    }

    @Override
    public boolean checkOutput(final int index) {
        Objects.checkIndex(index, sockets.length);
        return output[index];
    }

    @Override
    public void close() {
        closed = true;
        factory.pollerClosed(this);
    }
}
