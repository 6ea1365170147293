package io.shmq.transport.shmem.internal.ring;

import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.shmem.internal.os.Native;
import io.shmq.transport.shmem.internal.os.ProcessIdentity;
import java.lang.foreign.MemorySegment;

import static io.shmq.transport.shmem.internal.ring.RingLayout.CLAIMER_H;
import static io.shmq.transport.shmem.internal.ring.RingLayout.HEAD_H;
import static io.shmq.transport.shmem.internal.ring.RingLayout.SEQUENCE_H;
import static io.shmq.transport.shmem.internal.ring.RingLayout.TAIL_H;

/**
 * The one ring protocol of the provider: a bounded multi-producer (or single-producer, below), multi-consumer queue
 * in shared memory, one sequence per record (Vyukov's protocol, on FFM {@code VarHandle}s). Subclasses differ only in
 * their record body ({@link #readBody}) and in what they signal after a publish or a release.
 *
 * <p>A record at position p is free for a producer when {@code sequence == p}: the producer CASes the tail from p
 * to p + 1 ({@link #tryClaim}), stakes the record with its claim tag (its lap and its process, see
 * {@link RingLayout}), writes the body with plain stores, and CASes {@code sequence} from p to p + 1
 * ({@link #publish}: release semantics; a CAS so that a record skipped as dead cannot be published late). A consumer
 * acquire-loads {@code sequence == p + 1}, copies the body, CASes the head from p to p + 1 and CASes
 * {@code sequence} from p + 1 to p + capacity ({@link #poll}: a CAS, because a producer may have freed the record of
 * a consumer that died between the two steps).
 *
 * <p>A stuck record is skipped in one place, after {@code unblockNanos} at the same position: a record claimed but
 * never published (its producer died between the steps) is skipped by a consumer, at once when its tag names this
 * lap and a process proven dead (asked once the record is stuck for 10 ms); a record consumed but never released
 * (its consumer died) is freed by a producer.
 *
 * <p>A skipped record is marked {@code ~p} and is not reused until its producer can no longer write into it: a
 * producer that was skipped while alive (it stalled) may still be writing its body, and a reused record would be
 * overwritten. The next lap's producer reuses it when its tag names the skipped lap and a dead process, or names
 * another lap (its producer had not staked it: staking is a CAS of the tag followed by a volatile read of the
 * sequence, so a producer that stakes after the skip sees {@code ~p} and writes nothing); otherwise the skipped
 * producer gives the record back itself when its publish fails. The record then stays out of use while that producer
 * lives and stalls, never longer.
 *
 * <p>A consumer may ask a {@link Claim} about each published record before it moves the head ({@link #poll(Claim)}):
 * the body is read, the head checked unchanged (so the body is not torn), then the claim takes what the record hands
 * over elsewhere (the socket ring's payload, by its holder word) and the consumer that took it moves the head. A
 * consumer that finds the record taken by another waits for that one's head CAS, and moves the head past it itself
 * only when nobody will take it, or after the unblock time. The object is not thread-safe (its stall bookkeeping is per
 * view); the shared ring is safe for any number of threads and processes.
 *
 * <p><b>Single producer.</b> A ring formatted for one producer by construction (a socket endpoint's ring that only
 * its binder, or only the peer that holds its slot, writes) runs a leaner protocol whose producer does no atomic
 * read-modify-write and reads no line a consumer writes per message: its view keeps the next position itself, finds
 * room by the head (reread only when the head it saw says full), writes the body with plain stores and publishes by
 * one release store of {@code sequence = p + 1} (the doorbell that wakes a sleeping consumer reads its armed word
 * next; the store buffer may let that load pass the store, so a sleeper issues the global barrier of {@code
 * membarrier(2)} between arming and checking, and the publish is a volatile store in a process that cannot
 * register for it). Consumers take as above (the head's CAS decides among several) and
 * do not release the record: its room is the head, so {@code sequence} stays {@code p + 1} until the next lap's
 * publish. The tail is not used. Nothing is claimed before it is published, so nothing is ever skipped: a producer
 * that dies mid-write leaves the record unpublished, and the next producer view finds its position by reading the
 * published records from the head on ({@link #hasRoom}, the first claim). One producer at a time is the caller's
 * guarantee (the endpoint refuses a second one); a view is only ever used by the thread that owns its socket.
 *
 * @param <T> the record body a consumer copies out
 */
public abstract class SequencedRing<T> {
    private static final System.Logger LOG = System.getLogger(SequencedRing.class.getName());

    /** The mapping holding the ring. */
    protected final MemorySegment memory;
    private final long cursors;
    private final long records;
    private final long recordBytes;
    private final int capacity;
    private final long mask;
    private final long unblockNanos;
    /** How long a record must be stuck before its claimer's life is asked, and how often it is asked again. */
    static final long CLAIMER_CHECK_NANOS = 10_000_000L;
    /** How often a consumer rereads a head record another consumer took before it gives up for now. */
    private static final int BUSY_SPINS = 1_000;
    /** The claim tag's fields (see {@link RingLayout}). */
    private static final int LAP_SHIFT = 48;
    private static final int PID_SHIFT = 26;
    private static final long PID_MASK = (1L << 22) - 1;
    private static final long TOKEN_MASK = (1L << PID_SHIFT) - 1;
    /** This process in a claim tag; pid 0 (a pid beyond 22 bits) is never proven dead. */
    private static final long IDENTITY = identity(ProcessIdentity.PID, ProcessIdentity.TOKEN);
    private final int lapShift;
    private long stalledPosition = -1;
    private long lastClaimerCheck;
    private long lastReuseCheck = Long.MIN_VALUE / 2;
    private long stalledSince;
    private long skipped;
    private long dropped;
    private boolean blocked;
    /** Whether the ring runs the single-producer protocol (see the class comment). */
    private final boolean single;
    /** Single producer: this view's next position, -1 until it is found from the published records. */
    private long produced = -1;
    /** Single producer: the head as last read; reread only when it says the ring is full. */
    private long headSeen;

    /**
     * @param memory       the mapping
     * @param cursors      offset of the ring's {@link RingLayout#CURSORS} in {@code memory}
     * @param records      offset of record 0 in {@code memory}
     * @param recordBytes  bytes per record
     * @param capacity     records, read from shared memory: checked here before it is trusted
     * @param unblockNanos how long a stuck record may hold the ring before it is skipped
     * @param single       whether the ring was formatted for the single-producer protocol (every view of it must
     *                     say the same: it is read from the ring's shared header)
     * @param what         names the ring in errors
     * @throws SharedMemoryException when {@code capacity} is not a power of two or the records do not fit
     */
    protected SequencedRing(final MemorySegment memory, final long cursors, final long records, final long recordBytes,
                            final int capacity, final long unblockNanos, final boolean single, final String what) {
        checkCapacity(capacity, records, recordBytes, memory.byteSize(), what);
        this.memory = memory;
        this.cursors = cursors;
        this.records = records;
        this.recordBytes = recordBytes;
        this.capacity = capacity;
        this.mask = capacity - 1L;
        this.lapShift = Integer.numberOfTrailingZeros(capacity);
        this.unblockNanos = unblockNanos;
        this.single = single;
    }

    /** @return whether the ring runs the single-producer protocol */
    public final boolean single() {
        return single;
    }

    /** @return the identity bits of a claim tag for process {@code pid} of start token {@code token} */
    static long identity(final long pid, final long token) {
        if (pid <= 0 || pid > PID_MASK) {
            return TOKEN_MASK; // unknown: not zero, never proven dead
        }
        return pid << PID_SHIFT | token & TOKEN_MASK;
    }

    /** @return the claim tag of process {@code identity} for {@code position} (never 0) */
    final long tag(final long position, final long identity) {
        return lap(position) << LAP_SHIFT | identity;
    }

    private long lap(final long position) {
        return position >>> lapShift & 0xFFFFL;
    }

    /** @return whether {@code tag} names the lap of {@code position} and a process proven dead */
    private boolean deadClaimer(final long tag, final long position) {
        if (tag == 0 || tag >>> LAP_SHIFT != lap(position)) {
            return false;
        }
        final long pid = tag >>> PID_SHIFT & PID_MASK;
        return pid != 0 && !ProcessIdentity.alive(pid, tag & TOKEN_MASK, TOKEN_MASK);
    }

    /**
     * Agrona's {@code checkCapacity}: a capacity read from another process is trusted only when it is a power of two
     * and its records lie inside the mapping.
     */
    static void checkCapacity(final int capacity, final long records, final long recordBytes, final long available,
                              final String what) {
        if (capacity < 2 || Integer.bitCount(capacity) != 1) {
            throw new SharedMemoryException("ring capacity must be a power of two of at least 2: capacity=" + capacity
                    + " in " + what);
        }
        final long needed = records + capacity * recordBytes;
        if (needed > available) {
            throw new SharedMemoryException("insufficient ring memory: needed=" + needed + ", available=" + available
                    + ", capacity=" + capacity + " in " + what);
        }
    }

    /** Writes the sequences of a fresh ring (record i holds sequence i); the rest of the memory is zero. */
    static void formatSequences(final MemorySegment memory, final long records, final long recordBytes,
                                final int capacity) {
        for (long i = 0; i < capacity; i++) {
            SEQUENCE_H.set(memory, records + i * recordBytes, i);
        }
    }

    /**
     * @return how many records claimed and never published this view has skipped, not counting those of a producer
     * seen alive (its publish fails and it sends again)
     */
    public final long skipped() {
        return skipped;
    }

    /** @return records the ring holds */
    public final int capacity() {
        return capacity;
    }

    /** @return the offset in {@link #memory} of the record at {@code position} */
    protected final long record(final long position) {
        return records + (position & mask) * recordBytes;
    }

    /**
     * @return whether a record has been claimed beyond the head (volatile loads); with a single producer, whether
     * the head record is published (nothing is claimed before it is)
     */
    public final boolean hasInput() {
        if (single) {
            return hasPublished();
        }
        return (long) TAIL_H.getVolatile(memory, cursors) > (long) HEAD_H.getVolatile(memory, cursors);
    }

    /** @return whether the record at the head is published (a consumer that waits for it sleeps until then) */
    public final boolean hasPublished() {
        final long head = (long) HEAD_H.getVolatile(memory, cursors);
        return (long) SEQUENCE_H.getAcquire(memory, record(head)) == head + 1;
    }

    /**
     * @return whether a producer could claim a record now (volatile loads): false too while the next record is a
     * skipped one whose producer may still write it
     */
    public final boolean hasRoom() {
        if (single) {
            return claimSingle() >= 0;
        }
        final long tail = (long) TAIL_H.getVolatile(memory, cursors);
        return tail - (long) HEAD_H.getVolatile(memory, cursors) < capacity
                && (long) SEQUENCE_H.getVolatile(memory, record(tail)) >= 0;
    }

    /**
     * Claims the next record (CAS of the tail, then the stake of its claim tag); frees, after the unblock time, a
     * record of the previous lap whose consumer took it and never released it; reuses a skipped record of the
     * previous lap once its producer cannot write it any more.
     *
     * @return its position, or -1 when the ring is full
     */
    public final long tryClaim() {
        return tryClaim(true);
    }

    /**
     * {@link #tryClaim()}, looking at a full ring's oldest record for a consumer or a producer that stalled on it
     * only when {@code lookForStalls}: a producer that spins on a full ring passes false, so that its looks read
     * neither the head, whose line the consumer's next take needs, nor the clock.
     */
    public final long tryClaim(final boolean lookForStalls) {
        if (single) {
            return claimSingle();
        }
        while (true) {
            final long position = (long) TAIL_H.getVolatile(memory, cursors);
            final long record = record(position);
            final long sequence = (long) SEQUENCE_H.getAcquire(memory, record);
            if (sequence == position) {
                if (TAIL_H.compareAndSet(memory, cursors, position, position + 1)) {
                    if (stake(record, position)) {
                        return position;
                    }
                    // Skipped before this claim's tag was seen: nothing was written, the record was given back.
                }
            } else if (sequence < position) {
                if (!lookForStalls) {
                    return -1; // full, as far as a spinning producer needs to know
                }
                final long previous = position - capacity;
                if (sequence == previous + 1
                        && (long) HEAD_H.getVolatile(memory, cursors) > previous
                        && stalled(position) && SEQUENCE_H.compareAndSet(memory, record, sequence, position)) {
                    LOG.log(System.Logger.Level.WARNING, "released a ring record consumed but never released"
                            + " (consumer died?): position=" + previous);
                    continue;
                }
                if (previous >= 0 && sequence == ~previous && reusable(record, previous)
                        && SEQUENCE_H.compareAndSet(memory, record, sequence, position)) {
                    LOG.log(System.Logger.Level.INFO, "reused a skipped ring record whose producer cannot write"
                            + " it any more: position=" + previous);
                    continue;
                }
                return -1;
            }
            // sequence > position: another producer claimed it; reload the tail
        }
    }

    /**
     * The single producer's claim: its next position when the head leaves room for it (the head is reread only when
     * the last one seen says full), nothing written.
     */
    private long claimSingle() {
        final long position = produced >= 0 ? produced : resume();
        if (position - headSeen >= capacity) {
            headSeen = (long) HEAD_H.getVolatile(memory, cursors);
            if (position - headSeen >= capacity) {
                return -1;
            }
        }
        return position;
    }

    /**
     * Finds the single producer's next position: the first record from the head on that is not published for its
     * position (published records are contiguous: one producer publishes in order, and consumers do not release
     * them, so a record taken behind a head read here still shows its publish). A producer that died mid-write left
     * its record unpublished; this view writes it again.
     */
    private long resume() {
        long position = (long) HEAD_H.getVolatile(memory, cursors);
        final long end = position + capacity;
        while (position < end && (long) SEQUENCE_H.getAcquire(memory, record(position)) == position + 1) {
            position++;
        }
        produced = position;
        return position;
    }

    /**
     * Writes this process's claim tag into the record just claimed at {@code position}, then checks that the
     * record was not skipped meanwhile: a consumer that skips it afterwards sees the tag (both are volatile
     * accesses), and one that skipped it before is seen here.
     *
     * @return true when the record is this producer's to write; false when it was skipped (it is given back to the
     * next lap here, or was already reused): the caller writes nothing into it
     */
    final boolean stake(final long record, final long position) {
        final long tag = tag(position, IDENTITY);
        while (true) {
            final long held = (long) CLAIMER_H.getVolatile(memory, record);
            if (held != 0 && (short) ((held >>> LAP_SHIFT) - lap(position)) > 0) {
                return false; // a later lap's producer staked it: this claim was skipped and the record reused
            }
            if (CLAIMER_H.compareAndSet(memory, record, held, tag)) {
                break;
            }
        }
        final long sequence = (long) SEQUENCE_H.getVolatile(memory, record);
        if (sequence == position) {
            return true;
        }
        if (sequence == ~position && SEQUENCE_H.compareAndSet(memory, record, sequence, position + capacity)) {
            afterRelease();
        }
        return false;
    }

    /**
     * @return whether the record skipped at {@code position} can be given to the next lap: its producer never staked
     * it (then it writes nothing) or is proven dead; asked at most every {@link #CLAIMER_CHECK_NANOS} (it reads
     * /proc)
     */
    private boolean reusable(final long record, final long position) {
        final long held = (long) CLAIMER_H.getVolatile(memory, record);
        if (held == 0 || held >>> LAP_SHIFT != lap(position)) {
            return true;
        }
        final long now = System.nanoTime();
        if (now - lastReuseCheck < CLAIMER_CHECK_NANOS) {
            return false;
        }
        lastReuseCheck = now;
        return deadClaimer(held, position);
    }

    /**
     * Publishes a claimed record whose body was written (CAS of its sequence, release semantics), then
     * {@link #afterPublish}.
     *
     * @return false when a consumer skipped the record as dead because this thread stalled for longer than the
     * unblock time: the body was not delivered, and the record goes to the next lap now that this thread no longer
     * writes it; the caller may send again
     */
    public final boolean publish(final long position) {
        final long record = record(position);
        if (single) {
            // A sleeping consumer is woken by afterPublish only if this publish is visible before the armed word
            // is read there. A release store followed by that load may be reordered by the store buffer; where every
            // sleeper issues the global barrier between its arming and its check (Doorbell.fenceForWakers),
            // one of the two sides sees the other all the same, and the publish costs no fence. Else a volatile one.
            if (Native.globalBarrierReady()) {
                SEQUENCE_H.setRelease(memory, record, position + 1);
            } else {
                SEQUENCE_H.setVolatile(memory, record, position + 1);
            }
            produced = position + 1;
            afterPublish();
            return true;
        }
        final boolean published = SEQUENCE_H.compareAndSet(memory, record, position, position + 1);
        if (!published && SEQUENCE_H.compareAndSet(memory, record, ~position, position + capacity)) {
            afterRelease();
        }
        afterPublish();
        return published;
    }

    /**
     * Takes the next record: copies the body ({@link #readBody}), CASes the head, then CASes the sequence for the
     * next lap and {@link #afterRelease}. Skips, after the unblock time, a record claimed and never published.
     *
     * @return the body, or null when the ring is empty
     */
    public final T poll() {
        return poll(null);
    }

    /**
     * What a consumer decides about a published record before it moves the head ({@link #poll(Claim)}): a record
     * that hands a payload over is taken by a CAS elsewhere (the payload's holder word), so that the consumer owns it
     * before the ring forgets the record, and a survivor can tell taken from not taken.
     *
     * @param <T> the record body
     */
    public interface Claim<T> {
        /** The record is an ordinary one: the head's CAS decides who takes it. */
        int ORDINARY = 0;
        /**
         * This consumer took the payload: it moves the head, and keeps the payload even when another consumer moved
         * the head past the record meanwhile (after the unblock time).
         */
        int TAKEN = 1;
        /**
         * Another consumer took it and moves the head soon: nothing to take now (after the unblock time at the same
         * position the head is moved past it: its taker died between the two CASes, or the record is forged).
         */
        int BUSY = 2;
        /** Nobody will take it (a survivor reclaimed its payload): this consumer moves the head past it. */
        int DEAD = 3;
        /**
         * This consumer copied what the record carries: the head's CAS decides whether the copy is the record's (won:
         * poll returns the body) or another consumer's took it ({@link #lost}, then the next record).
         */
        int COPIED = 4;
        /** This consumer cannot take the record now (no room for its copy): it stays at the head; poll returns null. */
        int NO_ROOM = 5;

        /**
         * @param body a body read while the record was at the head (checked after the read)
         * @return {@link #ORDINARY}, {@link #TAKEN}, {@link #BUSY}, {@link #DEAD}, {@link #COPIED} or {@link
         * #NO_ROOM}; a {@link SharedMemoryException} (a corrupt or hostile record) is thrown to the caller after the
         * head moved past the record, any other exception (the consumer closed) with the record left where it is
         */
        int claim(T body);

        /** A {@link #COPIED} record went to another consumer (the head moved first): forget the copy. */
        default void lost(final T body) {
        }
    }

    /**
     * {@link #poll()} with a {@link Claim} asked about each published record at the head before the head moves.
     *
     * @param claim null for none (every record ordinary)
     * @return the body, or null when the ring is empty or its head record is {@link Claim#BUSY}
     */
    public final T poll(final Claim<T> claim) {
        return poll(claim, true);
    }

    /**
     * {@link #poll(Claim)}, looking for a stalled claim at the head only when {@code lookForStalls}: a consumer that
     * spins on the head while its producer writes the record there passes false, so that its looks read neither the
     * clock nor the tail, whose line the producer's next claim needs back. The unblock time of a claim that never
     * gets published then starts when the consumer stops spinning, microseconds later.
     */
    public final T poll(final Claim<T> claim, final boolean lookForStalls) {
        blocked = false;
        int busySpins = 0;
        while (true) {
            final long position = (long) HEAD_H.getVolatile(memory, cursors);
            final long record = record(position);
            final long sequence = (long) SEQUENCE_H.getAcquire(memory, record);
            if (sequence == position + 1) {
                final T body = readBody(record);
                if (claim != null && body != null) {
                    java.lang.invoke.VarHandle.loadLoadFence();
                    if ((long) HEAD_H.getVolatile(memory, cursors) != position) {
                        continue; // the record went on while it was read: the body may be torn
                    }
                    final int decision;
                    try {
                        decision = claim.claim(body);
                    } catch (SharedMemoryException e) {
                        advance(position, record); // a record naming no payload: nobody can take it
                        throw e;
                    }
                    switch (decision) {
                        case Claim.TAKEN -> {
                            if (!advance(position, record)) {
                                // Only a consumer that saw this one's claim stall for the unblock time moves the
                                // head past a taken record (the body was read while the head held it, so it is
                                // this record's): the payload is this consumer's all the same, so it keeps it.
                                LOG.log(System.Logger.Level.INFO, "kept a payload taken from a ring record that"
                                        + " another consumer moved past meanwhile: position=" + position);
                            }
                            return body;
                        }
                        case Claim.BUSY -> {
                            // The winner moves the head within nanoseconds: wait for it here, on equal terms for
                            // the next record; give up (the caller naps) only when it does not (it died doing so).
                            if (++busySpins < BUSY_SPINS) {
                                Thread.onSpinWait();
                                continue;
                            }
                            if (stalled(position)) {
                                // Nobody moved it for the unblock time: its taker died before the head's CAS (a
                                // survivor releases the payload it took) or the record is forged. Never wait more.
                                if (advance(position, record)) {
                                    LOG.log(System.Logger.Level.WARNING, "moved past a ring record whose payload"
                                            + " another consumer took without moving the head: position="
                                            + position);
                                }
                                continue;
                            }
                            blocked = true;
                            return null;
                        }
                        case Claim.COPIED -> {
                            if (advance(position, record)) {
                                return body;
                            }
                            claim.lost(body);
                            continue;
                        }
                        case Claim.NO_ROOM -> {
                            blocked = true;
                            return null;
                        }
                        case Claim.DEAD -> {
                            if (advance(position, record)) {
                                dropped++;
                                LOG.log(System.Logger.Level.INFO, "dropped a ring record whose payload a survivor"
                                        + " reclaimed (its producer died): position=" + position);
                            }
                            continue;
                        }
                        default -> {
                            // ordinary: the head's CAS below decides
                        }
                    }
                }
                if (advance(position, record)) {
                    if (body == null) {
                        LOG.log(System.Logger.Level.WARNING, "dropped a corrupt ring record: position=" + position);
                        continue;
                    }
                    return body;
                }
            } else if (sequence == position) {
                // Empty, or claimed by a producer that has not published (yet, or ever: it died).
                if (!single && lookForStalls && (long) TAIL_H.getVolatile(memory, cursors) > position
                        && (stalled(position) || claimerProvenDead(record, position))
                        && SEQUENCE_H.compareAndSet(memory, record, position, ~position)) {
                    HEAD_H.compareAndSet(memory, cursors, position, position + 1);
                    afterRelease();
                    final long tag = (long) CLAIMER_H.getVolatile(memory, record);
                    if (tag != 0 && tag >>> LAP_SHIFT == lap(position) && !deadClaimer(tag, position)) {
                        LOG.log(System.Logger.Level.WARNING, "skipped a ring record its live producer has stalled"
                                + " on for the unblock time (it sends again): position=" + position);
                    } else {
                        skipped++;
                        LOG.log(System.Logger.Level.WARNING, "skipped a ring record claimed but never published"
                                + " (producer died?): position=" + position);
                    }
                    continue;
                }
                return null;
            } else if (sequence == ~position) {
                // Skipped by a consumer that has not moved the head yet (or died doing so): move it.
                HEAD_H.compareAndSet(memory, cursors, position, position + 1);
            } else if (sequence < position) {
                return null;
            } else if (sequence >= position + capacity) {
                // Done with and given to the next lap, the head not moved yet (a skipper moves it after its CAS,
                // and may have died in between): move it.
                HEAD_H.compareAndSet(memory, cursors, position, position + 1);
            }
            // otherwise another consumer took it; reload the head
        }
    }

    /** Moves the head past the published record at {@code position}; @return whether this call moved it */
    private boolean advance(final long position, final long record) {
        if (!HEAD_H.compareAndSet(memory, cursors, position, position + 1)) {
            return false;
        }
        if (!single) {
            SEQUENCE_H.compareAndSet(memory, record, position + 1, position + capacity);
        }
        afterRelease();
        return true;
    }

    /**
     * @return whether the last {@link #poll(Claim)} found its head record {@link Claim#BUSY} (another consumer took
     * its payload and has not moved the head yet) or {@link Claim#NO_ROOM} (no room for this consumer's copy): a
     * waiter then sleeps briefly instead of on the ring's futex, whose condition already holds
     */
    public final boolean blocked() {
        return blocked;
    }

    /** @return how many records whose payload was reclaimed this view dropped */
    public final long dropped() {
        return dropped;
    }

    /**
     * Copies the body of the record at {@code record} (plain loads, after the acquire of its sequence).
     *
     * @return the body, or null when it is corrupt (torn by a racing consumer and the next lap's producer, or
     * written wrong): the record is then dropped if this consumer wins the head
     */
    protected abstract T readBody(long record);

    /** Asked of a record stuck for at least {@link #CLAIMER_CHECK_NANOS}, at most that often (it reads /proc). */
    private boolean claimerProvenDead(final long record, final long position) {
        final long now = System.nanoTime();
        if (stalledPosition != position || now - stalledSince < CLAIMER_CHECK_NANOS
                || now - lastClaimerCheck < CLAIMER_CHECK_NANOS) {
            return false;
        }
        lastClaimerCheck = now;
        return deadClaimer((long) CLAIMER_H.getVolatile(memory, record), position);
    }

    /** Called after every publish (waking sleeping consumers, for instance). */
    protected void afterPublish() {
    }

    /** Called after every record released for the next lap (waking sleeping producers, for instance). */
    protected void afterRelease() {
    }

    private boolean stalled(final long position) {
        final long now = System.nanoTime();
        if (stalledPosition != position) {
            stalledPosition = position;
            stalledSince = now;
            return false;
        }
        return now - stalledSince >= unblockNanos;
    }
}
