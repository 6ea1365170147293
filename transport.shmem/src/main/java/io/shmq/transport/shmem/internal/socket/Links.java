package io.shmq.transport.shmem.internal.socket;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import java.util.ArrayList;
import java.util.List;

/**
 * The transfers of a socket with several endpoints (a second and later bind or connect, as the sub-channels of one
 * FairMQ channel): each further endpoint is a socket of the same type and factory (its link), and this spreads the
 * socket's calls over them and its own endpoint:
 * <ul>
 *   <li>push and req: round robin over the endpoints that take the message now; when none does, it waits on all of
 *   them at once (a poller over them) until one does or the timeout ends;</li>
 *   <li>pull, sub and rep: fair queueing, the endpoint after the last one that delivered is asked first; the rest of
 *   a multipart unit comes from the endpoint that delivered its first frame;</li>
 *   <li>pub: every endpoint gets the message (one payload, a reference each);</li>
 *   <li>req and rep keep strict alternation over the whole socket: a req takes its reply from the endpoint it asked,
 *   a rep answers through the endpoint the request came from.</li>
 * </ul>
 * Not thread-safe, as a socket is used by one thread.
 */
final class Links {
    /** The longest single wait of a blocked transfer before it asks its endpoints again. */
    private static final long WAIT_SLICE_MS = 100;

    private final ShmemSocket socket;
    private final List<ShmemSocket> all;
    private int next;
    /** The endpoint of the current exchange (req: asked; rep: asked by; pull: mid-unit), -1 for none. */
    private int current = -1;
    private ShmemPoller poller;

    /**
     * @param socket the socket (its own endpoint is index 0)
     * @param links  its further endpoints, live: the list grows as the socket binds and connects
     */
    Links(final ShmemSocket socket, final List<ShmemSocket> links) {
        this.socket = socket;
        this.all = new java.util.AbstractList<>() {
            @Override
            public ShmemSocket get(final int index) {
                return index == 0 ? socket : links.get(index - 1);
            }

            @Override
            public int size() {
                return links.size() + 1;
            }
        };
    }

    long send(final List<Message> parts, final boolean multipart, final long timeoutMs) {
        final SocketType type = socket.type();
        if (type == SocketType.REQ && current >= 0 && all.get(current).requestOut()) {
            return Socket.ERROR; // strict alternation: the reply to the last request has not come
        }
        if (type == SocketType.REP) {
            if (current < 0 || !all.get(current).requestIn()) {
                return Socket.ERROR; // no request to answer
            }
            return sendVia(current, parts, multipart, timeoutMs);
        }
        if (type == SocketType.PUB) {
            // Every endpoint gets the message: the others a copy each (a reference, no bytes), this one the original.
            for (int i = 1; i < all.size(); i++) {
                final List<Message> copies = new ArrayList<>(parts.size());
                for (final Message part : parts) {
                    copies.add(part.copy());
                }
                try {
                    sendVia(i, copies, multipart, 0);
                } finally {
                    copies.forEach(Message::close);
                }
            }
            return sendVia(0, parts, multipart, timeoutMs);
        }
        return spread(i -> sendVia(i, parts, multipart, 0), timeoutMs);
    }

    /**
     * @param message the single frame's message, or null for a whole unit into {@code parts}
     */
    long receive(final Message message, final List<Message> parts, final long timeoutMs) {
        final SocketType type = socket.type();
        if (type == SocketType.REP && current >= 0 && all.get(current).requestIn()) {
            return Socket.ERROR; // strict alternation: the last request has not been answered
        }
        if (type == SocketType.REQ) {
            // The reply comes from the endpoint the request went to.
            return current < 0 ? Socket.ERROR : receiveVia(current, message, parts, timeoutMs);
        }
        if (message != null && current >= 0 && all.get(current).hasPendingParts()) {
            return receiveVia(current, message, null, timeoutMs); // the rest of a unit
        }
        return spread(i -> receiveVia(i, message, parts, 0), timeoutMs);
    }

    /**
     * Asks the endpoints in turn, the one after the last that went first, without waiting; when none goes, waits on
     * all of them at once and asks again, until the timeout ends.
     *
     * @param attempt one endpoint's transfer that does not wait: its result, {@link Socket#TIMEOUT} when it cannot go
     */
    private long spread(final java.util.function.IntToLongFunction attempt, final long timeoutMs) {
        final long deadline = System.nanoTime() + Math.max(0, timeoutMs) * 1_000_000L;
        while (true) {
            for (int k = 0; k < all.size(); k++) {
                final int i = (next + k) % all.size();
                final long result = attempt.applyAsLong(i);
                if (result != Socket.TIMEOUT) {
                    if (result >= 0) {
                        next = i + 1;
                        current = i;
                    }
                    return result;
                }
            }
            final long waited = await(timeoutMs, deadline);
            if (waited != 0) {
                return waited;
            }
        }
    }

    /** @return 0 to look again, or {@link Socket#TIMEOUT} / {@link Socket#INTERRUPTED} to return */
    private long await(final long timeoutMs, final long deadline) {
        if (timeoutMs == 0) {
            return Socket.TIMEOUT;
        }
        final long remainingMs = timeoutMs < 0 ? WAIT_SLICE_MS : (deadline - System.nanoTime()) / 1_000_000L;
        if (remainingMs <= 0) {
            return Socket.TIMEOUT;
        }
        // A poller over every endpoint sleeps on all their rings at once (futex_waitv) until one can go.
        final int events = poller().poll(Math.min(remainingMs, WAIT_SLICE_MS));
        return events < 0 ? events : 0;
    }

    /** A poller over the socket alone: its readiness and its rings are those of all its endpoints. */
    private ShmemPoller poller() {
        if (poller == null) {
            poller = new ShmemPoller(socket.sockets(), List.of(socket));
        }
        return poller;
    }

    private long sendVia(final int index, final List<Message> parts, final boolean multipart, final long timeoutMs) {
        final ShmemSocket target = all.get(index);
        if (target == socket) {
            return socket.sendOwn(parts, timeoutMs);
        }
        return multipart ? target.send(parts, timeoutMs) : target.send(parts.getFirst(), timeoutMs);
    }

    private long receiveVia(final int index, final Message message, final List<Message> parts, final long timeoutMs) {
        final ShmemSocket source = all.get(index);
        if (source == socket) {
            return message != null ? socket.receiveOwn(message, timeoutMs) : socket.receiveOwn(parts, timeoutMs);
        }
        return message != null ? source.receive(message, timeoutMs) : source.receive(parts, timeoutMs);
    }
}
