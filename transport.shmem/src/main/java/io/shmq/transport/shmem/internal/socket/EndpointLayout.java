package io.shmq.transport.shmem.internal.socket;

import io.shmq.transport.api.SocketType;
import io.shmq.transport.shmem.internal.os.FileHeaderLayout;
import io.shmq.transport.shmem.internal.ring.SocketRingLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * A socket endpoint ({@code shmq_<shmId>_ep_<hash of the address name>}): created by the binding socket, mapped by
 * the connecting ones, and holding the {@link SocketRingLayout rings} of one pattern. Native byte order.
 *
 * <pre>
 *  0   | magic u64 | version u32 (FileHeaderLayout) | pattern u32 | rings u32 | capacity u32 | binderPid u64 |
 *  32  | binderToken u64 | closed u32 (set when the binder closes) | peers u32 (req/rep slots held)              |
 *  48  | binder u32 (the binding socket's type: push 1, pull 2, pair 3, req 4, rep 5, pub 6, sub 7) | pad to 128 |
 *  128 | rings[rings], each SocketRingLayout.bytes(capacity)                                             |
 * </pre>
 * Rings by pattern: push/pull one when the push binds (it produces, pulls consume), N peer slots of one ring each
 * when the pull binds (ring k is what the connecting push holding slot k sends, claimed through its {@code owner};
 * pulls consume all of them); pair two (ring 0 carries what the
 * connecting side sends, ring 1 what the binding side sends); req/rep N peer slots (the binder's
 * {@code shmem.max-peers}, {@link #DEFAULT_PEERS} by default, at most {@link #MAX_PEERS}) of two rings
 * (ring 2k what connecting peer k sends, ring 2k+1 what the binder sends it; the slot is claimed through ring 2k's
 * {@code owner}), so a bound rep answers many reqs and a bound req asks many reps; pub/sub N rings
 * (one per subscriber, claimed through the ring's {@code owner}). Version 3: req/rep slots; 4: the peers word; 5: request numbers and
 * claimers in records; 6: hand-over records; 7: claim tags that name their lap, second in every record; 8: rings
 * of one producer by construction (a bound push's, pub's, pair's, req/rep's, and the slots of a bound pull) marked
 * {@code single} and run by the single-producer protocol; the binder's type; 9: a single producer publishes with a
 * release store and its ring's sleepers issue the global barrier ({@code Doorbell.fenceForWakers}); 10: records of 128
 * bytes, a message of up to 104 inside its record ({@code SocketRingLayout.INLINE_BYTES}); 11: a ring's waiter words
 * are armed flags that the ring that wakes clears ({@code Doorbell}).
 */
public final class EndpointLayout {
    /** "SHMQSOK1" as a little-endian long. */
    public static final long MAGIC = 0x314B4F53514D4853L;
    public static final int VERSION = 11;
    /**
     * Peer slots of a req/rep, pub or pull endpoint when the binder configures none ({@code shmem.max-peers}):
     * connecting req/rep peers (two rings each, its requests and its replies), subscribers or pushes (one ring each).
     */
    public static final int DEFAULT_PEERS = 16;
    /** The most peer slots: the {@code peers} word has a bit per req/rep slot. */
    public static final int MAX_PEERS = 32;
    /** The most rings of an endpoint. */
    static final int MAX_RINGS = 2 * MAX_PEERS;

    public static final StructLayout HEADER = MemoryLayout.structLayout(
            FileHeaderLayout.MAGIC,
            FileHeaderLayout.VERSION,
            ValueLayout.JAVA_INT.withName("pattern"),
            ValueLayout.JAVA_INT.withName("rings"),
            ValueLayout.JAVA_INT.withName("capacity"),
            ValueLayout.JAVA_LONG.withName("binderPid"),
            ValueLayout.JAVA_LONG.withName("binderToken"),
            ValueLayout.JAVA_INT.withName("closed"),
            ValueLayout.JAVA_INT.withName("peers"),
            ValueLayout.JAVA_INT.withName("binder"),
            MemoryLayout.paddingLayout(76));

    static final long RINGS_OFFSET = HEADER.byteSize();

    static final VarHandle PATTERN_H = HEADER.varHandle(groupElement("pattern"));
    static final VarHandle RINGS_H = HEADER.varHandle(groupElement("rings"));
    static final VarHandle CAPACITY_H = HEADER.varHandle(groupElement("capacity"));
    static final VarHandle BINDER_PID_H = HEADER.varHandle(groupElement("binderPid"));
    static final VarHandle BINDER_TOKEN_H = HEADER.varHandle(groupElement("binderToken"));
    static final VarHandle CLOSED_H = HEADER.varHandle(groupElement("closed"));
    /** Bit k set while req/rep slot k is held: the binder scans one word, not sixteen ring headers. */
    static final VarHandle PEERS_H = HEADER.varHandle(groupElement("peers"));
    /** The binding socket's type, {@link #binderCode} (0 in no valid file). */
    static final VarHandle BINDER_H = HEADER.varHandle(groupElement("binder"));

    private EndpointLayout() {
    }

    /** @return the {@code binder} word of a binding {@code type} socket */
    static int binderCode(final SocketType type) {
        return switch (type) {
            case PUSH -> 1;
            case PULL -> 2;
            case PAIR -> 3;
            case REQ -> 4;
            case REP -> 5;
            case PUB -> 6;
            case SUB -> 7;
        };
    }

    /** @return the file size of an endpoint with {@code rings} rings of {@code capacity} records */
    public static long bytes(final int rings, final int capacity) {
        return RINGS_OFFSET + rings * SocketRingLayout.bytes(capacity);
    }
}
