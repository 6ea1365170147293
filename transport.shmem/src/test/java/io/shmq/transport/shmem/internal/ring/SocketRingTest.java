package io.shmq.transport.shmem.internal.ring;

import io.shmq.transport.api.MetaHeader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ring protocol in one process: order, full, and records of a producer that never publishes. */
class SocketRingTest {
    private static SocketRing ring(final Arena arena, final int capacity) {
        final MemorySegment memory = arena.allocate(SocketRingLayout.bytes(capacity), 128);
        SocketRing.format(memory, 0, capacity);
        return new SocketRing(memory, 0, "test ring");
    }

    /** @return the claim-tag identity of a process that ran and is gone */
    private static long deadIdentity() throws Exception {
        final Process gone = new ProcessBuilder("true").start();
        assertTrue(gone.waitFor(10, java.util.concurrent.TimeUnit.SECONDS));
        return SequencedRing.identity(gone.pid(), 0);
    }

    /** Claims, writes and publishes one record naming {@code handle}. */
    static void offer(final SocketRing ring, final long handle) {
        final long position = ring.tryClaim();
        assertTrue(position >= 0, "room for handle=" + handle);
        ring.write(position, 1, 0, MetaHeader.managed(8, handle, 0));
        assertTrue(ring.publish(position));
    }

    @Test
    void aRecordIsWrittenAndReadInWideWordsThatAreItsFieldsBytes() {
        // The body goes in six 8-byte words; the bytes must be the layout's: kind and correlation as native ints at
        // 16 and 20, the header as MetaHeaderLayout's little-endian fields at 24, its padding zero.
        try (Arena arena = Arena.ofConfined()) {
            final SocketRing ring = ring(arena, 4);
            final MetaHeader meta = new MetaHeader(0x1122334455L, 0x66778899AAL, 0x1000L, 0x2000L, 0xBEEF, 0xCAFE,
                    false);
            final long record = SocketRingLayout.RECORDS_OFFSET;
            final long body = SocketRingLayout.RECORD.byteOffset(MemoryLayout.PathElement.groupElement("kind"));
            ring.memory.asSlice(record + body, SocketRingLayout.RECORD_BYTES - body).fill((byte) 0x5A);
            final long position = ring.tryClaim();
            ring.write(position, 1, 0x7654321, meta);
            assertEquals(1, ring.memory.get(java.lang.foreign.ValueLayout.JAVA_INT, record + 16));
            assertEquals(0x7654321, ring.memory.get(java.lang.foreign.ValueLayout.JAVA_INT, record + 20));
            final long header = record + SocketRingLayout.HEADER_IN_RECORD;
            assertEquals(meta, io.shmq.transport.api.MetaHeaderLayout.read(ring.memory, header));
            for (long padding = 37; padding < 40; padding++) {
                assertEquals(0, ring.memory.get(java.lang.foreign.ValueLayout.JAVA_BYTE, header + padding));
            }
            assertTrue(ring.publish(position));
            final SocketRing.Entry entry = ring.poll();
            assertEquals(meta, entry.meta());
            assertEquals(0x7654321, entry.correlation());
            assertEquals(1, entry.count());
            assertEquals(-1, entry.nonce());
            assertTrue(entry.toString().contains("correlation=" + 0x7654321) && entry.toString().contains(
                    meta.toString()), "a record's log line names its fields: " + entry);
            // A header whose managed byte is neither 0 nor 1 is no header: the record is dropped.
            final long next = ring.tryClaim();
            ring.write(next, 1, 0, meta);
            ring.memory.set(java.lang.foreign.ValueLayout.JAVA_BYTE, SocketRingLayout.RECORDS_OFFSET
                    + SocketRingLayout.RECORD_BYTES + SocketRingLayout.HEADER_IN_RECORD + 36, (byte) 2);
            assertTrue(ring.publish(next));
            assertNull(ring.poll());
            assertFalse(ring.hasInput());
        }
    }

    @Test
    void shouldDeliverInOrderAndRefuseClaimWhenFull() {
        try (Arena arena = Arena.ofConfined()) {
            final SocketRing ring = ring(arena, 4);
            for (int lap = 0; lap < 3; lap++) {
                for (int i = 0; i < 4; i++) {
                    offer(ring, 64 * i);
                }
                assertEquals(-1, ring.tryClaim(), "full at capacity");
                assertFalse(ring.hasRoom());
                for (int i = 0; i < 4; i++) {
                    assertEquals(64 * i, ring.poll().meta().handle());
                }
                assertNull(ring.poll());
            }
        }
    }

    @Test
    void shouldSkipARecordOfAProducerProvenDeadAtOnceAndKeepALiveOnesPlace() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            final SocketRing ring = ring(arena, 4);
            final long dead = ring.tryClaim(); // then the record names a process that is gone
            RingLayout.CLAIMER_H.setVolatile(ring.memory, ring.record(dead), ring.tag(dead, deadIdentity()));
            offer(ring, 128);
            assertNull(ring.poll(), "the unpublished record holds the head at first");
            assertFalse(ring.hasPublished(), "a waiting consumer sleeps: nothing is published at the head");
            Thread.sleep(2 * SequencedRing.CLAIMER_CHECK_NANOS / 1_000_000);
            assertEquals(128, ring.poll().meta().handle(), "skipped once its claimer is proven dead, not after 2 s");
            // A record claimed by this (live) process keeps its place.
            final long mine = ring.tryClaim();
            offer(ring, 256);
            Thread.sleep(50);
            assertNull(ring.poll());
            Thread.sleep(50);
            assertNull(ring.poll(), "a live producer's record is not skipped before the unblock time");
            ring.write(mine, 1, 0, MetaHeader.managed(8, 192, 0));
            assertTrue(ring.publish(mine));
            assertEquals(192, ring.poll().meta().handle());
            assertEquals(256, ring.poll().meta().handle());
        }
    }

    @Test
    void shouldLookForAStalledClaimOnlyWhenTheConsumerStopsSpinning() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            final SocketRing ring = ring(arena, 4);
            final long dead = ring.tryClaim(); // the record names a process that is gone
            RingLayout.CLAIMER_H.setVolatile(ring.memory, ring.record(dead), ring.tag(dead, deadIdentity()));
            offer(ring, 128);
            assertNull(ring.poll(null, false));
            Thread.sleep(2 * SequencedRing.CLAIMER_CHECK_NANOS / 1_000_000);
            assertNull(ring.poll(null, false), "a spinning consumer does not look: the head stays");
            assertEquals(0, ring.skipped());
            assertNull(ring.poll(null, true), "the first look starts the stall's clock");
            Thread.sleep(2 * SequencedRing.CLAIMER_CHECK_NANOS / 1_000_000);
            assertNull(ring.poll(null, false), "nor does it look later while it spins");
            assertEquals(128, ring.poll(null, true).meta().handle(), "a look after the check time skips the dead claim");
            assertEquals(1, ring.skipped());
        }
    }

    @Test
    void shouldReuseASkippedRecordOnlyForAProducerThatLooksForStalls() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            final SocketRing ring = ring(arena, 4);
            final long dead = ring.tryClaim(); // position 0, claimed by a process that is gone
            RingLayout.CLAIMER_H.setVolatile(ring.memory, ring.record(dead), ring.tag(dead, deadIdentity()));
            offer(ring, 64);
            offer(ring, 128);
            offer(ring, 192);
            assertNull(ring.poll(), "the first look starts the stall's clock");
            Thread.sleep(2 * SequencedRing.CLAIMER_CHECK_NANOS / 1_000_000);
            assertEquals(64, ring.poll().meta().handle(), "position 0 skipped");
            Thread.sleep(2 * SequencedRing.CLAIMER_CHECK_NANOS / 1_000_000);
            assertEquals(-1, ring.tryClaim(false), "a spinning producer sees a full ring");
            assertEquals(4, ring.tryClaim(true), "a producer that looks reuses the dead producer's skipped record");
        }
    }

    @Test
    void shouldSkipRecordClaimedButNeverPublishedAfterTheUnblockTime() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            final SocketRing ring = ring(arena, 4);
            final long dead = ring.tryClaim(); // a producer that dies here
            offer(ring, 128);
            assertNull(ring.poll(), "the unpublished record holds the head for now");
            Thread.sleep(SocketRing.UNBLOCK_NANOS / 1_000_000 + 200);
            assertEquals(128, ring.poll().meta().handle(), "skipped after the unblock time");
            // The stalled producer is alive (this process): its record is not reused while it may still write it.
            offer(ring, 192);
            offer(ring, 256);
            assertEquals(-1, ring.tryClaim(), "the skipped record is not reused before its producer is done");
            assertFalse(ring.hasRoom(), "a producer waiting for room sleeps: the next record is not free");
            ring.write(dead, 1, 0, MetaHeader.managed(8, 64, 0));
            assertFalse(ring.publish(dead), "a late publish of a skipped record fails: the sender keeps the message");
            assertTrue(ring.hasRoom(), "the failed publish gave the record to the next lap");
            offer(ring, 320);
            assertEquals(192, ring.poll().meta().handle());
            assertEquals(256, ring.poll().meta().handle());
            assertEquals(320, ring.poll().meta().handle(), "the late body landed in no record that was in use");
            assertNull(ring.poll());
        }
    }

    @Test
    void shouldTrustAClaimTagOnlyForItsLap() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            final SocketRing ring = ring(arena, 4);
            final long deadIdentity = deadIdentity();
            for (int i = 0; i < 4; i++) {
                offer(ring, 64 * i);
                ring.poll();
            }
            // A producer between its tail CAS and its stake, at position 4: the record still holds the tag of a
            // dead producer of lap 0.
            RingLayout.CLAIMER_H.setVolatile(ring.memory, ring.record(4), ring.tag(0, deadIdentity));
            assertTrue(RingLayout.TAIL_H.compareAndSet(ring.memory, SocketRingLayout.CURSORS_OFFSET, 4L, 5L));
            assertNull(ring.poll());
            Thread.sleep(3 * SequencedRing.CLAIMER_CHECK_NANOS / 1_000_000);
            assertNull(ring.poll(), "a dead producer of another lap proves nothing about this one");
            // Once it stakes, it writes as usual.
            assertTrue(ring.stake(ring.record(4), 4));
            ring.write(4, 1, 0, MetaHeader.managed(8, 512, 0));
            assertTrue(ring.publish(4));
            assertEquals(512, ring.poll().meta().handle());
        }
    }

    @Test
    void shouldReuseASkippedRecordOfADeadProducerAndRefuseALateStake() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            final SocketRing ring = ring(arena, 4);
            // Position 0: staked by a producer that died. Position 1: claimed by a live producer that has not
            // staked yet when the consumer skips it (its tag is still of no lap of its own).
            assertTrue(RingLayout.TAIL_H.compareAndSet(ring.memory, SocketRingLayout.CURSORS_OFFSET, 0L, 2L));
            RingLayout.CLAIMER_H.setVolatile(ring.memory, ring.record(0), ring.tag(0, deadIdentity()));
            offer(ring, 128);
            offer(ring, 192);
            assertNull(ring.poll());
            Thread.sleep(2 * SequencedRing.CLAIMER_CHECK_NANOS / 1_000_000);
            assertNull(ring.poll(), "position 0 skipped at once, position 1 (a live claim) kept");
            assertEquals(1, ring.skipped());
            // The next lap reuses position 0's record at once: its producer is dead.
            offer(ring, 256);
            // A skip of position 1 (as after the unblock time) by a consumer that dies before it moves the head;
            // then its producer stakes: it must not write, and the head is moved by the next consumer.
            assertTrue(RingLayout.SEQUENCE_H.compareAndSet(ring.memory, ring.record(1), 1L, ~1L));
            assertFalse(ring.stake(ring.record(1), 1), "a stake after the skip finds it and gives the record back");
            assertEquals(128, ring.poll().meta().handle());
            assertEquals(192, ring.poll().meta().handle());
            assertEquals(256, ring.poll().meta().handle());
            offer(ring, 320);
            assertEquals(320, ring.poll().meta().handle(), "position 5 reused the record given back");
            assertNull(ring.poll());
        }
    }

    /** A claim that answers what it is told, and counts its calls. */
    private static final class Scripted implements SequencedRing.Claim<SocketRing.Entry> {
        int decision;
        RuntimeException failure;
        int claims;
        /** Run inside the claim, before it answers: what another consumer does meanwhile. */
        Runnable meanwhile;

        @Override
        public int claim(final SocketRing.Entry body) {
            claims++;
            if (failure != null) {
                throw failure;
            }
            if (meanwhile != null) {
                meanwhile.run();
            }
            return body.handover() ? decision : ORDINARY;
        }
    }

    private static void offerHandover(final SocketRing ring, final long handle, final int nonce) {
        final long position = ring.tryClaim();
        assertTrue(position >= 0);
        ring.writeHandover(position, 0, MetaHeader.managed(8, handle, 0), nonce);
        assertTrue(ring.publish(position));
    }

    @Test
    void shouldAskTheClaimBeforeTheHeadMovesAndFollowItsDecision() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            final SocketRing ring = ring(arena, 8);
            final Scripted claim = new Scripted();
            offerHandover(ring, 64, 0x3FFFFFFF);
            claim.decision = SequencedRing.Claim.TAKEN;
            final SocketRing.Entry taken = ring.poll(claim);
            assertEquals(64, taken.meta().handle());
            assertEquals(0x3FFFFFFF, taken.nonce(), "the nonce's 30 bits travel in the kind word");
            assertEquals(1, taken.count());
            assertNull(ring.poll(claim), "the head moved past the taken record");

            offerHandover(ring, 128, 1);
            offer(ring, 192);
            claim.decision = SequencedRing.Claim.DEAD;
            assertEquals(192, ring.poll(claim).meta().handle(), "a dead record is dropped, an ordinary one follows");
            assertEquals(1, ring.dropped());
            assertFalse(ring.poll(claim) != null || ring.blocked());

            offerHandover(ring, 256, 2);
            claim.decision = SequencedRing.Claim.BUSY;
            assertNull(ring.poll(claim), "busy: another consumer took it and moves the head");
            assertTrue(ring.blocked());
            final long until = System.nanoTime() + SocketRing.UNBLOCK_NANOS + 1_000_000_000L;
            while (ring.hasPublished() && System.nanoTime() < until) {
                ring.poll(claim);
                Thread.sleep(10);
            }
            assertFalse(ring.hasPublished(), "moved past after the unblock time: a forged or orphaned record");

            offerHandover(ring, 320, 3);
            claim.failure = new io.shmq.transport.api.SharedMemoryException("forged");
            org.junit.jupiter.api.Assertions.assertThrows(io.shmq.transport.api.SharedMemoryException.class,
                    () -> ring.poll(claim));
            assertFalse(ring.hasPublished(), "a record naming no payload is consumed with its exception");
            offerHandover(ring, 384, 4);
            claim.failure = new IllegalStateException("closed");
            org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> ring.poll(claim));
            assertTrue(ring.hasPublished(), "any other failure leaves the record for another consumer");
            claim.failure = null;
            claim.decision = SequencedRing.Claim.TAKEN;
            assertEquals(384, ring.poll(claim).meta().handle());
            offerHandover(ring, 448, 5);
            claim.meanwhile = () -> {
                // Another consumer that saw this claim stall for the unblock time moves the head past the record.
                final long head = (long) RingLayout.HEAD_H.getVolatile(ring.memory, SocketRingLayout.CURSORS_OFFSET);
                assertTrue(RingLayout.HEAD_H.compareAndSet(ring.memory, SocketRingLayout.CURSORS_OFFSET, head,
                        head + 1));
                assertTrue(RingLayout.SEQUENCE_H.compareAndSet(ring.memory, ring.record(head), head + 1,
                        head + ring.capacity()));
            };
            assertEquals(448, ring.poll(claim).meta().handle(), "the taker keeps what it took, moved past or not");
            claim.meanwhile = null;
            assertNull(ring.poll(claim));
        }
    }
}
