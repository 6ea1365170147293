package io.shmq.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A yardstick, not a transport: {@link FfmRingPeer} made zero-copy, the data flow of shmq's shared memory without its
 * safety. The payload lives in a block of a pool in the shared file; a record of the forward ring carries only the
 * block's offset; the consumer reads the payload in place and gives the block back through a return ring; the
 * producer takes blocks from its own stack, refilled from the return ring when it runs dry. Every ring has one
 * producer and one consumer and is published by release stores: two a message, no atomic read-modify-write, no
 * lock, no ledger, no crash safety. {@code CompareCase stream FFM_REF SIZE NANOS DIR}; sizes up to 4 KiB.
 *
 * <pre>
 *  0      | forward ring's consumer position u64 | pad to 128 |
 *  128    | return ring's consumer position u64  | pad to 256 |
 *  256    | forward ring: RING records { sequence u64 | block u64 }, 16 B each |
 *  ...    | return ring:  RING records { sequence u64 | block u64 }, 16 B each |
 *  ...    | pool: BLOCKS blocks of the payload size rounded up to 64 B |
 * </pre>
 */
final class FfmRefPeer {
    private static final long FORWARD_CONSUMER = 0;
    private static final long RETURN_CONSUMER = 128;
    private static final int RING = 1 << 12;
    private static final int BLOCKS = 2 * RING;
    private static final long RECORD = 16;
    private static final long FORWARD = 256;
    private static final long RETURN = FORWARD + RING * RECORD;
    private static final long POOL = RETURN + RING * RECORD;
    private static final VarHandle WORD = FfmRingPeer.WORD;

    private FfmRefPeer() {
    }

    private static long blockBytes(final long size) {
        if (size < 16 || size > 4 << 10) {
            throw new IllegalArgumentException("the FFM reference ring takes 16 B to 4 KiB: size=" + size);
        }
        return (size + 63) & -64;
    }

    /** Creates the file in {@code directory} (before the sender starts), reads every payload in place. */
    static Stream.Receiver receiver(final String directory, final long size) {
        final long bytes = POOL + BLOCKS * blockBytes(size);
        final Path file = Path.of(directory, "refs");
        final Arena arena = Arena.ofShared();
        final MemorySegment memory = FfmRingPeer.create(file, bytes, arena);
        return new Stream.Receiver() {
            @Override
            public void receiveAll(final Stream.Trace trace) {
                long position = 0;
                long returned = 0;
                long returnConsumer = 0;
                final Runnable senderLives = trace::checkNotAbandoned;
                while (!trace.done()) {
                    final long at = FORWARD + (position & (RING - 1)) * RECORD;
                    FfmRingPeer.awaitSequence(memory, at, position + 1, senderLives);
                    final long block = memory.get(ValueLayout.JAVA_LONG_UNALIGNED, at + Long.BYTES);
                    trace.accept(memory.get(ValueLayout.JAVA_LONG_UNALIGNED, block),
                            memory.get(ValueLayout.JAVA_LONG_UNALIGNED, block + size - Long.BYTES));
                    position++;
                    if ((position & 63) == 0) {
                        WORD.setRelease(memory, FORWARD_CONSUMER, position);
                    }
                    // Give the block back; the producer drains the return ring when it runs out of blocks and
                    // while it waits for room in the forward ring, so this wait ends.
                    while (returned - returnConsumer >= RING) {
                        Thread.onSpinWait();
                        returnConsumer = (long) WORD.getAcquire(memory, RETURN_CONSUMER);
                    }
                    final long back = RETURN + (returned & (RING - 1)) * RECORD;
                    memory.set(ValueLayout.JAVA_LONG_UNALIGNED, back + Long.BYTES, block);
                    WORD.setRelease(memory, back, ++returned);
                }
            }

            @Override
            public void close() throws IOException {
                arena.close();
                Files.deleteIfExists(file);
            }
        };
    }

    /** Maps the receiver's file; each message takes a block, writes its two numbers and sends its offset. */
    static Stream.Sender sender(final String directory, final long size) {
        final long block = blockBytes(size);
        final long bytes = POOL + BLOCKS * block;
        final Arena arena = Arena.ofShared();
        final MemorySegment memory = FfmRingPeer.attach(Path.of(directory, "refs"), bytes, arena);
        final long[] free = new long[BLOCKS];
        for (int i = 0; i < BLOCKS; i++) {
            free[i] = POOL + (long) (BLOCKS - 1 - i) * block;
        }
        return new Stream.Sender() {
            private int freeCount = BLOCKS;
            private long position;
            private long consumer;
            private long returnPosition;

            @Override
            public void send(final long seq) {
                while (freeCount == 0) {
                    drainReturns();
                }
                final long taken = free[--freeCount];
                memory.set(ValueLayout.JAVA_LONG_UNALIGNED, taken, seq);
                memory.set(ValueLayout.JAVA_LONG_UNALIGNED, taken + size - Long.BYTES, seq);
                while (position - consumer >= RING - 64) {
                    drainReturns(); // the consumer may wait for room in the return ring meanwhile
                    consumer = (long) WORD.getAcquire(memory, FORWARD_CONSUMER);
                }
                final long at = FORWARD + (position & (RING - 1)) * RECORD;
                memory.set(ValueLayout.JAVA_LONG_UNALIGNED, at + Long.BYTES, taken);
                WORD.setRelease(memory, at, ++position);
            }

            /** Takes back every block the consumer returned so far. */
            private void drainReturns() {
                final long start = returnPosition;
                while (true) {
                    final long at = RETURN + (returnPosition & (RING - 1)) * RECORD;
                    if ((long) WORD.getAcquire(memory, at) != returnPosition + 1) {
                        break;
                    }
                    free[freeCount++] = memory.get(ValueLayout.JAVA_LONG_UNALIGNED, at + Long.BYTES);
                    returnPosition++;
                }
                if (returnPosition != start) {
                    WORD.setRelease(memory, RETURN_CONSUMER, returnPosition);
                } else {
                    Thread.onSpinWait();
                }
            }

            @Override
            public void close() {
                arena.close();
            }
        };
    }
}
