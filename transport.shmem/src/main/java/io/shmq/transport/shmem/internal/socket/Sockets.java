package io.shmq.transport.shmem.internal.socket;

import io.shmq.transport.api.Poller;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.shmem.internal.mapping.SessionMappings;
import io.shmq.transport.shmem.internal.os.IdleStrategy;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The sockets and pollers of one factory, and what they share: the factory's mappings, its interrupt flag, and the
 * lingering deliveries its close waits for. Thread-safe.
 */
public final class Sockets {
    private final String factoryId;
    private final SessionMappings mappings;
    private final int spinRounds;
    private final int maxPeers;
    private final int yieldRounds;
    private final List<ShmemSocket> sockets = new CopyOnWriteArrayList<>();
    private final List<ShmemPoller> pollers = new CopyOnWriteArrayList<>();
    private final List<Thread> lingering = new CopyOnWriteArrayList<>();
    private final AtomicBoolean closing = new AtomicBoolean();
    private volatile boolean interrupted;

    /**
     * @param factoryId names the factory in socket ids and errors
     * @param mappings    the factory's mappings (sockets adopt and allocate through them)
     * @param spinRounds  busy-spin rounds of a blocked call before it yields
     * @param yieldRounds yield rounds before it sleeps on its ring's futex
     * @param maxPeers    the peer slots an endpoint this factory binds offers (req/rep peers, subscribers, pushes)
     */
    public Sockets(final String factoryId, final SessionMappings mappings, final int spinRounds,
                   final int yieldRounds, final int maxPeers) {
        this.factoryId = Objects.requireNonNull(factoryId, "factoryId");
        this.mappings = Objects.requireNonNull(mappings, "mappings");
        this.spinRounds = spinRounds;
        this.yieldRounds = yieldRounds;
        this.maxPeers = maxPeers;
    }

    /** @return the peer slots of an endpoint this factory binds */
    int maxPeers() {
        return maxPeers;
    }

    /** @return a new idle strategy for a blocked call: spin, yield, then sleep for up to {@code sleepNanos} */
    IdleStrategy idleStrategy(final int yields, final long sleepNanos) {
        return new IdleStrategy(spinRounds, Math.min(yields, yieldRounds), sleepNanos, sleepNanos);
    }

    /** @return the yield rounds configured */
    int yieldRounds() {
        return yieldRounds;
    }

    String factoryId() {
        return factoryId;
    }

    SessionMappings mappings() {
        return mappings;
    }

    /** @return a new socket */
    public Socket create(final SocketType type, final String name) {
        mappings.checkOpen();
        final ShmemSocket socket = new ShmemSocket(this, type, name);
        sockets.add(socket);
        return socket;
    }

    /** @return a new poller over sockets made here */
    public Poller poller(final List<Socket> list) {
        mappings.checkOpen();
        Objects.requireNonNull(list, "sockets");
        final ShmemPoller poller = new ShmemPoller(this, list);
        pollers.add(poller);
        return poller;
    }

    boolean owns(final ShmemSocket socket) {
        return sockets.contains(socket);
    }

    /** @return whether a socket of this factory is open (it may receive from another socket's endpoint) */
    boolean anyOpen() {
        return !sockets.isEmpty();
    }

    void closed(final ShmemSocket socket) {
        sockets.remove(socket);
    }

    void closed(final ShmemPoller poller) {
        pollers.remove(poller);
    }

    /** A closed socket delivering its queue in the background; {@link #closeAll()} waits for it. */
    void lingering(final Thread thread) {
        lingering.add(thread);
    }

    /** Sets the flag, then wakes every socket sleeping on a ring futex. */
    public void interrupt() {
        interrupted = true;
        for (final ShmemSocket socket : sockets) {
            socket.wake();
        }
    }

    /** Clears the flag. */
    public void resume() {
        interrupted = false;
    }

    /** @return whether blocking calls return {@link Socket#INTERRUPTED} */
    public boolean interrupted() {
        return interrupted;
    }

    /**
     * Closes every socket and poller, then waits for the lingering deliveries (in parallel: at most the largest
     * linger). Runs once; the factory calls it while its mappings are still open.
     */
    public void closeAll() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        for (final ShmemSocket socket : List.copyOf(sockets)) {
            socket.close();
        }
        for (final ShmemPoller poller : List.copyOf(pollers)) {
            poller.close();
        }
        for (final Thread thread : lingering) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        lingering.clear();
    }
}
