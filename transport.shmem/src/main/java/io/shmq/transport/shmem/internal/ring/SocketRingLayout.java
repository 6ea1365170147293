package io.shmq.transport.shmem.internal.ring;

import io.shmq.transport.api.MetaHeaderLayout;
import io.shmq.transport.shmem.internal.os.PairWord;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * One message ring of a socket endpoint: a {@link SequencedRing} of {@link io.shmq.transport.api.MetaHeader}s, with
 * two futex words on which blocked consumers and producers sleep. Native byte order for the ring's own words; the
 * header in each record is {@link MetaHeaderLayout} (little-endian, FairMQ's bytes). The payloads never enter the
 * ring: only their headers.
 *
 * <pre>
 *  0     | capacity u32 | producers u32 | consumers u32 (both attached) | owner u32 (peer slot) | parkers u32 |
 *        |   (sockets attached without futex: waiters then sleep 1 ms at a time)                               |
 *  20    | single u32 (1: one producer by construction, SequencedRing's single-producer protocol) | pad to 128 |
 *  128   | cursors (RingLayout): tail u64 | pad to 256 | head u64 | pad to 384                               |
 *  384   | notEmpty u32 (futex) | emptyWaiters u32 (armed: 1 from a sleeper's arming to the next ring)   | pad to 512 |
 *  512   | notFull u32 (futex)  | fullWaiters u32 (armed, as emptyWaiters: see Doorbell)                | pad to 640 |
 *  640   | topicSeq u32 (seqlock: odd while the subscriber writes) | topicCount u32                               |
 *  648   | topics[16] { length u32, pad u32, prefix u8[48] }  56 B each (a sub ring's subscriptions)  | pad to 1664 |
 *  1664  | records[capacity] { sequence u64, claimer u64 (RingLayout's claim tag), kind u32, correlation u32,   |
 *        |   body: header (MetaHeaderLayout, 40 B) | or inline u8[104] }   128 B each (two cache lines)         |
 * </pre>
 * {@code kind}: bit 0 is 1 for a single message, 0 for "the header is a multipart descriptor block" (the socket
 * mapping package's {@code MultipartLayout}); bit 1 marks a hand-over record, whose single managed block a consumer takes by
 * one CAS of the block's holder word ({@code Holder}) from the in-flight id whose nonce bits 2-31 carry (30 bits);
 * bit 2 without bit 1 marks an inline record: a single message of at most {@link #INLINE_BYTES} bytes whose payload is
 * the body itself (bits 8-15 its size), copied out by the consumer (no block travels). {@code correlation} is a req's request number, echoed by the rep in its reply
 * (a req drops a reply to a request it gave up on), 0 for every other socket type. {@code claimer} is written right
 * after the claim and names its lap, so that a consumer waiting on an unpublished record can tell a dead producer
 * (skipped at once) from a live one (kept for the unblock time), and a skipped record is reused only when its
 * producer cannot write it any more (see {@link SequencedRing}). The record protocol is {@link SequencedRing}'s. The topics of a subscriber's
 * ring are written by the subscriber only, under its seqlock, and read by publishers.
 */
public final class SocketRingLayout {
    /** The most topic prefixes one subscriber holds. */
    public static final int MAX_TOPICS = 16;
    /** The longest prefix, the API's {@code Socket.MAX_TOPIC_BYTES}. */
    public static final int TOPIC_BYTES = 48;

    public static final StructLayout TOPIC = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("length"),
            MemoryLayout.paddingLayout(4),
            MemoryLayout.sequenceLayout(TOPIC_BYTES, ValueLayout.JAVA_BYTE).withName("prefix"));

    public static final StructLayout HEADER = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("capacity"),
            ValueLayout.JAVA_INT.withName("producers"),
            ValueLayout.JAVA_INT.withName("consumers"),
            ValueLayout.JAVA_INT.withName("owner"),
            ValueLayout.JAVA_INT.withName("parkers"),
            ValueLayout.JAVA_INT.withName("single"),
            MemoryLayout.paddingLayout(104),
            RingLayout.CURSORS.withName("cursors"),
            ValueLayout.JAVA_INT.withName("notEmpty"),
            ValueLayout.JAVA_INT.withName("emptyWaiters"),
            MemoryLayout.paddingLayout(120),
            ValueLayout.JAVA_INT.withName("notFull"),
            ValueLayout.JAVA_INT.withName("fullWaiters"),
            MemoryLayout.paddingLayout(120),
            ValueLayout.JAVA_INT.withName("topicSeq"),
            ValueLayout.JAVA_INT.withName("topicCount"),
            MemoryLayout.sequenceLayout(MAX_TOPICS, TOPIC).withName("topics"),
            MemoryLayout.paddingLayout(120));

    /** The most payload bytes an inline record carries (the body: a record of two cache lines less its words). */
    public static final int INLINE_BYTES = 104;

    public static final StructLayout RECORD = MemoryLayout.structLayout(
            RingLayout.SEQUENCE,
            RingLayout.CLAIMER,
            ValueLayout.JAVA_INT.withName("kind"),
            ValueLayout.JAVA_INT.withName("correlation"),
            MemoryLayout.unionLayout(
                    MetaHeaderLayout.LAYOUT.withName("header"),
                    MemoryLayout.sequenceLayout(INLINE_BYTES, ValueLayout.JAVA_BYTE).withName("inline"))
                    .withName("body"));

    static final long CURSORS_OFFSET = RingLayout.checkShape(HEADER, RECORD);
    static final long RECORDS_OFFSET = HEADER.byteSize();
    static final long RECORD_BYTES = RECORD.byteSize();
    static final long HEADER_IN_RECORD = RECORD.byteOffset(groupElement("body"), groupElement("header"));
    static final long INLINE_IN_RECORD = RECORD.byteOffset(groupElement("body"), groupElement("inline"));
    static final long NOT_EMPTY_OFFSET = HEADER.byteOffset(groupElement("notEmpty"));
    static final long NOT_FULL_OFFSET = HEADER.byteOffset(groupElement("notFull"));
    static final long EMPTY_WAITERS_OFFSET = HEADER.byteOffset(groupElement("emptyWaiters"));
    static final long FULL_WAITERS_OFFSET = HEADER.byteOffset(groupElement("fullWaiters"));
    static final long TOPICS_OFFSET = HEADER.byteOffset(groupElement("topics"));
    static final long PREFIX_IN_TOPIC = TOPIC.byteOffset(groupElement("prefix"));

    /** All (segment, ringBase). */
    static final VarHandle CAPACITY_H = HEADER.varHandle(groupElement("capacity"));
    static final VarHandle PRODUCERS_H = HEADER.varHandle(groupElement("producers"));
    static final VarHandle CONSUMERS_H = HEADER.varHandle(groupElement("consumers"));
    static final VarHandle OWNER_H = HEADER.varHandle(groupElement("owner"));
    static final VarHandle PARKERS_H = HEADER.varHandle(groupElement("parkers"));
    static final VarHandle SINGLE_H = HEADER.varHandle(groupElement("single"));
    static final VarHandle TOPIC_SEQ_H = HEADER.varHandle(groupElement("topicSeq"));
    static final VarHandle TOPIC_COUNT_H = HEADER.varHandle(groupElement("topicCount"));
    /** (segment, TOPICS_OFFSET + ringBase, index). */
    static final VarHandle TOPIC_LENGTH_H = TOPIC.arrayElementVarHandle(groupElement("length"));
    /**
     * {@code kind} and {@code correlation} as one native-order 8-byte word at {@link #KIND_CORRELATION_OFFSET} of a
     * record (segment, recordOffset + offset): a record's body is written and read in five more such stores and
     * loads (four header words and {@link #META_IDS_H}), not nine field by field. Split by {@link #kindOf} and
     * {@link #correlationOf}, made by {@link #kindCorrelation}.
     */
    static final VarHandle KIND_CORRELATION_H = ValueLayout.JAVA_LONG.varHandle();
    public static final long KIND_CORRELATION_OFFSET = PairWord.offset(RECORD, "kind", "correlation");
    /** The header's {@code size}, {@code hint}, {@code handle}, {@code shared} (segment, recordOffset). */
    static final VarHandle META_SIZE_H = header("size");
    static final VarHandle META_HINT_H = header("hint");
    static final VarHandle META_HANDLE_H = header("handle");
    static final VarHandle META_SHARED_H = header("shared");
    /**
     * The header's last 8 bytes as one little-endian word at {@link #META_IDS_OFFSET} of a record (segment,
     * recordOffset + offset): {@code regionId} bits 0-15, {@code segmentId} 16-31, {@code managed} 32-39, the
     * padding (written 0) above. Made by {@link #ids}.
     */
    static final VarHandle META_IDS_H = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    public static final long META_IDS_OFFSET = idsOffset();

    private SocketRingLayout() {
    }

    /** @return the word of {@link #KIND_CORRELATION_H} */
    static long kindCorrelation(final int kind, final int correlation) {
        return PairWord.of(kind, correlation);
    }

    static int kindOf(final long word) {
        return PairWord.first(word);
    }

    static int correlationOf(final long word) {
        return PairWord.second(word);
    }

    /** @return the word of {@link #META_IDS_H}: the two u16 ids and {@code managed} (0 or 1) */
    static long ids(final int regionId, final int segmentId, final boolean managed) {
        return (regionId & 0xFFFFL) | (segmentId & 0xFFFFL) << 16 | (managed ? 1L : 0L) << 32;
    }

    static int regionIdOf(final long ids) {
        return (int) (ids & 0xFFFF);
    }

    static int segmentIdOf(final long ids) {
        return (int) (ids >>> 16 & 0xFFFF);
    }

    /** @return the {@code managed} byte of an ids word (0 or 1 in a valid header) */
    static int managedOf(final long ids) {
        return (int) (ids >>> 32 & 0xFF);
    }

    private static VarHandle header(final String field) {
        return RECORD.varHandle(groupElement("body"), groupElement("header"), groupElement(field));
    }

    /** @return the offset in a record of the header's regionId, segmentId, managed and padding: its last 8 bytes */
    private static long idsOffset() {
        final long offset = HEADER_IN_RECORD + MetaHeaderLayout.REGION_ID_OFFSET;
        if (offset % 8 != 0 || MetaHeaderLayout.SEGMENT_ID_OFFSET != MetaHeaderLayout.REGION_ID_OFFSET + 2
                || MetaHeaderLayout.MANAGED_OFFSET != MetaHeaderLayout.REGION_ID_OFFSET + 4
                || MetaHeaderLayout.BYTES != MetaHeaderLayout.REGION_ID_OFFSET + 8) {
            throw new ExceptionInInitializerError("the header's ids are no aligned 8-byte word of the record");
        }
        return offset;
    }

    /** @return the bytes of a ring of {@code capacity} records */
    public static long bytes(final int capacity) {
        return RECORDS_OFFSET + capacity * RECORD_BYTES;
    }
}
