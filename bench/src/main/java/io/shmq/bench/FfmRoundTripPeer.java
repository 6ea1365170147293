package io.shmq.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A yardstick, not a transport: the least a round trip between two JVMs over FFM can do, by value or by reference.
 * One request is in flight at a time, so neither ring needs a consumer position; every record is published by one
 * release store of its sequence and awaited by a busy spin on it (as Aeron's Ping and Pong do).
 * <ul>
 *   <li>{@linkplain #BY_VALUE by value} ({@code FFM_RING}): the payload is inline in the record; the replier copies
 *   the request's payload into its reply record, as Aeron's Pong offers the buffer it was handed. A one-way is one
 *   line the receiver must fetch from the other core (the record, sequence and payload together at 64 B).</li>
 *   <li>{@linkplain #BY_REFERENCE by reference} ({@code FFM_REF}): the payload is in a block of the shared file and
 *   a record carries only its offset; the replier reads the payload in place and sends the same offset back, as
 *   shmq's rep sends back a message larger than its ring record holds. The request's one-way is two lines fetched
 *   one after the other (the record names the block); the reply's is one (the block is the requester's own,
 *   unchanged). No ownership is recorded: shmq writes the block's holder word at each such receive (its crash
 *   safety), so its reply costs a second dependent line too. A message of up to 104 bytes shmq sends inside the
 *   record, as by value.</li>
 * </ul>
 * {@code CompareCase rtt FFM_RING|FFM_REF SIZE WARM_UP ROUNDS DIR}; sizes 16 B to 4 KiB.
 *
 * <pre>
 *  0      | payload size u64 (the requester writes it first; the replier waits for it) | pad to 128 |
 *  128    | request ring: RING records { sequence u64 | payload or block offset }         |
 *  ...    | reply ring:   RING records, the same                                          |
 *  ...    | one block of the payload size rounded up to 64 B (by reference)              |
 * </pre>
 */
final class FfmRoundTripPeer {
    /** By value: the payload inline in the records. */
    static final boolean BY_VALUE = false;
    /** By reference: the payload in a block, its offset in the records. */
    static final boolean BY_REFERENCE = true;
    private static final long SIZE = 0;
    private static final long REQUESTS = 128;
    private static final int RING = 1 << 10;
    private static final long TIMEOUT_NANOS = 60_000_000_000L;
    private static final VarHandle WORD = FfmRingPeer.WORD;

    private FfmRoundTripPeer() {
    }

    private static long recordBytes(final boolean byReference, final long size) {
        if (size < 16 || size > 4 << 10) {
            throw new IllegalArgumentException("the FFM round trip takes 16 B to 4 KiB: size=" + size);
        }
        return byReference ? 64 : (Long.BYTES + size + 63) & -64;
    }

    private static long replies(final long record) {
        return REQUESTS + RING * record;
    }

    private static long block(final long record) {
        return replies(record) + RING * record;
    }

    private static long fileBytes(final boolean byReference, final long size) {
        final long record = recordBytes(byReference, size);
        return block(record) + ((size + 63) & -64);
    }

    private static Path file(final String directory) {
        return Path.of(directory, "round-trips");
    }

    /**
     * The other JVM's patience for {@link FfmRingPeer#awaitSequence}: its first call starts a minute, a call after it
     * throws (the other JVM is gone); {@link #reset} before each wait.
     */
    private static final class Patience implements Runnable {
        private long deadline;

        Patience reset() {
            deadline = 0;
            return this;
        }

        @Override
        public void run() {
            final long now = System.nanoTime();
            if (deadline == 0) {
                deadline = now + TIMEOUT_NANOS;
            } else if (now - deadline > 0) {
                throw new IllegalStateException("no answer from the other JVM for a minute");
            }
        }
    }

    /** Creates the file in {@code directory} (before the replier starts) and measures from this side. */
    static RoundTrips.Requester requester(final boolean byReference, final String directory, final long size) {
        final long record = recordBytes(byReference, size);
        final Path file = file(directory);
        final Arena arena = Arena.ofShared();
        final MemorySegment memory = FfmRingPeer.create(file, fileBytes(byReference, size), arena);
        WORD.setRelease(memory, SIZE, size);
        final long replies = replies(record);
        final long block = block(record);
        final Patience patience = new Patience();
        return new RoundTrips.Requester() {
            private long position;

            @Override
            public void roundTrip(final long i) {
                final long slot = (position & (RING - 1)) * record;
                final long request = REQUESTS + slot;
                final long payload = byReference ? block : request + Long.BYTES;
                memory.set(ValueLayout.JAVA_LONG_UNALIGNED, payload, i);
                memory.set(ValueLayout.JAVA_LONG_UNALIGNED, payload + size - Long.BYTES, i);
                if (byReference) {
                    memory.set(ValueLayout.JAVA_LONG_UNALIGNED, request + Long.BYTES, block);
                }
                WORD.setRelease(memory, request, ++position);
                final long reply = replies + slot;
                FfmRingPeer.awaitSequence(memory, reply, position, patience.reset());
                final long answer = byReference
                        ? memory.get(ValueLayout.JAVA_LONG_UNALIGNED,
                                memory.get(ValueLayout.JAVA_LONG_UNALIGNED, reply + Long.BYTES))
                        : memory.get(ValueLayout.JAVA_LONG_UNALIGNED, reply + Long.BYTES);
                if (answer != i) {
                    throw new IllegalStateException("wrong reply at i=" + i + ": " + answer);
                }
            }

            @Override
            public void close() throws IOException {
                arena.close();
                Files.deleteIfExists(file);
            }
        };
    }

    /** Maps the requester's file and answers {@code rounds} requests. */
    static void reply(final boolean byReference, final String directory, final long rounds) {
        final Path file = file(directory);
        final long header = REQUESTS;
        try (Arena arena = Arena.ofShared()) {
            final MemorySegment head = FfmRingPeer.attach(file, header, arena);
            final Patience patience = new Patience();
            long size;
            while ((size = (long) WORD.getAcquire(head, SIZE)) == 0) {
                patience.run(); // the requester writes the size right after it created the file
                Thread.onSpinWait();
            }
            final long record = recordBytes(byReference, size);
            final MemorySegment memory = FfmRingPeer.attach(file, fileBytes(byReference, size), arena);
            final long replies = replies(record);
            for (long position = 1; position <= rounds; position++) {
                final long slot = ((position - 1) & (RING - 1)) * record;
                final long request = REQUESTS + slot;
                FfmRingPeer.awaitSequence(memory, request, position, patience.reset());
                final long reply = replies + slot;
                if (byReference) {
                    final long block = memory.get(ValueLayout.JAVA_LONG_UNALIGNED, request + Long.BYTES);
                    if (memory.get(ValueLayout.JAVA_LONG_UNALIGNED, block) != position - 1) {
                        throw new IllegalStateException("wrong request at " + position);
                    }
                    memory.set(ValueLayout.JAVA_LONG_UNALIGNED, reply + Long.BYTES, block);
                } else {
                    MemorySegment.copy(memory, request + Long.BYTES, memory, reply + Long.BYTES, size);
                }
                WORD.setRelease(memory, reply, position);
            }
        }
    }
}
