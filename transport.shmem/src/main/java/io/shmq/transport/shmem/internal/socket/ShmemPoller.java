package io.shmq.transport.shmem.internal.socket;

import io.shmq.transport.api.Poller;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.shmem.internal.os.IdleStrategy;
import io.shmq.transport.shmem.internal.os.Native;
import io.shmq.transport.shmem.internal.ring.SocketRing;
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
    /** How long a poller over several sockets sleeps between two looks. */
    private static final long MULTI_POLL_NANOS = 1_000_000L;

    private final Sockets owner;
    private final ShmemSocket[] sockets;
    private final boolean[] input;
    private final boolean[] output;
    private final IdleStrategy idle;
    /** Scratch of {@link #sleepOnAll}: each socket's ring and what it waits for. */
    private final SocketRing[] rings;
    private final boolean[] inputs;
    /** Per ring of {@link #rings}: the index of its socket. */
    private final int[] owners;
    private volatile boolean closed;

    ShmemPoller(final Sockets owner, final List<Socket> list) {
        this.owner = owner;
        this.idle = owner.idleStrategy(0, MULTI_POLL_NANOS);
        this.sockets = new ShmemSocket[list.size()];
        for (int i = 0; i < sockets.length; i++) {
            final Socket socket = Objects.requireNonNull(list.get(i), "socket");
            if (!(socket instanceof ShmemSocket shm) || shm.sockets() != owner) {
                throw new IllegalArgumentException("not a socket of factory id=" + owner.factoryId() + ": "
                        + socket);
            }
            if (!owner.owns(shm)) {
                throw new TransportClosedException("socket id=" + shm.id() + " is closed");
            }
            sockets[i] = shm;
        }
        this.input = new boolean[sockets.length];
        this.rings = new SocketRing[Native.MAX_WAITV];
        this.inputs = new boolean[Native.MAX_WAITV];
        this.owners = new int[Native.MAX_WAITV];
        this.output = new boolean[sockets.length];
    }

    @Override
    public int poll(final long timeoutMs) {
        if (closed) {
            throw new TransportClosedException("poller of factory id=" + owner.factoryId() + " is closed");
        }
        if (timeoutMs < -1) {
            throw new IllegalArgumentException("timeout must be -1, 0 or positive: timeoutMs=" + timeoutMs);
        }
        try {
            return await(timeoutMs);
        } catch (IllegalStateException e) {
            // A socket's endpoint was unmapped under the poll: its factory is closing.
            throw new TransportClosedException("poller of factory id=" + owner.factoryId() + " closed during poll", e);
        }
    }

    private int await(final long timeoutMs) {
        final long deadline = System.nanoTime() + Math.max(0, timeoutMs) * 1_000_000L;
        idle.reset();
        while (true) {
            if (owner.interrupted()) {
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
                throw new TransportClosedException("poller of factory id=" + owner.factoryId() + " is closed");
            }
            // Over one socket: sleep on its ring's futex; over several: on all their futex words at once
            // (futex_waitv); while a socket has no endpoint yet, or without futex_waitv: look again every
            // MULTI_POLL_NANOS.
            final SocketRing ring = sockets.length == 1 && !sockets[0].waitsOnSeveralRings() ? sockets[0].waitRing()
                    : null;
            if (ring != null && sockets[0].canReceive()) {
                idle.idle(nanos -> ring.awaitNotEmpty(Math.min(remaining, ShmemSocket.FUTEX_SLICE_NANOS)));
            } else if (ring != null) {
                idle.idle(nanos -> ring.awaitNotFull(Math.min(remaining, ShmemSocket.FUTEX_SLICE_NANOS), true));
            } else {
                idle.idle(nanos -> sleepOnAll(remaining));
            }
        }
    }

    /**
     * Sleeps on the futex words of every socket's rings at once (a bound rep's: one per connected peer), after
     * registering as their sleeper and checking once more that none is ready (so a publish in between is never
     * missed), for at most {@code remaining} and one futex slice; parks for {@link #MULTI_POLL_NANOS} instead when a
     * socket has no ring yet (no endpoint, or a bound rep without peers), there are more than
     * {@link Native#MAX_WAITV} rings, or futex_waitv is unavailable.
     */
    private void sleepOnAll(final long remaining) {
        final long park = Math.min(remaining, MULTI_POLL_NANOS);
        int count = 0;
        for (int i = 0; i < sockets.length && count >= 0; i++) {
            final int next = sockets[i].waitRings(rings, inputs, count);
            for (int r = count; r < next; r++) {
                owners[r] = i;
            }
            count = next;
        }
        // The rings themselves decide readiness, not the sockets' checks, which may attach or let go of an endpoint.
        // A peer that connects to a bound rep meanwhile is seen at the end of the futex slice.
        if (count <= 0 || !SocketRing.awaitAny(rings, inputs, count, Math.min(remaining, ShmemSocket.FUTEX_SLICE_NANOS),
                r -> inputs[r] ? sockets[owners[r]].hasPendingParts() || rings[r].hasInput()
                        : rings[r].hasRoom() && rings[r].consumers() > 0)) {
            LockSupport.parkNanos(park);
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
        owner.closed(this);
    }
}
