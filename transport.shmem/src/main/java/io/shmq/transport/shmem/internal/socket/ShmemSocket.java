package io.shmq.transport.shmem.internal.socket;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketException;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.shmem.internal.mapping.MultipartLayout;
import io.shmq.transport.shmem.internal.mapping.SessionMappings;
import io.shmq.transport.shmem.internal.mapping.ShmemMessage;
import io.shmq.transport.shmem.internal.os.Deadline;
import io.shmq.transport.shmem.internal.os.IdleStrategy;
import io.shmq.transport.shmem.internal.os.Native;
import io.shmq.transport.shmem.internal.os.OwnerGuard;
import io.shmq.transport.shmem.internal.os.ProcessIdentity;
import io.shmq.transport.shmem.internal.ring.SequencedRing;
import io.shmq.transport.shmem.internal.ring.SocketRing;
import io.shmq.transport.shmem.internal.ring.SocketRingLayout;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
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
    /**
     * Pauses ({@link Thread#onSpinWait}) a producer waits after finding its ring full before it looks again (about
     * 10 us): while it polls, each look pulls the record the consumer frees next into the producer's cache, and the
     * consumer pays for it on every message; measured in {@code ./shmq bench compare}'s 64 B stream. The pauses count
     * against the spin budget ({@link IdleStrategy#idle(int, IdleStrategy.Sleeper)}): a producer that spun 256 pauses
     * per spin round (about 2 ms before its first yield) kept the core its consumer needed whenever more threads were
     * runnable than there are cores.
     */
    static final int FULL_BACKOFF = 256;
    private static final int MAX_CAPACITY = 1 << 16;
    /** How often a connected socket whose endpoint does not exist yet looks for it while a call waits. */
    private static final long NO_ENDPOINT_NANOS = 10_000_000L;
    /** How long a close waits for calls still running on other threads. */
    private static final long CLOSE_WAIT_NANOS = 2_000_000_000L;
    /** How often a binder (pub, bound req/rep) looks for connected peers that died (a /proc check per peer). */
    private static final long PEER_CHECK_NANOS = 10_000_000L;
    /** A publisher looks at the clock for that every 64 sends (a mask), not on every send. */
    private static final long PEER_CHECK_SENDS = 63;
    /** How often a connected call that waits checks that the endpoint's binder still lives. */
    private static final long BINDER_CHECK_NANOS = 100_000_000L;
    /** How often a close looks at those calls, and a lingering close at the queue it delivers. */
    private static final long CLOSE_POLL_NANOS = 1_000_000L;
    /** A lingering close asks every this many looks (about 10 ms) whether anybody may still take its queue. */
    private static final int LINGER_PEER_LOOKS = 10;

    private final Sockets owner;
    private final SessionMappings mappings;
    private final SocketType type;
    private final String name;
    private final String id;
    /**
     * Up while a send or receive runs, so that a close from another thread waits for it: raised and lowered with
     * plain stores (the socket is used by one thread at a time); the close pays a handshake with every thread.
     */
    private final OwnerGuard calls = new OwnerGuard();
    /** One strategy per direction: spin, yield, then sleep on the ring's futex for up to a slice. */
    private final IdleStrategy sendIdle;
    private final IdleStrategy receiveIdle;
    /** The running send's and receive's timeouts: their clocks start at the first wait, not at every call. */
    private final Deadline sendDeadline = new Deadline();
    private final Deadline receiveDeadline = new Deadline();
    /**
     * The parts of a multipart unit not yet handed out by a frame receive: adopted (so recorded in this process's
     * ledger) together when the unit's descriptor is read, so that a process killed between frames leaves them to
     * its survivor.
     */
    private final ArrayDeque<ShmemMessage> pending = new ArrayDeque<>();
    /** The next hand-over nonce of this socket's sends (random start: two sockets' nonces rarely meet). */
    private int nonce = java.util.concurrent.ThreadLocalRandom.current().nextInt();
    /** Where a hand-over record's block goes while a receive polls: the caller's message, or null for a new one. */
    private ShmemMessage claimTarget;
    /** The message holding the block the last hand-over record gave, until the receive takes it. */
    private ShmemMessage claimed;
    /** The parts the last hand-over record of a unit gave, until the receive takes them. */
    private List<ShmemMessage> claimedUnit;
    /** The consumer's half of a hand-over, asked about each record at a ring's head before the head moves. */
    private final SequencedRing.Claim<SocketRing.Entry> claim = new SequencedRing.Claim<>() {
        @Override
        public int claim(final SocketRing.Entry body) {
            if (body.inline()) {
                if (draining) {
                    return ORDINARY; // dropped: nothing to release
                }
                final ShmemMessage target = claimTarget != null ? claimTarget : mappings.emptyMessage();
                if (!mappings.copyInline(target, body)) {
                    return NO_ROOM;
                }
                claimed = target;
                return COPIED;
            }
            if (!body.handover()) {
                return ORDINARY;
            }
            if (body.count() == 0) {
                final List<ShmemMessage> parts = new ArrayList<>();
                final int decision = mappings.claimUnit(parts, body.meta(), body.nonce());
                if (decision == TAKEN) {
                    claimedUnit = parts;
                }
                return decision;
            }
            final ShmemMessage target = claimTarget != null ? claimTarget : mappings.emptyMessage();
            final int decision = mappings.claimInto(target, body);
            if (decision == TAKEN) {
                claimed = target;
            }
            return decision;
        }

        @Override
        public void lost(final SocketRing.Entry body) {
            // Another consumer moved the head first: its copy is the record's, this one goes.
            drop(takeClaimed());
        }
    };
    /** Set while a close drains a ring: an inline record is dropped, not copied. */
    private boolean draining;
    private volatile boolean closed;
    private volatile Endpoint endpoint;
    private volatile Path file;
    private String address;
    private boolean bound;
    private int sendIndex = -1;
    private int receiveIndex = -1;
    /**
     * A pull on an endpoint a pull bound (bound or connected): it consumes every peer slot's ring, one per connecting
     * push (the fan-in of ZeroMQ's pipes), fairly, as a bound rep takes requests.
     */
    private boolean slots;
    /** The slot a pull on slots looks at first: the last that delivered, until its burst is used up. */
    private int nextSlot;
    /** Messages the slot at {@link #nextSlot} delivered in a row. */
    private int slotBurst;
    /** How many messages in a row a pull takes from one slot before it looks at the next one first. */
    private static final int SLOT_BURST = 64;
    private int sendHwm = DEFAULT_HIGH_WATER_MARK;
    private int receiveHwm = DEFAULT_HIGH_WATER_MARK;
    /** The longest a drain waits out a record that holds its ring's head: the ring's unblock time and a second. */
    private static final long DRAIN_NANOS = SocketRing.UNBLOCK_NANOS + 1_000_000_000L;
    private static final long DRAIN_NAP_NANOS = 1_000_000L;
    private volatile Duration linger = DEFAULT_LINGER;
    private boolean awaitingReply;
    private boolean haveRequest;
    /** A req: the number of its current request (never 0), written into the request and echoed by the rep. */
    private int requestId;
    /** A req: its last receive timed out, so it may give up the request and send the next one. */
    private boolean replyTimedOut;
    /** A rep: the request number of the request it answers next. */
    private int replyTo;
    /** A req: replies to requests it gave up on, dropped. */
    private long staleReplies;
    private long bytesSent;
    private long bytesReceived;
    private long messagesSent;
    private long messagesReceived;
    private long nextBinderCheck;
    private long nextPeerCheck;
    private long publishes;
    /** A bound req/rep socket's next slot to look at first (round robin). */
    private int nextPeer;
    /** A sub socket's topic prefixes (FairMQ's default: everything), copied into its ring when it attaches. */
    private final List<byte[]> topics = new ArrayList<>(List.of(new byte[0]));
    /**
     * The socket's further endpoints (a second and later bind or connect, as a FairMQ channel's sub-channels): each
     * a socket of the same type and factory, driven by this one ({@link Links}). Empty for one endpoint.
     */
    private final List<ShmemSocket> links = new java.util.concurrent.CopyOnWriteArrayList<>();
    private Links linked;

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
        if (file != null) {
            addLink(value, true);
            return;
        }
        final Path path = Endpoint.file(mappings.session().directory(), mappings.session().shmId(), endpointName);
        final Endpoint created = Endpoint.bind(path, value, type, capacity(), owner.maxPeers(),
                mappings.session().lock());
        this.address = value;
        this.bound = true;
        this.file = path;
        attachRoles(created);
    }

    @Override
    public synchronized void connect(final String value) {
        checkOpen();
        final String endpointName = endpointName(value);
        if (file != null) {
            addLink(value, false);
            return;
        }
        this.address = value;
        this.file = Endpoint.file(mappings.session().directory(), mappings.session().shmId(), endpointName);
        // Connect before bind is allowed: the endpoint is attached once the binder made it.
        ensureEndpoint();
    }

    /** A further endpoint: a socket of the same type in this factory, bound or connected to {@code value}. */
    private void addLink(final String value, final boolean bind) {
        if (type == SocketType.PAIR) {
            throw new SocketException("a pair socket has exactly one peer: socket id=" + id + " is on " + address
                    + ", asked for " + value);
        }
        if (endpointName(value).equals(endpointName(address))
                || links.stream().anyMatch(l -> endpointName(l.address).equals(endpointName(value)))) {
            throw new SocketException("socket id=" + id + " is on " + value + " already");
        }
        final ShmemSocket link = (ShmemSocket) owner.create(type, name + "+" + (links.size() + 1));
        link.sendHwm = sendHwm;
        link.receiveHwm = receiveHwm;
        link.linger = linger;
        link.topics.clear();
        link.topics.addAll(topics);
        try {
            if (bind) {
                link.bind(value);
            } else {
                link.connect(value);
            }
        } catch (RuntimeException e) {
            link.close();
            throw e;
        }
        if (linked == null) {
            linked = new Links(this, links);
        }
        links.add(link);
    }

    /** @return a req with a request out whose reply it still waits for (no receive of it timed out) */
    boolean requestOut() {
        return type == SocketType.REQ && awaitingReply && !replyTimedOut;
    }

    /** @return a rep that received a request it has not answered */
    boolean requestIn() {
        return type == SocketType.REP && haveRequest;
    }

    /** @return the address this socket's own endpoint is on */
    String address() {
        return address;
    }

    /** @return whether this socket has further endpoints (then {@link Links} drives its transfers) */
    boolean linked() {
        return !links.isEmpty();
    }

    /** Ring capacity from the binder's high-water marks (as ZeroMQ, a message may wait in both queues). */
    private int capacity() {
        final long wanted = (long) sendHwm + receiveHwm;
        final int capacity = Integer.highestOneBit((int) Math.min(MAX_CAPACITY, Math.max(2, wanted)));
        return capacity < wanted && capacity < MAX_CAPACITY ? capacity << 1 : capacity;
    }

    private void attachRoles(final Endpoint attached) {
        if (!bound && (type == SocketType.PUSH || type == SocketType.PUB) && attached.boundBy(type)) {
            // Its binder is a push or pub: the one producer its rings are made for (a second would corrupt them).
            attached.unmap();
            final String name = type.name().toLowerCase(Locale.ROOT);
            final String peer = type == SocketType.PUSH ? "pull" : "sub";
            throw new SocketException("address " + address + " is bound by a " + name + " socket, its rings' one"
                    + " producer: a connecting " + name + " would be a second (connect a " + peer + ", or bind a "
                    + peer + " and connect the " + name + "s)");
        }
        slots = false;
        switch (type) {
            case PUSH -> {
                sendIndex = bound ? 0 : claimPushSlot(attached);
            }
            case PULL -> {
                if (attached.boundBy(SocketType.PULL)) {
                    slots = true;
                    receiveIndex = -1;
                    for (int i = 0; i < attached.ringCount(); i++) {
                        attached.ring(i).addConsumers(1);
                    }
                } else {
                    receiveIndex = 0;
                }
            }
            case PAIR -> {
                // Exclusive: one peer per endpoint; the slot of a peer that died is taken over.
                if (!bound && !claimSlot(attached, 0, 1, 0)) {
                    final int holder = attached.ring(0).owner();
                    attached.unmap();
                    throw new SocketException("address " + address + " has its pair peer already: pid=" + holder
                            + " (one connecting socket per pair endpoint)");
                }
                receiveIndex = bound ? 0 : 1;
                sendIndex = bound ? 1 : 0;
            }
            case REQ, REP -> {
                if (bound) {
                    // The binder serves every slot: it consumes all requests (even rings), produces all replies.
                    for (int k = 0; k < attached.ringCount(); k += 2) {
                        attached.ring(k).addConsumers(1);
                        attached.ring(k + 1).addProducers(1);
                    }
                } else {
                    int slot = -1;
                    for (int k = 0; k < attached.ringCount() && slot < 0; k += 2) {
                        if (attached.ring(k).claimOwner(owner())) {
                            slot = k;
                        }
                    }
                    for (int k = 0; k < attached.ringCount() && slot < 0; k += 2) {
                        if (claimSlot(attached, k, k + 1, k)) {
                            slot = k;
                        }
                    }
                    if (slot < 0) {
                        attached.unmap();
                        throw new SocketException("address " + address + " serves " + attached.ringCount() / 2
                                + " connecting req/rep peers already (its binder's limit, option shmem.max-peers)");
                    }
                    sendIndex = slot;
                    receiveIndex = slot + 1;
                    attached.markPeer(slot / 2, true);
                }
            }
            case PUB -> sendIndex = -1;
            case SUB -> {
                for (int i = 0; i < attached.ringCount() && receiveIndex < 0; i++) {
                    if (attached.ring(i).claimOwner(owner())) {
                        receiveIndex = i;
                    }
                }
                for (int i = 0; i < attached.ringCount() && receiveIndex < 0; i++) {
                    if (claimSlot(attached, i, i, -1)) {
                        receiveIndex = i;
                    }
                }
                if (receiveIndex < 0) {
                    if (bound) {
                        attached.markClosedAndDelete();
                    }
                    attached.unmap();
                    throw new SocketException("pub endpoint " + address + " serves " + attached.ringCount()
                            + " subscribers already (its binder's limit, option shmem.max-peers)");
                }
                attached.ring(receiveIndex).writeTopics(topics);
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

    /**
     * A connecting push's slot of a bound pull's endpoint: a free one, else the slot of a push that died (what that one
     * sent stays in the ring for the pulls, and this push writes after it).
     *
     * @throws SocketException when every slot is held by a live push
     */
    private int claimPushSlot(final Endpoint attached) {
        for (int i = 0; i < attached.ringCount(); i++) {
            if (attached.ring(i).claimOwner(owner())) {
                return i;
            }
        }
        for (int i = 0; i < attached.ringCount(); i++) {
            if (claimSlot(attached, i, -1, i)) {
                return i;
            }
        }
        attached.unmap();
        throw new SocketException("address " + address + " takes " + attached.ringCount() + " connecting pushes"
                + " already (its binder's limit, option shmem.max-peers)");
    }

    /**
     * A pull's receive over every slot of a bound pull's endpoint: the next message of any slot, fair: it stays on
     * the slot that delivered for up to {@link #SLOT_BURST} messages in a row (not looking at fifteen empty slots per
     * message), then starts from the next one. While it spins it looks at each slot's head record only.
     */
    private SocketRing.Entry pollSlots(final Endpoint current) {
        final int count = current.ringCount();
        final boolean spinning = receiveIdle.spinning();
        for (int j = 0; j < count; j++) {
            final int k = (nextSlot + j) % count;
            final SocketRing ring = current.ring(k);
            if (!ring.hasPublished()) {
                continue;
            }
            final SocketRing.Entry entry = ring.poll(claim, !spinning);
            if (entry != null) {
                if (k != nextSlot || ++slotBurst >= SLOT_BURST) {
                    slotBurst = 0;
                    nextSlot = k == nextSlot ? (k + 1) % count : k;
                }
                return entry;
            }
        }
        return null;
    }

    /**
     * @return whether this is a bound req or rep socket: it serves every peer slot of its endpoint, choosing the
     * slot of each exchange (a rep: the slot its request came from; a req: the next connected rep, round robin)
     */
    private boolean multiPeer() {
        return bound && (type == SocketType.REQ || type == SocketType.REP);
    }

    /**
     * A bound req's choice of the rep to ask: the next slot, round robin, whose rep is attached and has room.
     *
     * @return whether a slot was chosen (then {@code sendIndex} and {@code receiveIndex} name its rings)
     */
    private boolean choosePeer(final Endpoint current) {
        final int slots = current.ringCount() / 2;
        for (int rest = fromNextPeer(current.peers(), slots); rest != 0; rest &= rest - 1) {
            final int slot = slotOf(rest);
            final SocketRing replies = current.ring(2 * slot + 1);
            if (replies.consumers() > 0 && replies.hasRoom()) {
                nextPeer = slot + 1 == slots ? 0 : slot + 1;
                sendIndex = 2 * slot + 1;
                receiveIndex = 2 * slot;
                return true;
            }
        }
        return false;
    }

    /**
     * The held slots of a bound req/rep endpoint in round-robin order: the peers word (bit k for slot k, none at or
     * above {@code slots}) rotated so that bit 0 is slot {@code nextPeer}. Its set bits, lowest first, are the slots
     * from {@code nextPeer} up and then, wrapped round to the top, those below it; {@link #slotOf} names the lowest.
     * A loop over the set bits only, no division: one held slot of 32 costs one look, not 32 (a bound req's every
     * send chooses).
     */
    private int fromNextPeer(final int peers, final int slots) {
        final int held = slots >= Integer.SIZE ? peers : peers & ((1 << slots) - 1);
        return Integer.rotateRight(held, nextPeer);
    }

    /** @return the slot of the lowest set bit of a word {@link #fromNextPeer} made */
    private int slotOf(final int rotated) {
        return (Integer.numberOfTrailingZeros(rotated) + nextPeer) & (Integer.SIZE - 1);
    }

    /**
     * A bound rep's receive: the next request of any slot, fair (round robin over the slots). While it spins it looks
     * at each slot's head record only (no tail: a requester's claim needs that line), and for no stalled claim.
     */
    private SocketRing.Entry pollPeers(final Endpoint current) {
        final int slots = current.ringCount() / 2;
        final boolean spinning = receiveIdle.spinning();
        for (int rest = fromNextPeer(current.peers(), slots); rest != 0; rest &= rest - 1) {
            final int slot = slotOf(rest);
            final SocketRing requests = current.ring(2 * slot);
            if (spinning ? !requests.hasPublished() : !requests.hasInput()) {
                continue;
            }
            final SocketRing.Entry entry = requests.poll(claim, !spinning);
            if (entry != null) {
                nextPeer = slot + 1 == slots ? 0 : slot + 1;
                receiveIndex = 2 * slot;
                sendIndex = 2 * slot + 1;
                return entry;
            }
        }
        return null;
    }

    /**
     * A bound rep's sleep (the request rings of its claimed slots: {@code step} 2, {@code mask} the peers word) or a
     * pull's over the slots of a bound pull (every ring: {@code step} 1, {@code mask} -1): on those rings at once
     * (futex_waitv), after registering as their waiter and checking them once more; parks when there is none or
     * futex_waitv is unavailable.
     *
     * @param mask bit {@code k / step} set for each ring {@code k} to sleep on
     */
    private static void awaitInputs(final Endpoint current, final int step, final int mask, final long nanos) {
        final SocketRing[] rings = new SocketRing[current.ringCount() / step];
        final boolean[] inputs = new boolean[rings.length];
        int count = 0;
        for (int k = 0; k < current.ringCount(); k += step) {
            if ((mask & 1 << k / step) != 0) {
                inputs[count] = true;
                rings[count++] = current.ring(k);
            }
        }
        if (count == 0 || !SocketRing.awaitAny(rings, inputs, count, nanos, i -> rings[i].hasInput())) {
            LockSupport.parkNanos(Math.min(nanos, NO_ENDPOINT_NANOS));
        }
    }

    /** The owner word of the peer slots this process holds: its pid (Linux pids fit 31 bits and are never 0). */
    private static int owner() {
        return (int) ProcessIdentity.PID;
    }

    /** @return whether the process holding a peer slot is gone (pid only: a reused pid keeps the slot) */
    private static boolean holderDead(final int holder) {
        return holder != 0 && holder != owner() && ProcessHandle.of(holder).isEmpty();
    }

    /**
     * Takes slot {@code slot} of {@code attached}, or the slot of a holder that died: its counts go, and what was
     * queued for it is released ({@code received}: the ring it consumed, or -1 for none; {@code sent}: the ring it
     * produced into, or -1).
     *
     * @return whether this socket holds the slot now
     */
    private boolean claimSlot(final Endpoint attached, final int slot, final int received, final int sent) {
        final SocketRing ring = attached.ring(slot);
        if (ring.claimOwner(owner())) {
            return true;
        }
        final int holder = ring.owner();
        if (!holderDead(holder) || !ring.replaceOwner(holder, owner())) {
            return false;
        }
        System.getLogger(ShmemSocket.class.getName()).log(System.Logger.Level.INFO, "socket id=" + id + " took the "
                + "slot of dead pid " + holder + " at " + address);
        if (received >= 0) {
            attached.ring(received).addConsumers(-1);
            drain(attached.ring(received));
        }
        if (sent >= 0) {
            attached.ring(sent).addProducers(-1);
        }
        return true;
    }

    /** Without the futex downcall this process cannot wake peers: tell them to poll (see SocketRing#addParkers). */
    private void addParkers(final Endpoint attached, final int delta) {
        if (Native.available()) {
            return;
        }
        for (int i = 0; i < attached.ringCount(); i++) {
            if (i == receiveIndex || i == sendIndex || type == SocketType.PUB || multiPeer() || slots) {
                attached.ring(i).addParkers(delta);
            }
        }
    }

    private void detachRoles(final Endpoint attached) {
        addParkers(attached, -1);
        if (multiPeer()) {
            for (int k = 0; k < attached.ringCount(); k += 2) {
                attached.ring(k).addConsumers(-1);
                attached.ring(k + 1).addProducers(-1);
            }
            receiveIndex = -1;
            sendIndex = -1;
            return;
        }
        if (slots) {
            for (int i = 0; i < attached.ringCount(); i++) {
                attached.ring(i).addConsumers(-1);
            }
            slots = false;
            return;
        }
        if (!bound && (type == SocketType.PAIR || type == SocketType.REQ || type == SocketType.REP
                || type == SocketType.PUSH)) {
            if (type != SocketType.PAIR) {
                attached.markPeer(sendIndex / 2, false);
            }
            attached.ring(sendIndex).releaseOwner(); // the slot's owner word is on the ring the connector sends into
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

    /**
     * The wait path of a connected socket (nothing to receive, no room to send): at most every
     * {@link #BINDER_CHECK_NANOS}, lets go of an endpoint whose binder died without closing it (killed), so that a
     * later call attaches to the endpoint of the next binder of the address, as after a graceful close.
     */
    private void checkBinder(final Endpoint current) {
        if (bound || current == null) {
            return;
        }
        final long now = System.nanoTime();
        if (now - nextBinderCheck < 0) {
            return;
        }
        nextBinderCheck = now + BINDER_CHECK_NANOS;
        if (!current.binderAlive()) {
            System.getLogger(ShmemSocket.class.getName()).log(System.Logger.Level.INFO, "socket id=" + id
                    + ": the binder of " + address + " died; waiting for the next one");
            detachRoles(current);
            endpoint = null;
            current.unmap();
        }
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
        if (linked()) {
            return linked.send(List.of(message), false, timeoutMs);
        }
        return sendUnit(own(message), null, timeoutMs);
    }

    /**
     * The send of this socket's own endpoint: one message, or a unit of several; a single one takes the path without
     * a list.
     */
    long sendOwn(final List<Message> parts, final long timeoutMs) {
        if (parts.size() == 1) {
            return sendUnit(own(parts.getFirst()), null, timeoutMs);
        }
        final List<ShmemMessage> owned = new ArrayList<>(parts.size());
        for (final Message part : parts) {
            owned.add(own(part));
        }
        return sendUnit(null, owned, timeoutMs);
    }

    @Override
    public long send(final List<Message> parts, final long timeoutMs) {
        checkSend();
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("a multipart send needs at least one part");
        }
        if (linked()) {
            return linked.send(parts, true, timeoutMs);
        }
        return sendOwn(parts, timeoutMs);
    }

    /**
     * @param one   the message of a single send, or null for a unit
     * @param parts the parts of a unit (two or more), or null for a single send
     */
    private long sendUnit(final ShmemMessage one, final List<ShmemMessage> parts, final long timeoutMs) {
        checkTimeout(timeoutMs);
        if ((type == SocketType.REQ && awaitingReply && !replyTimedOut) || (type == SocketType.REP && !haveRequest)) {
            return ERROR;
        }
        long total = 0;
        if (one != null) {
            total = one.size();
        } else {
            for (final ShmemMessage part : parts) {
                total += part.size();
            }
        }
        enterCall();
        try {
            final int correlation = switch (type) {
                case REQ -> requestId + 1 == 0 ? 1 : requestId + 1;
                case REP -> replyTo;
                default -> 0;
            };
            final long result = type == SocketType.PUB ? publish(one != null ? List.of(one) : parts, total)
                    : offer(one, parts, total, correlation, timeoutMs);
            if (result >= 0) {
                bytesSent += total;
                messagesSent++;
                awaitingReply = type == SocketType.REQ;
                haveRequest = false;
                if (type == SocketType.REQ) {
                    requestId = correlation;
                    replyTimedOut = false;
                }
            }
            return result;
        } catch (IllegalStateException e) {
            throw closedDuring(e);
        } finally {
            calls.exit();
        }
    }

    /** Raises {@link #calls}, or throws when the socket is closed (the close revoked the guard, or is about to). */
    private void enterCall() {
        if (!calls.enter()) {
            throw new TransportClosedException("socket id=" + id + " is closed");
        }
        if (closed) {
            calls.exit();
            throw new TransportClosedException("socket id=" + id + " is closed");
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

    /**
     * The send to one consumer (push, pair, req, rep; never pub) of a single message ({@code one}, {@code parts}
     * null: no list on the way) or of a unit ({@code parts}, two or more, {@code one} null).
     */
    private long offer(final ShmemMessage one, final List<ShmemMessage> parts, final long total, final int correlation,
                       final long timeoutMs) {
        final Deadline deadline = sendDeadline.reset(timeoutMs);
        // A copy goes with a reference of its own, named by the header written below.
        if (one != null) {
            one.unshare();
        } else {
            for (final ShmemMessage part : parts) {
                part.unshare();
            }
        }
        // One block, or a unit of blocks and its descriptor, is handed over by the holder words.
        ShmemMessage descriptor = one == null ? descriptor(parts) : null;
        sendIdle.reset();
        try {
            while (true) {
                if (owner.interrupted()) {
                    return INTERRUPTED;
                }
                checkOpen();
                final Endpoint current = ensureEndpoint();
                final boolean peer = current != null && (!multiPeer() || type == SocketType.REP || choosePeer(current));
                final SocketRing ring = !peer || sendIndex < 0 ? null : current.ring(sendIndex);
                if (ring != null && multiPeer() && type == SocketType.REP && current.ring(sendIndex - 1).owner() == 0) {
                    // The requester is gone (its slot was freed): its reply is dropped, as ZeroMQ's rep does.
                    if (one != null) {
                        one.rebuild();
                    } else {
                        for (final ShmemMessage part : parts) {
                            part.rebuild();
                        }
                    }
                    return total;
                }
                if (ring != null && ring.consumers() > 0) {
                    // Spinning on a full ring, no look at its head for a stalled consumer (see poll's twin).
                    final long position = ring.tryClaim(!sendIdle.spinning());
                    if (position >= 0) {
                        if (one != null && one.writeInline(ring, position, correlation, SocketRingLayout.INLINE_BYTES)) {
                            // A small message travels inside the record: only the ring's lines cross to the
                            // receiver, which copies it out; the block stays in this process and is freed here.
                            if (ring.publish(position)) {
                                one.rebuild();
                                return total;
                            }
                            continue; // skipped (a producer of many stalled): the message is untouched, again
                        }
                        final int n = ++nonce & SocketRing.NONCE_MASK;
                        if (one != null ? one.beginHandover(n) : beginHandover(parts, descriptor, n)) {
                            // The ledger entries stay until the publish: the holder words' CASes decide who releases
                            // each block if this process dies in between, the consumer or a survivor.
                            if (one != null) {
                                one.writeHandover(ring, position, correlation, n);
                            } else {
                                ring.writeHandover(position, correlation, descriptor.meta(), n, true);
                            }
                            if (ring.publish(position)) {
                                if (one != null) {
                                    one.handedOver();
                                    return total;
                                }
                                for (final ShmemMessage part : parts) {
                                    part.handedOver();
                                }
                                descriptor.handedOver();
                                descriptor = null;
                                return total;
                            }
                            if (one != null) {
                                one.handoverFailed(n);
                            } else {
                                handoverFailed(parts, descriptor, n);
                            }
                            continue;
                        }
                        if (one != null) {
                            ring.write(position, 1, correlation, one.meta());
                            one.beforePublish();
                            if (ring.publish(position)) {
                                one.detach();
                                return total;
                            }
                            one.publishFailed();
                            continue;
                        }
                        ring.write(position, 0, correlation, descriptor.meta());
                        unrecord(parts, descriptor);
                        if (ring.publish(position)) {
                            for (final ShmemMessage part : parts) {
                                part.detach();
                            }
                            descriptor.detach();
                            descriptor = null;
                            return total;
                        }
                        rerecord(parts, descriptor);
                        continue;
                    }
                }
                final long remaining = deadline.remaining();
                if (remaining == 0) {
                    return TIMEOUT;
                }
                if (sendIdle.parking()) {
                    // Housekeeping only on the way to sleep, never on the fast path.
                    checkBinder(current);
                    if (current != null && multiPeer() && endpoint == current) {
                        freeDeadPeers(current);
                    }
                }
                if (!sendIdle.parking()) {
                    // Spin or yield: no sleeper is made (a lambda per look at a full ring).
                    sendIdle.pause(ring != null && endpoint == current ? FULL_BACKOFF : 1);
                } else if (ring != null && endpoint == current) {
                    sendIdle.idle(FULL_BACKOFF, nanos -> ring.awaitNotFull(Math.min(remaining, nanos), true));
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

    /**
     * Puts a unit's blocks in flight with nonce {@code n}: every part (empty parts have none), then its descriptor (a
     * single message's block goes by {@link ShmemMessage#beginHandover} alone). All or nothing: when one cannot go (a
     * region range, a block this process does not hold alone), those already in flight come back and the send takes
     * the ordinary way.
     */
    private static boolean beginHandover(final List<ShmemMessage> parts, final ShmemMessage descriptor, final int n) {
        for (int i = 0; i < parts.size(); i++) {
            final ShmemMessage part = parts.get(i);
            if (part.holdsPayload() && !part.beginHandover(n)) {
                handoverFailed(parts.subList(0, i), null, n);
                return false;
            }
        }
        if (!descriptor.beginHandover(n)) {
            handoverFailed(parts, null, n);
            return false;
        }
        return true;
    }

    /** Takes back what {@link #beginHandover} put in flight (a publish that failed, or one that cannot go). */
    private static void handoverFailed(final List<ShmemMessage> parts, final ShmemMessage descriptor, final int n) {
        for (final ShmemMessage part : parts) {
            if (part.holdsPayload()) {
                part.handoverFailed(n);
            }
        }
        if (descriptor != null) {
            descriptor.handoverFailed(n);
        }
    }

    /** The ring's consumer owns what is published: no ledger may name it from the publish on. */
    private static void unrecord(final List<ShmemMessage> parts, final ShmemMessage descriptor) {
        for (final ShmemMessage part : parts) {
            part.beforePublish();
        }
        if (descriptor != null) {
            descriptor.beforePublish();
        }
    }

    private static void rerecord(final List<ShmemMessage> parts, final ShmemMessage descriptor) {
        for (final ShmemMessage part : parts) {
            part.publishFailed();
        }
        if (descriptor != null) {
            descriptor.publishFailed();
        }
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
     * ({@link ShmemMessage#copyCounted()}); a subscriber whose ring is full misses the message (ZeroMQ drops at the
     * high-water mark). Never blocks. The sender's reference is released afterwards.
     */
    private long publish(final List<ShmemMessage> parts, final long total) {
        if (owner.interrupted()) {
            return INTERRUPTED;
        }
        final Endpoint current = ensureEndpoint();
        if (current != null) {
            if ((++publishes & PEER_CHECK_SENDS) == 0) {
                freeDeadPeers(current);
            }
            final MemorySegment first = parts.get(0).data();
            for (int i = 0; i < current.ringCount(); i++) {
                final SocketRing ring = current.ring(i);
                if (ring.consumers() <= 0 || !ring.matches(first)) {
                    continue;
                }
                final long position = ring.tryClaim();
                if (position < 0) {
                    continue;
                }
                final List<ShmemMessage> copies = new ArrayList<>(parts.size());
                for (final ShmemMessage part : parts) {
                    copies.add(part.copyCounted());
                }
                final ShmemMessage descriptor = copies.size() > 1 ? descriptor(copies) : null;
                ring.write(position, descriptor == null ? 1 : 0, 0, (descriptor == null ? copies.get(0) : descriptor)
                        .meta());
                unrecord(copies, descriptor);
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

    /**
     * A binder's housekeeping (pub, bound req/rep), at most every {@link #PEER_CHECK_NANOS}: the slot of a connected
     * peer that died is freed; what was queued for it (and what it sent and nobody took) is released, so that a
     * killed subscriber or requester neither holds segment memory nor keeps its slot.
     */
    private void freeDeadPeers(final Endpoint current) {
        final long now = System.nanoTime();
        if (now - nextPeerCheck < 0) {
            return;
        }
        nextPeerCheck = now + PEER_CHECK_NANOS;
        freeDeadPeersNow(current);
    }

    private void freeDeadPeersNow(final Endpoint current) {
        final boolean pairs = multiPeer();
        for (int i = 0; i < current.ringCount(); i += pairs ? 2 : 1) {
            final SocketRing slot = current.ring(i);
            final int holder = slot.owner();
            if (holderDead(holder) && slot.replaceOwner(holder, owner())) {
                System.getLogger(ShmemSocket.class.getName()).log(System.Logger.Level.INFO, "socket id=" + id
                        + " freed the slot of dead peer pid " + holder + " at " + address);
                if (pairs) {
                    current.markPeer(i / 2, false);
                    current.ring(i + 1).addConsumers(-1);
                    drain(current.ring(i + 1));
                    slot.addProducers(-1);
                    drain(slot);
                } else {
                    slot.addConsumers(-1);
                    drain(slot);
                }
                slot.releaseOwner();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // receive

    @Override
    public long receive(final Message message, final long timeoutMs) {
        checkReceive();
        if (linked()) {
            return linked.receive(message, null, timeoutMs);
        }
        return receiveOwn(message, timeoutMs);
    }

    /** The receive of this socket's own endpoint, one frame. */
    long receiveOwn(final Message message, final long timeoutMs) {
        final ShmemMessage target = own(message);
        checkTimeout(timeoutMs);
        if ((type == SocketType.REQ && !awaitingReply) || (type == SocketType.REP && haveRequest)) {
            return ERROR;
        }
        enterCall();
        try {
            if (pending.isEmpty()) {
                final SocketRing.Entry entry;
                claimTarget = target;
                try {
                    entry = take(timeoutMs);
                } finally {
                    claimTarget = null;
                }
                if (entry == null) {
                    return owner.interrupted() ? INTERRUPTED : TIMEOUT;
                }
                if ((entry.handover() || entry.inline()) && entry.count() == 1) {
                    takeClaimed(); // the claim put it into the target
                    bytesReceived += target.size();
                    unitReceived();
                    return target.size();
                }
                if (entry.count() == 1) {
                    mappings.adoptInto(target, entry.meta());
                    bytesReceived += target.size();
                    unitReceived();
                    return target.size();
                }
                pending.addAll(entry.handover() ? takeClaimedUnit() : adoptUnit(entry.meta()));
            }
            // One frame per call of a multipart unit, as the zeromq transport does.
            mappings.moveInto(target, pending.poll());
            bytesReceived += target.size();
            if (pending.isEmpty()) {
                unitReceived();
            }
            return target.size();
        } catch (IllegalStateException e) {
            throw closedDuring(e);
        } finally {
            calls.exit();
        }
    }

    @Override
    public long receive(final List<Message> parts, final long timeoutMs) {
        checkReceive();
        Objects.requireNonNull(parts, "parts");
        if (linked()) {
            return linked.receive(null, parts, timeoutMs);
        }
        return receiveOwn(parts, timeoutMs);
    }

    /** The receive of this socket's own endpoint, a whole unit. */
    long receiveOwn(final List<Message> parts, final long timeoutMs) {
        checkTimeout(timeoutMs);
        if ((type == SocketType.REQ && !awaitingReply) || (type == SocketType.REP && haveRequest)) {
            return ERROR;
        }
        enterCall();
        try {
            final List<ShmemMessage> unit;
            if (pending.isEmpty()) {
                final SocketRing.Entry entry = take(timeoutMs);
                if (entry == null) {
                    return owner.interrupted() ? INTERRUPTED : TIMEOUT;
                }
                if ((entry.handover() || entry.inline()) && entry.count() == 1) {
                    final ShmemMessage got = takeClaimed();
                    parts.clear();
                    parts.add(got);
                    bytesReceived += got.size();
                    unitReceived();
                    return got.size();
                }
                unit = entry.handover() ? takeClaimedUnit()
                        : entry.count() == 1 ? List.of(mappings.adopt(entry.meta())) : adoptUnit(entry.meta());
            } else {
                unit = new ArrayList<>(pending);
                pending.clear();
            }
            parts.clear();
            long total = 0;
            for (final ShmemMessage part : unit) {
                parts.add(part);
                total += part.size();
            }
            bytesReceived += total;
            unitReceived();
            return total;
        } catch (IllegalStateException e) {
            throw closedDuring(e);
        } finally {
            calls.exit();
        }
    }

    /** @return the message the last hand-over record's claim filled (taken from the socket) */
    private ShmemMessage takeClaimed() {
        final ShmemMessage got = claimed;
        claimed = null;
        if (got == null) {
            throw new IllegalStateException("a hand-over record was received without its claim");
        }
        return got;
    }

    /** @return the parts the last hand-over record of a unit gave (taken from the socket) */
    private List<ShmemMessage> takeClaimedUnit() {
        final List<ShmemMessage> got = claimedUnit;
        claimedUnit = null;
        if (got == null) {
            throw new IllegalStateException("a unit's hand-over record was received without its claim");
        }
        return got;
    }

    private void unitReceived() {
        messagesReceived++;
        awaitingReply = false;
        haveRequest = type == SocketType.REP;
    }

    /**
     * Adopts the parts a multipart descriptor names, then releases the descriptor: the parts are in this process's
     * ledger before the descriptor leaves it. A part whose header is refused drops the whole unit (the parts adopted
     * so far are released) and throws.
     */
    private List<ShmemMessage> adoptUnit(final MetaHeader meta) {
        try (Message descriptor = mappings.adopt(meta)) {
            final List<MetaHeader> metas = MultipartLayout.read(descriptor.data());
            final List<ShmemMessage> parts = new ArrayList<>(metas.size());
            try {
                for (final MetaHeader part : metas) {
                    parts.add(mappings.adopt(part));
                }
            } catch (RuntimeException e) {
                parts.forEach(ShmemMessage::close);
                throw e;
            }
            return parts;
        }
    }

    /**
     * @return the next record for this socket, or null on timeout or interrupt: a req drops replies to requests it
     * gave up on (their number is not its current one), a rep remembers the number of the request it answers
     */
    private SocketRing.Entry take(final long timeoutMs) {
        final Deadline deadline = receiveDeadline.reset(timeoutMs); // one clock for the stale replies' loop too
        while (true) {
            final SocketRing.Entry entry = takeAny(deadline);
            if (entry == null) {
                if (type == SocketType.REQ && !owner.interrupted()) {
                    replyTimedOut = true;
                }
                return null;
            }
            if (type == SocketType.REQ && entry.correlation() != requestId) {
                staleReplies++;
                release(entry);
                if (timeoutMs > 0 && deadline.expired()) {
                    replyTimedOut = true;
                    return null;
                }
                continue;
            }
            if (type == SocketType.REP) {
                replyTo = entry.correlation();
            }
            return entry;
        }
    }

    /** @param deadline the receive's timeout (its clock started at its first wait, possibly in an earlier take) */
    private SocketRing.Entry takeAny(final Deadline deadline) {
        receiveIdle.reset();
        while (true) {
            if (owner.interrupted()) {
                return null;
            }
            checkOpen();
            final Endpoint current = ensureEndpoint();
            final boolean server = current != null && multiPeer() && type == SocketType.REP;
            if (server) {
                final SocketRing.Entry entry = pollPeers(current);
                if (entry != null) {
                    return entry;
                }
            }
            final boolean fanIn = current != null && slots;
            if (fanIn) {
                final SocketRing.Entry entry = pollSlots(current);
                if (entry != null) {
                    return entry;
                }
            }
            final SocketRing ring = current == null || server || fanIn || receiveIndex < 0 ? null
                    : current.ring(receiveIndex);
            if (ring != null) {
                // Spinning on the head, no look for a stalled claim there: its producer is most likely writing it.
                final SocketRing.Entry entry = ring.poll(claim, !receiveIdle.spinning());
                if (entry != null) {
                    return entry;
                }
            }
            // Nothing to receive: the large frees this factory deferred go back now, not at the next batch.
            mappings.flushDeferred();
            final long remaining = deadline.remaining();
            if (remaining == 0) {
                return null;
            }
            if (receiveIdle.parking()) {
                // Housekeeping only on the way to sleep, never on the fast path.
                checkBinder(current);
                if (server) {
                    freeDeadPeers(current);
                }
            }
            if (!receiveIdle.parking()) {
                receiveIdle.pause(1); // spin or yield: no sleeper is made (a lambda per look at an empty ring)
            } else if (server) {
                receiveIdle.idle(nanos -> awaitInputs(current, 2, current.peers(), Math.min(remaining, nanos)));
            } else if (fanIn) {
                receiveIdle.idle(nanos -> awaitInputs(current, 1, -1, Math.min(remaining, nanos)));
            } else if (ring != null && endpoint == current) {
                receiveIdle.idle(nanos -> ring.awaitNotEmpty(Math.min(remaining, nanos)));
            } else {
                receiveIdle.idle(nanos -> LockSupport.parkNanos(Math.min(remaining, NO_ENDPOINT_NANOS)));
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // readiness (poller), options, counters

    /** @return whether parts of a multipart unit wait for the next receive */
    boolean hasPendingParts() {
        return !pending.isEmpty() || linked() && links.stream().anyMatch(ShmemSocket::hasPendingParts);
    }

    /** @return whether a receive would find something now (on any of its endpoints) */
    boolean hasInput() {
        if (linked() && links.stream().anyMatch(ShmemSocket::hasInput)) {
            return true;
        }
        return hasOwnInput();
    }

    private boolean hasOwnInput() {
        if (closed || !canReceive()) {
            return false;
        }
        if (!pending.isEmpty()) {
            return true;
        }
        final Endpoint current = ensureEndpoint();
        if (current != null && multiPeer() && type == SocketType.REP) {
            final int peers = current.peers();
            for (int k = 0; k < current.ringCount(); k += 2) {
                if ((peers & 1 << k / 2) != 0 && current.ring(k).hasInput()) {
                    return true;
                }
            }
            return false;
        }
        if (current != null && slots) {
            for (int i = 0; i < current.ringCount(); i++) {
                if (current.ring(i).hasInput()) {
                    return true;
                }
            }
            return false;
        }
        return current != null && receiveIndex >= 0 && current.ring(receiveIndex).hasInput();
    }

    /** @return whether a send would go through now (on any of its endpoints) */
    boolean hasOutputRoom() {
        if (linked() && links.stream().anyMatch(ShmemSocket::hasOutputRoom)) {
            return true;
        }
        return hasOwnOutputRoom();
    }

    private boolean hasOwnOutputRoom() {
        if (closed || !canSend()) {
            return false;
        }
        if (type == SocketType.PUB) {
            return true;
        }
        final Endpoint current = ensureEndpoint();
        if (current == null || sendIndex < 0 && !multiPeer()) {
            return false;
        }
        if (multiPeer()) {
            final int peers = current.peers();
            for (int k = 0; k < current.ringCount(); k += 2) {
                final SocketRing replies = current.ring(k + 1);
                if ((peers & 1 << k / 2) != 0 && replies.consumers() > 0 && replies.hasRoom()) {
                    return true;
                }
            }
            return false;
        }
        final SocketRing ring = current.ring(sendIndex);
        return ring.consumers() > 0 && ring.hasRoom();
    }

    /** @return whether a poller sleeps on several rings for this socket (a bound rep, or several endpoints) */
    boolean waitsOnSeveralRings() {
        return linked() || multiPeer() && type == SocketType.REP || slots;
    }

    /** @return the ring a poller sleeps on for this socket, or null (none, or several: see {@link #waitRings}) */
    SocketRing waitRing() {
        final Endpoint current = endpoint;
        if (current == null || multiPeer() && type == SocketType.REP || slots) {
            return null;
        }
        if (canReceive()) {
            return receiveIndex >= 0 ? current.ring(receiveIndex) : null;
        }
        return sendIndex >= 0 ? current.ring(sendIndex) : null;
    }

    /**
     * Puts the rings a poller sleeps on for this socket into {@code rings} from {@code at} (a bound rep: the
     * request ring of every connected peer; any other socket: its one ring), with what each waits for.
     *
     * @return the next free index, or -1 when there is nothing to sleep on yet (no endpoint or peer, or no room)
     */
    int waitRings(final SocketRing[] rings, final boolean[] inputs, final int at) {
        int next = ownWaitRings(rings, inputs, at);
        for (final ShmemSocket link : links) {
            if (next < 0) {
                return -1;
            }
            next = link.ownWaitRings(rings, inputs, next);
        }
        return next;
    }

    private int ownWaitRings(final SocketRing[] rings, final boolean[] inputs, final int at) {
        final Endpoint current = endpoint;
        if (current != null && multiPeer() && type == SocketType.REP) {
            final int peers = current.peers();
            int next = at;
            for (int k = 0; k < current.ringCount(); k += 2) {
                if ((peers & 1 << k / 2) != 0) {
                    if (next == rings.length) {
                        return -1;
                    }
                    rings[next] = current.ring(k);
                    inputs[next++] = true;
                }
            }
            return next == at ? -1 : next;
        }
        if (current != null && slots) {
            if (at + current.ringCount() > rings.length) {
                return -1;
            }
            for (int i = 0; i < current.ringCount(); i++) {
                rings[at + i] = current.ring(i);
                inputs[at + i] = true;
            }
            return at + current.ringCount();
        }
        final SocketRing ring = waitRing();
        if (ring == null || at == rings.length) {
            return -1;
        }
        rings[at] = ring;
        inputs[at] = canReceive();
        return at + 1;
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
    public synchronized void subscribe(final byte[] prefix) {
        checkTopic(prefix);
        if (topics.size() >= SocketRingLayout.MAX_TOPICS) {
            throw new IllegalArgumentException("a shared-memory sub socket holds at most " + SocketRingLayout.MAX_TOPICS
                    + " prefixes: socket id=" + id);
        }
        topics.add(prefix.clone());
        publishTopics();
        for (final ShmemSocket link : links) {
            link.subscribe(prefix);
        }
    }

    @Override
    public synchronized void unsubscribe(final byte[] prefix) {
        checkTopic(prefix);
        for (int i = 0; i < topics.size(); i++) {
            if (Arrays.equals(topics.get(i), prefix)) {
                topics.remove(i);
                publishTopics();
                for (final ShmemSocket link : links) {
                    link.unsubscribe(prefix);
                }
                return;
            }
        }
    }

    private void checkTopic(final byte[] prefix) {
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

    /** Copies the prefixes into the ring this sub socket holds, if it holds one now. */
    private void publishTopics() {
        final Endpoint current = endpoint;
        if (current != null && receiveIndex >= 0) {
            try {
                current.ring(receiveIndex).writeTopics(topics);
            } catch (IllegalStateException e) {
                throw closedDuring(e);
            }
        }
    }

    @Override
    public int sendHighWaterMark() {
        return sendHwm;
    }

    @Override
    public void setSendHighWaterMark(final int messages) {
        checkHighWaterMark(messages);
        sendHwm = messages;
        links.forEach(l -> l.setSendHighWaterMark(messages));
    }

    private static void checkHighWaterMark(final int messages) {
        if (messages < 1) {
            throw new IllegalArgumentException("high-water mark must be at least 1: messages=" + messages);
        }
    }

    @Override
    public int receiveHighWaterMark() {
        return receiveHwm;
    }

    @Override
    public void setReceiveHighWaterMark(final int messages) {
        checkHighWaterMark(messages);
        receiveHwm = messages;
        links.forEach(l -> l.setReceiveHighWaterMark(messages));
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
        links.forEach(l -> l.setLinger(value));
    }

    @Override
    public long bytesSent() {
        return bytesSent + links.stream().mapToLong(ShmemSocket::bytesSent).sum();
    }

    @Override
    public long bytesReceived() {
        return bytesReceived + links.stream().mapToLong(ShmemSocket::bytesReceived).sum();
    }

    @Override
    public long messagesSent() {
        return messagesSent + links.stream().mapToLong(ShmemSocket::messagesSent).sum();
    }

    @Override
    public long messagesReceived() {
        return messagesReceived + links.stream().mapToLong(ShmemSocket::messagesReceived).sum();
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
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        links.forEach(ShmemSocket::close);
        wake();
        calls.revoke();
        final long waitUntil = System.nanoTime() + CLOSE_WAIT_NANOS;
        final IdleStrategy idle = IdleStrategy.parking(CLOSE_POLL_NANOS);
        while (calls.inside() && System.nanoTime() - waitUntil < 0) {
            wake();
            idle.idle();
        }
        owner.closed(this);
        while (!pending.isEmpty()) {
            pending.poll().close();
        }
        // Read after the calls ended: one of them may have let go of the endpoint (its binder closed or died).
        final Endpoint current = endpoint;
        if (current == null) {
            return;
        }
        if (bound && (multiPeer() || type == SocketType.PUB)) {
            // Never linger for a peer that died: free its slot (and what was queued for it) first.
            try {
                freeDeadPeersNow(current);
            } catch (IllegalStateException | TransportClosedException e) {
                // the mapping or the factory went first
            }
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
            final boolean sendsInto = multiPeer() ? i % 2 == 1 : i != receiveIndex;
            if (sendsInto && ring.consumers() > 0 && ring.hasInput()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Waits up to the linger while attached receivers may take what this socket queued. A receiver that died still
     * counts as attached (a ring counts its consumers, it does not name them), so the wait also ends once no socket
     * of this factory is open and no other device of the session is alive: then nobody can take the queue, and the
     * close releases it at once instead of holding up its factory's close for the whole linger.
     */
    private void lingerWhileQueued(final Endpoint current) {
        final long until = System.nanoTime() + linger.toNanos();
        final IdleStrategy idle = IdleStrategy.parking(CLOSE_POLL_NANOS);
        for (int look = 0; queued(current) && System.nanoTime() - until < 0; look++) {
            if (look % LINGER_PEER_LOOKS == 0 && !owner.anyOpen() && !mappings.session().otherDeviceAlive()) {
                System.getLogger(ShmemSocket.class.getName()).log(System.Logger.Level.INFO, "socket id=" + id
                        + " stopped lingering at " + address + ": no socket of its factory is open and no"
                        + " other device of the session is alive to take what it queued");
                return;
            }
            idle.idle();
        }
    }

    /**
     * Releases every record of a ring nobody will consume (a binder's close, a dead peer's slot). A record that
     * holds the head without being taken (a consumer died between its claim and the head's CAS, a producer between
     * its claim and its publish) is waited out, at most {@link #DRAIN_NANOS}: its dead party's survivor reclaims what
     * it took, or the ring moves past it after its unblock time, and the records behind it are released too (giving
     * up at the first would leave their payloads in flight with nothing naming them).
     */
    private void drain(final SocketRing ring) {
        final ShmemMessage target = claimTarget;
        claimTarget = null; // a drained hand-over goes into a message of its own, closed at once
        draining = true;
        final long until = System.nanoTime() + DRAIN_NANOS;
        try {
            while (true) {
                final SocketRing.Entry entry = ring.poll(claim);
                if (entry != null) {
                    release(entry);
                } else if ((ring.blocked() || ring.hasInput()) && System.nanoTime() - until < 0) {
                    LockSupport.parkNanos(DRAIN_NAP_NANOS);
                } else {
                    return;
                }
            }
        } finally {
            claimTarget = target;
            draining = false;
        }
    }

    /** Lets go of a claimed message: released, or emptied when it is the caller's (a stale reply claimed into it). */
    private void drop(final ShmemMessage got) {
        if (got == claimTarget) {
            got.rebuild();
        } else {
            got.close();
        }
    }

    private void release(final SocketRing.Entry entry) {
        try {
            if (entry.inline() && claimed == null) {
                return; // dropped by a drain: the payload was the record, nothing to release
            }
            if (entry.handover() && entry.count() == 0) {
                takeClaimedUnit().forEach(ShmemMessage::close);
            } else if (entry.handover() || entry.inline()) {
                drop(takeClaimed());
            } else if (entry.count() == 1) {
                mappings.adopt(entry.meta()).close();
            } else {
                adoptUnit(entry.meta()).forEach(ShmemMessage::close);
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
