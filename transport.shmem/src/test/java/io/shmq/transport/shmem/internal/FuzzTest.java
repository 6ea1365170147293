package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.MetaHeaderFrame;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.UnmanagedRegion;
import io.shmq.transport.shmem.internal.mapping.ShmemMessage;
import io.shmq.transport.shmem.internal.ring.SequencedRing;
import io.shmq.transport.shmem.internal.segment.Holder;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile input into the resolver, the receive path ({@code adopt}, what a socket does with a header from its
 * ring, and its hand-over claim) and the metadata frame decoder: random headers, and live headers with mutated fields and flipped bits.
 * Only the documented exceptions may come out; afterwards the session works and its free memory is exact.
 * 1e4 inputs of each kind in the default run, 1e6 in {@code ./shmq stress}.
 */
class FuzzTest {
    @RegisterExtension
    final ShmSession shm = new ShmSession();

    @Test
    void shouldAnswerTenThousandHostileHeadersAndFramesWithDocumentedExceptionsOnly() {
        fuzz(10_000);
    }

    @Test
    @Tag("stress")
    void shouldAnswerAMillionHostileHeadersAndFramesWithDocumentedExceptionsOnly() {
        fuzz(1_000_000);
    }

    private void fuzz(final int count) {
        final ShmemFactory producer = shm.factory("producer");
        final ShmemFactory consumer = shm.factory("consumer");
        final long start = producer.freeMemory();
        final List<Message> live = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            live.add(producer.createMessage(1 + i * 1009L));
        }
        final SplittableRandom random = new SplittableRandom(20261201);
        int accepted = 0;
        try (UnmanagedRegion region = producer.createUnmanagedRegion(1 << 16, ShmSession.IGNORE,
                RegionConfig.DEFAULT)) {
            live.add(producer.createMessage(region, 0, 4096, 7));
            for (int n = 0; n < count; n++) {
                final MetaHeader meta = hostile(random, live, region.id());
                // The resolver: a view or SharedMemoryException.
                try {
                    final MemorySegment payload = consumer.resolve(meta);
                    assertEquals(meta.managed() && meta.size() == 0 ? 0 : meta.size(), payload.byteSize());
                    accepted++;
                } catch (SharedMemoryException expected) {
                    // documented
                }
                // The receive path: an owned message or SharedMemoryException. A forged header that passes the
                // checks names a live block of somebody else: give the reference back without releasing it.
                try {
                    final Message adopted = consumer.adopt(meta);
                    consumer.detach(adopted);
                } catch (SharedMemoryException expected) {
                    // documented
                }
                // The hand-over path (a record that hands a block over): a decision or SharedMemoryException; a
                // forged header never takes a block, for none of them is in flight.
                try (ShmemMessage target = (ShmemMessage) consumer.createMessage()) {
                    assertNotEquals(SequencedRing.Claim.TAKEN, consumer.mappings().claimInto(target, meta,
                            random.nextInt() & Holder.NONCE_MASK), "a forged hand-over took " + meta);
                } catch (SharedMemoryException expected) {
                    // documented
                }
                // The frame decoder: a header or IllegalArgumentException.
                final byte[] frame = meta.toBytes();
                frame[random.nextInt(frame.length)] ^= (byte) (1 << random.nextInt(8));
                try {
                    MetaHeaderFrame.decode(MemorySegment.ofArray(frame), 0);
                } catch (IllegalArgumentException expected) {
                    // documented
                }
            }
        }
        assertTrue(accepted > 0, "some mutated headers still name live payloads");
        live.forEach(Message::close);
        assertEquals(start, producer.freeMemory() + consumer.cachedBytes(), "free memory after the fuzz");
        // The session still works end to end.
        try (Socket push = producer.createSocket(SocketType.PUSH, "push");
             Socket pull = consumer.createSocket(SocketType.PULL, "pull");
             Message out = producer.createMessage(100);
             Message in = consumer.createMessage()) {
            pull.bind("ipc://fuzz-" + shm.name());
            push.connect("ipc://fuzz-" + shm.name());
            Payload.fill(out.data(), 3);
            assertEquals(100, push.send(out, 5_000));
            assertEquals(100, pull.receive(in, 5_000));
            assertEquals(-1, Payload.check(in.data(), 3));
        }
        assertEquals(start, producer.freeMemory() + consumer.cachedBytes());
    }

    /** A random header, or a live one with one field replaced or one bit flipped. */
    private static MetaHeader hostile(final SplittableRandom random, final List<Message> live, final int regionId) {
        final MetaHeader base = ((SharedMemoryMessage) live.get(random.nextInt(live.size()))).meta();
        long size = base.size();
        long hint = base.hint();
        long handle = base.handle();
        long shared = base.shared();
        int region = base.regionId();
        int segment = base.segmentId();
        boolean managed = base.managed();
        switch (random.nextInt(9)) {
            case 0 -> size = random.nextBoolean() ? random.nextLong(0, 1L << 21) : random.nextLong(0, Long.MAX_VALUE);
            case 1 -> hint ^= 1L << random.nextInt(64);
            case 2 -> handle ^= 1L << random.nextInt(64);
            case 3 -> handle += random.nextInt(-64, 65);
            case 4 -> shared = random.nextLong();
            case 5 -> region = random.nextBoolean() ? regionId : random.nextInt(MetaHeader.MAX_ID + 1);
            case 6 -> segment = random.nextInt(4) == 0 ? random.nextInt(MetaHeader.MAX_ID + 1) : 0;
            case 7 -> managed = !managed;
            default -> {
                size = random.nextLong(0, Long.MAX_VALUE);
                hint = random.nextLong();
                handle = random.nextLong();
                shared = random.nextLong();
                region = random.nextInt(MetaHeader.MAX_ID + 1);
                segment = random.nextInt(MetaHeader.MAX_ID + 1);
                managed = random.nextBoolean();
            }
        }
        return new MetaHeader(size, hint, handle, shared, region, segment, managed);
    }
}
