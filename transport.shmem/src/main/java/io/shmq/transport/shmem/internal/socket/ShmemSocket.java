package io.shmq.transport.shmem.internal.socket;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketException;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.shmem.internal.mapping.SessionMappings;
import io.shmq.transport.shmem.internal.mapping.ShmemMessage;
import io.shmq.transport.shmem.internal.os.IdleStrategy;
import io.shmq.transport.shmem.internal.os.Native;
import io.shmq.transport.shmem.internal.os.ProcessIdentity;
import io.shmq.transport.shmem.internal.ring.SocketRing;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A socket of the shared-memory transport: one endpoint ({@link Endpoint}) per socket, made by {@link #bind} or
 * found by {@link #connect}; only {@link MetaHeader}s travel through its rings, payloads stay where they are. A send
 * writes the message's header into a claimed record, publishes it, and only then empties the message (the reference
 * now belongs to the record); a receive adopts the header into the caller's message. See the module README for
 * the address scheme, the patterns, linger and crash behaviour.
 */
public final class ShmemSocket implements Socket {
    /** The longest futex sleep: a dead peer or a lost wake-up costs at most this. */
    static final long FUTEX_SLICE_NANOS = 100_000_000L;
    private static final int MAX_CAPACITY = 1 << 16;
    /** How often a connected socket whose endpoint does not exist yet looks for it while a call waits. */
    private static final long NO_ENDPOINT_NANOS = 10_000_000L;
    /** How long a close waits for calls still running on other threads. */
    private static final long CLOSE_WAIT_NANOS = 2_000_000_000L;
    /** How often a close looks at those calls, and a lingering close at the queue it delivers. */
    private static final long CLOSE_POLL_NANOS = 1_000_000L;

    private final Sockets owner;
    private final SessionMappings mappings;
    private final SocketType type;
    private final String name;
    private final String id;
    private final AtomicInteger busy = new AtomicInteger();
    /** One strategy per direction: spin, yield, then sleep on the ring's futex for up to a slice. */
    private final IdleStrategy sendIdle;
    private final IdleStrategy receiveIdle;
    private final ArrayDeque<MetaHeader> pending = new ArrayDeque<>();
    private volatile boolean closed;
    private volatile Endpoint endpoint;
    private volatile Path file;
    private String address;
    private boolean bound;
    private int sendIndex = -1;
    private int receiveIndex = -1;
    private int sendHwm = DEFAULT_HIGH_WATER_MARK;
    private int receiveHwm = DEFAULT_HIGH_WATER_MARK;
    private volatile Duration linger = DEFAULT_LINGER;
    private boolean awaitingReply;
    private boolean haveRequest;
    private long bytesSent;
    private long bytesReceived;
    private long messagesSent;
    private long messagesReceived;
    private long pendingBytes;

    ShmemSocket(final Sockets owner, final SocketType type, final String name) {
        this.owner = owner;
        this.mappings = owner.mappings();
        this.type = Objects.requireNonNull(type, "type");
        this.name = Objects.requireNonNull(name, "name");
        this.id = owner.factoryId() + "." + name;
        this.sendIdle = owner.idleStrategy(owner.yieldRounds(), FUTEX_SLICE_NANOS);
        this.receiveIdle = owner.idleStrategy(owner.yieldRounds(), FUTEX_SLICE_NANOS);
    }

    /** @return the sockets of the factory that made this socket */
    Sockets sockets() {
        return owner;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public SocketType type() {
        return type;
    }

    private void checkOpen() {
        if (closed) {
            throw new TransportClosedException("socket id=" + id + " is closed");
        }
    }

    boolean canSend() {
        return type != SocketType.PULL && type != SocketType.SUB;
    }

    boolean canReceive() {
        return type != SocketType.PUSH && type != SocketType.PUB;
    }

    // ---------------------------------------------------------------------------------------------------------
    // addresses

    /**
     * @return the endpoint name of {@code address}: {@code ipc://name}, {@code inproc://name} and {@code shm://name}
     * all name the same endpoint of the factory's session
     */
    static String endpointName(final String address) {
        Objects.requireNonNull(address, "address");
        final int colon = address.indexOf("://");
        if (colon <= 0 || colon + 3 >= address.length()) {
            throw new SocketException("malformed address (expected ipc://name, inproc://name or shm://name): "
                    + address);
        }
        final String scheme = address.substring(0, colon).toLowerCase(Locale.ROOT);
        return switch (scheme) {
            case "ipc", "inproc", "shm" -> address.substring(colon + 3);
            case "tcp" -> throw new SocketException("tcp is not supported by the shared-memory transport (its metadata"
                    + " never leaves the machine): " + address);
            default -> throw new SocketException("unsupported scheme " + scheme + " (expected ipc, inproc or shm): "
                    + address);
        };
    }

    @Override
    public synchronized void bind(final String value) {
        checkOpen();
        final String endpointName = endpointName(value);
        checkNoEndpoint(value);
        final Path path = Endpoint.file(mappings.session().directory(), mappings.session().shmId(), endpointName);
        final Endpoint created = Endpoint.bind(path, value, type, capacity());
        this.address = value;
        this.bound = true;
        this.file = path;
        attachRoles(created);
    }

    @Override
    public synchronized void connect(final String value) {
        checkOpen();
        final String endpointName = endpointName(value);
        checkNoEndpoint(value);
        this.address = value;
        this.file = Endpoint.file(mappings.session().directory(), mappings.session().shmId(), endpointName);
        // Connect before bind is allowed: the endpoint is attached once the binder made it.
        ensureEndpoint();
    }

    private void checkNoEndpoint(final String value) {
        if (file != null) {
            throw new SocketException("a shared-memory socket has one endpoint: socket id=" + id + " is on " + address
                    + ", asked for " + value);
        }
    }

    /** Ring capacity from the binder's high-water marks (as ZeroMQ, a message may wait in both queues). */
    private int capacity() {
        final long wanted = (long) sendHwm + receiveHwm;
        final int capacity = Integer.highestOneBit((int) Math.min(MAX_CAPACITY, Math.max(2, wanted)));
        return capacity < wanted && capacity < MAX_CAPACITY ? capacity << 1 : capacity;
    }

    private void attachRoles(final Endpoint attached) {
        switch (type) {
            case PUSH -> sendIndex = 0;
            case PULL -> receiveIndex = 0;
            case PAIR, REQ, REP -> {
                // Exclusive: one peer per endpoint (replies are not routed among several requesters).
                if (!bound && !attached.ring(0).claimOwner(owner())) {
                    attached.unmap();
                    throw new SocketException("address " + address + " has its " + type + " peer already (one"
                            + " connecting socket per pair, req or rep endpoint)");
                }
                receiveIndex = bound ? 0 : 1;
                sendIndex = bound ? 1 : 0;
            }
            case PUB -> sendIndex = -1;
            case SUB -> {
                for (int i = 0; i < attached.ringCount(); i++) {
                    if (attached.ring(i).claimOwner(owner())) {
                        receiveIndex = i;
                        break;
                    }
                }
                if (receiveIndex < 0) {
                    if (bound) {
                        attached.markClosedAndDelete();
                    }
                    attached.unmap();
                    throw new SocketException("pub endpoint " + address + " serves " + attached.ringCount()
                            + " subscribers already");
                }
            }
        }
        if (receiveIndex >= 0) {
            attached.ring(receiveIndex).addConsumers(1);
        }
        if (sendIndex >= 0) {
            attached.ring(sendIndex).addProducers(1);
        }
        addParkers(attached, 1);
        endpoint = attached;
    }

    private static int owner() {
        return (int) (ProcessIdentity.PID & 0x7FFFFFFF) | 1;
    }

    /** Without the futex downcall this process cannot wake peers: tell them to poll (see SocketRing#addParkers). */
    private void addParkers(final Endpoint attached, final int delta) {
        if (Native.available()) {
            return;
        }
        for (int i = 0; i < attached.ringCount(); i++) {
            if (i == receiveIndex || i == sendIndex || type == SocketType.PUB) {
                attached.ring(i).addParkers(delta);
            }
        }
    }

    private void detachRoles(final Endpoint attached) {
        addParkers(attached, -1);
        if (!bound && (type == SocketType.PAIR || type == SocketType.REQ || type == SocketType.REP)) {
            attached.ring(0).releaseOwner();
        }
        if (receiveIndex >= 0) {
            attached.ring(receiveIndex).addConsumers(-1);
            if (type == SocketType.SUB) {
                drain(attached.ring(receiveIndex));
                attached.ring(receiveIndex).releaseOwner();
            }
        }
        if (sendIndex >= 0) {
            attached.ring(sendIndex).addProducers(-1);
        }
        receiveIndex = type == SocketType.SUB ? -1 : receiveIndex;
    }

    /** @return the endpoint, attaching a connected socket lazily; null while there is none */
    private Endpoint ensureEndpoint() {
        Endpoint current = endpoint;
        if (current != null && !bound && current.isClosed()) {
            // The binder closed: let go; a new binder of the address is found on a later call.
            detachRoles(current);
            endpoint = null;
            current.unmap();
            current = null;
        }
        if (current == null && file != null && !bound) {
            final Endpoint attached = Endpoint.attach(file, address, Endpoint.pattern(type));
            if (attached != null) {
                attachRoles(attached);
                current = attached;
            }
        }
        return current;
    }

    // ---------------------------------------------------------------------------------------------------------
    // send

    private ShmemMessage own(final Message message) {
        Objects.requireNonNull(message, "message");
        if (!(message instanceof ShmemMessage shm) || shm.mappings() != mappings) {
            throw new IllegalArgumentException("message is not a message of factory id=" + owner.factoryId() + ": "
                    + message);
        }
        return shm;
    }

    private void checkSend() {
        checkOpen();
        if (!canSend()) {
            throw new IllegalStateException("a " + type + " socket cannot send: socket id=" + id);
        }
    }

    private void checkReceive() {
        checkOpen();
        if (!canReceive()) {
            throw new IllegalStateException("a " + type + " socket cannot receive: socket id=" + id);
        }
    }

    @Override
    public long send(final Message message, final long timeoutMs) {
        checkSend();
        return sendUnit(List.of(own(message)), timeoutMs);
    }

    @Override
    public long send(final List<Message> parts, final long timeoutMs) {
        checkSend();
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a multipart send needs at least one part");
        }
        final List<ShmemMessage> owned = new ArrayList<>(parts.size());
        for (final Message part : parts) {
            owned.add(own(part));
        }
        return sendUnit(owned, timeoutMs);
    }

    private long sendUnit(final List<ShmemMessage> parts, final long timeoutMs) {
        checkTimeout(timeoutMs);
        if ((type == SocketType.REQ && awaitingReply) || (type == SocketType.REP && !haveRequest)) {
            return ERROR;
        }
        long total = 0;
        for (final ShmemMessage part : parts) {
            total += part.size();
        }
        busy.incrementAndGet();
        try {
            if (closed) {
                throw new TransportClosedException("socket id=" + id + " is closed");
            }
            final long result = type == SocketType.PUB ? publish(parts, total) : offer(parts, total, timeoutMs);
            if (result >= 0) {
                bytesSent += total;
                messagesSent++;
                awaitingReply = type == SocketType.REQ;
                haveRequest = false;
            }
            return result;
        } catch (IllegalStateException e) {
            throw closedDuring(e);
        } finally {
            busy.decrementAndGet();
        }
    }

    private TransportClosedException closedDuring(final IllegalStateException e) {
        return new TransportClosedException("socket id=" + id + " closed during the call", e);
    }

    private static void checkTimeout(final long timeoutMs) {
        if (timeoutMs < -1) {
            throw new IllegalArgumentException("timeout must be -1, 0 or positive: timeoutMs=" + timeoutMs);
        }
    }

    private long offer(final List<ShmemMessage> parts, final long total, final long timeoutMs) {
        final long deadline = timeoutMs > 0 ? System.nanoTime() + timeoutMs * 1_000_000L : 0;
        ShmemMessage descriptor = parts.size() > 1 ? descriptor(parts) : null;
        sendIdle.reset();
        try {
            while (true) {
                if (owner.interrupted()) {
                    return INTERRUPTED;
                }
                checkOpen();
                final Endpoint current = ensureEndpoint();
                final SocketRing ring = current == null ? null : current.ring(sendIndex);
                if (ring != null && ring.consumers() > 0) {
                    final long position = ring.tryClaim();
                    if (position >= 0) {
                        if (descriptor == null) {
                            ring.write(position, 1, parts.get(0).meta());
                        } else {
                            ring.write(position, 0, descriptor.meta());
                        }
                        if (ring.publish(position)) {
                            for (final ShmemMessage part : parts) {
                                part.detach();
                            }
                            if (descriptor != null) {
                                descriptor.detach();
                                descriptor = null;
                            }
                            return total;
                        }
                        continue;
                    }
                }
                final long remaining = remaining(timeoutMs, deadline);
                if (remaining == 0) {
                    return TIMEOUT;
                }
                if (ring != null) {
                    sendIdle.idle(nanos -> ring.awaitNotFull(Math.min(remaining, nanos), true));
                } else {
                    sendIdle.idle(nanos -> LockSupport.parkNanos(Math.min(remaining, NO_ENDPOINT_NANOS)));
                }
            }
        } finally {
            if (descriptor != null) {
                descriptor.close();
            }
        }
    }

    /** @return nanoseconds left, {@link Long#MAX_VALUE} for infinite, 0 when the time is up */
    private static long remaining(final long timeoutMs, final long deadline) {
        if (timeoutMs < 0) {
            return Long.MAX_VALUE;
        }
        if (timeoutMs == 0) {
            return 0;
        }
        return Math.max(0, deadline - System.nanoTime());
    }

    /** A managed block holding the parts' headers ({@link MultipartLayout}): one ring record for a unit. */
    private ShmemMessage descriptor(final List<ShmemMessage> parts) {
        final ShmemMessage descriptor = mappings.allocate(MultipartLayout.bytes(parts.size()), 0);
        final List<MetaHeader> metas = new ArrayList<>(parts.size());
        for (final ShmemMessage part : parts) {
            metas.add(part.meta());
        }
        MultipartLayout.write(descriptor.data(), metas);
        return descriptor;
    }

    /**
     * Pub: one record per subscriber ring that has room, each holding one more reference to the same payload
     * ({@link ShmemMessage#copy()}); a subscriber whose ring is full misses the message (ZeroMQ drops at the
     * high-water mark). Never blocks. The sender's reference is released afterwards.
     */
    private long publish(final List<ShmemMessage> parts, final long total) {
        if (owner.interrupted()) {
            return INTERRUPTED;
        }
        final Endpoint current = ensureEndpoint();
        if (current != null) {
            for (int i = 0; i < current.ringCount(); i++) {
                final SocketRing ring = current.ring(i);
                if (ring.consumers() <= 0) {
                    continue;
                }
                final long position = ring.tryClaim();
                if (position < 0) {
                    continue;
                }
                final List<ShmemMessage> copies = new ArrayList<>(parts.size());
                for (final ShmemMessage part : parts) {
                    copies.add((ShmemMessage) part.copy());
                }
                final ShmemMessage descriptor = copies.size() > 1 ? descriptor(copies) : null;
                ring.write(position, descriptor == null ? 1 : 0, (descriptor == null ? copies.get(0) : descriptor)
                        .meta());
                if (ring.publish(position)) {
                    copies.forEach(ShmemMessage::detach);
                    if (descriptor != null) {
                        descriptor.detach();
                    }
                } else {
                    copies.forEach(ShmemMessage::close);
                    if (descriptor != null) {
                        descriptor.close();
                    }
                }
            }
        }
        for (final ShmemMessage part : parts) {
            part.rebuild();
        }
        return total;
    }

    // ---------------------------------------------------------------------------------------------------------
    // receive

    @Override
    public long receive(final Message message, final long timeoutMs) {
        checkReceive();
        final ShmemMessage target = own(message);
        checkTimeout(timeoutMs);
        if ((type == SocketType.REQ && !awaitingReply) || (type == SocketType.REP && haveRequest)) {
            return ERROR;
        }
        busy.incrementAndGet();
        try {
            if (pending.isEmpty()) {
                final SocketRing.Entry entry = take(timeoutMs);
                if (entry == null) {
                    return owner.interrupted() ? INTERRUPTED : TIMEOUT;
                }
                if (entry.count() == 1) {
                    mappings.adoptInto(target, entry.meta());
                    bytesReceived += target.size();
                    unitReceived();
                    return target.size();
                }
                pending.addAll(readDescriptor(entry.meta()));
                pendingBytes = 0;
            }
            // One frame per call of a multipart unit, as the zeromq transport does.
            mappings.adoptInto(target, pending.poll());
            pendingBytes += target.size();
            bytesReceived += target.size();
            if (pending.isEmpty()) {
                unitReceived();
            }
            return target.size();
        } catch (IllegalStateException e) {
            throw closedDuring(e);
        } finally {
            busy.decrementAndGet();
        }
    }

    @Override
    public long receive(final List<Message> parts, final long timeoutMs) {
        checkReceive();
        Objects.requireNonNull(parts, "parts");
        checkTimeout(timeoutMs);
        if ((type == SocketType.REQ && !awaitingReply) || (type == SocketType.REP && haveRequest)) {
            return ERROR;
        }
        busy.incrementAndGet();
        try {
            final List<MetaHeader> metas;
            if (pending.isEmpty()) {
                final SocketRing.Entry entry = take(timeoutMs);
                if (entry == null) {
                    return owner.interrupted() ? INTERRUPTED : TIMEOUT;
                }
                metas = entry.count() == 1 ? List.of(entry.meta()) : readDescriptor(entry.meta());
            } else {
                metas = new ArrayList<>(pending);
                pending.clear();
            }
            parts.clear();
            long total = 0;
            for (final MetaHeader meta : metas) {
                final Message part = mappings.adopt(meta);
                parts.add(part);
                total += meta.size();
            }
            bytesReceived += total;
            unitReceived();
            return total;
        } catch (IllegalStateException e) {
            throw closedDuring(e);
        } finally {
            busy.decrementAndGet();
        }
    }

    private void unitReceived() {
        messagesReceived++;
        awaitingReply = false;
        haveRequest = type == SocketType.REP;
    }

    /** Reads a multipart descriptor and releases it; the parts' references pass to the caller. */
    private List<MetaHeader> readDescriptor(final MetaHeader meta) {
        try (Message descriptor = mappings.adopt(meta)) {
            return MultipartLayout.read(descriptor.data());
        }
    }

    /** @return the next record, or null on timeout or interrupt */
    private SocketRing.Entry take(final long timeoutMs) {
        final long deadline = timeoutMs > 0 ? System.nanoTime() + timeoutMs * 1_000_000L : 0;
        receiveIdle.reset();
        while (true) {
            if (owner.interrupted()) {
                return null;
            }
            checkOpen();
            final Endpoint current = ensureEndpoint();
            final SocketRing ring = current == null || receiveIndex < 0 ? null : current.ring(receiveIndex);
            if (ring != null) {
                final SocketRing.Entry entry = ring.poll();
                if (entry != null) {
                    return entry;
                }
            }
            final long remaining = remaining(timeoutMs, deadline);
            if (remaining == 0) {
                return null;
            }
            if (ring != null) {
                receiveIdle.idle(nanos -> ring.awaitNotEmpty(Math.min(remaining, nanos)));
            } else {
                receiveIdle.idle(nanos -> LockSupport.parkNanos(Math.min(remaining, NO_ENDPOINT_NANOS)));
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // readiness (poller), options, counters

    /** @return whether a receive would find something now */
    boolean hasInput() {
        if (closed || !canReceive()) {
            return false;
        }
        if (!pending.isEmpty()) {
            return true;
        }
        final Endpoint current = ensureEndpoint();
        return current != null && receiveIndex >= 0 && current.ring(receiveIndex).hasInput();
    }

    /** @return whether a send would go through now */
    boolean hasOutputRoom() {
        if (closed || !canSend()) {
            return false;
        }
        if (type == SocketType.PUB) {
            return true;
        }
        final Endpoint current = ensureEndpoint();
        if (current == null) {
            return false;
        }
        final SocketRing ring = current.ring(sendIndex);
        return ring.consumers() > 0 && ring.hasRoom();
    }

    /** @return the ring a poller sleeps on for this socket, or null */
    SocketRing waitRing() {
        final Endpoint current = endpoint;
        if (current == null) {
            return null;
        }
        if (canReceive()) {
            return receiveIndex >= 0 ? current.ring(receiveIndex) : null;
        }
        return sendIndex >= 0 ? current.ring(sendIndex) : null;
    }

    /** Wakes this socket's blocked calls (interrupt, close). */
    void wake() {
        final Endpoint current = endpoint;
        if (current != null) {
            try {
                for (int i = 0; i < current.ringCount(); i++) {
                    current.ring(i).wakeAll();
                }
            } catch (IllegalStateException e) {
                // unmapped meanwhile: nobody sleeps on it
            }
        }
    }

    @Override
    public int sendHighWaterMark() {
        return sendHwm;
    }

    @Override
    public void setSendHighWaterMark(final int messages) {
        if (messages < 1) {
            throw new IllegalArgumentException("high-water mark must be at least 1: messages=" + messages);
        }
        sendHwm = messages;
    }

    @Override
    public int receiveHighWaterMark() {
        return receiveHwm;
    }

    @Override
    public void setReceiveHighWaterMark(final int messages) {
        if (messages < 1) {
            throw new IllegalArgumentException("high-water mark must be at least 1: messages=" + messages);
        }
        receiveHwm = messages;
    }

    @Override
    public Duration linger() {
        return linger;
    }

    @Override
    public void setLinger(final Duration value) {
        Objects.requireNonNull(value, "linger");
        if (value.isNegative()) {
            throw new IllegalArgumentException("linger must not be negative: linger=" + value);
        }
        linger = value;
    }

    @Override
    public long bytesSent() {
        return bytesSent;
    }

    @Override
    public long bytesReceived() {
        return bytesReceived;
    }

    @Override
    public long messagesSent() {
        return messagesSent;
    }

    @Override
    public long messagesReceived() {
        return messagesReceived;
    }

    // ---------------------------------------------------------------------------------------------------------
    // close

    /**
     * Closes the socket. A connected socket lets go of the endpoint: what it sent stays in the ring for the
     * receivers (a sub drains and releases its own ring). A bound socket that sends (push, pub, pair, req, rep)
     * keeps the endpoint, in the background, for up to its linger while receivers are attached and its rings still
     * hold messages (the factory's close waits for that); then it marks the endpoint closed, removes the file and
     * releases every payload still queued, so nothing leaks. Returns at once.
     */
    @Override
    public void close() {
        final Endpoint current;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            current = endpoint;
        }
        wake();
        final long waitUntil = System.nanoTime() + CLOSE_WAIT_NANOS;
        final IdleStrategy idle = IdleStrategy.parking(CLOSE_POLL_NANOS);
        while (busy.get() > 0 && System.nanoTime() - waitUntil < 0) {
            wake();
            idle.idle();
        }
        owner.closed(this);
        while (!pending.isEmpty()) {
            release(new SocketRing.Entry(1, pending.poll()));
        }
        if (current == null) {
            return;
        }
        if (bound && canSend() && queued(current)) {
            // Deliver in the background for up to the linger; the factory's close waits for it.
            owner.lingering(Thread.ofPlatform().daemon().name("shmq-linger-" + id).start(() -> finish(current)));
        } else {
            finish(current);
        }
    }

    private void finish(final Endpoint current) {
        try {
            if (bound && canSend()) {
                lingerWhileQueued(current);
            }
            detachRoles(current);
            if (bound) {
                current.markClosedAndDelete();
                for (int i = 0; i < current.ringCount(); i++) {
                    drain(current.ring(i));
                }
            }
        } catch (IllegalStateException | TransportClosedException e) {
            // the mapping or the factory went first: the session reclaims the payloads when it ends
        } finally {
            endpoint = null;
            current.unmap();
        }
    }

    /** @return whether rings this socket sends into hold messages that attached receivers may still take */
    private boolean queued(final Endpoint current) {
        for (int i = 0; i < current.ringCount(); i++) {
            final SocketRing ring = current.ring(i);
            if (i != receiveIndex && ring.consumers() > 0 && ring.hasInput()) {
                return true;
            }
        }
        return false;
    }

    private void lingerWhileQueued(final Endpoint current) {
        final long until = System.nanoTime() + linger.toNanos();
        final IdleStrategy idle = IdleStrategy.parking(CLOSE_POLL_NANOS);
        while (queued(current) && System.nanoTime() - until < 0) {
            idle.idle();
        }
    }

    private void drain(final SocketRing ring) {
        SocketRing.Entry entry;
        while ((entry = ring.poll()) != null) {
            release(entry);
        }
    }

    private void release(final SocketRing.Entry entry) {
        try {
            if (entry.count() == 1) {
                mappings.adopt(entry.meta()).close();
            } else {
                for (final MetaHeader meta : readDescriptor(entry.meta())) {
                    mappings.adopt(meta).close();
                }
            }
        } catch (RuntimeException e) {
            System.getLogger(ShmemSocket.class.getName()).log(System.Logger.Level.WARNING,
                    "cannot release a queued message of socket id=" + id + ": " + entry, e);
        }
    }

    @Override
    public String toString() {
        return "ShmemSocket[id=" + id + ", type=" + type + ", address=" + address + "]";
    }
}
