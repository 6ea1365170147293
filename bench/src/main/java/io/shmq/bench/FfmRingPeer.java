package io.shmq.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A yardstick, not a transport: the least a two-JVM stream over FFM can do on this machine. One producer, one
 * consumer, a ring of records in a shared file, each record its sequence word and the payload inline; the producer
 * writes the payload with plain stores and publishes with one release store (no atomic read-modify-write, as Aeron's
 * exclusive publication); the consumer acquire-loads the sequence, reads the two numbers and tells the producer its
 * position every 64 records. No allocation, no hand-over, no crash safety: what shmq's protocol adds to a message
 * (its atomic operations above all) is the difference between this and the shmq row of the same size.
 * The sender writes the payload's first and last 8 bytes, as every sender of the stream does. {@code CompareCase
 * stream FFM_RING SIZE NANOS DIR}; sizes up to 4 KiB (16,384 records: a 64 MiB sparse file at 4 KiB).
 */
final class FfmRingPeer {
    /** The consumer's position, on its own 128 bytes; the records follow. */
    private static final long CONSUMER = 0;
    private static final long RECORDS = 128;
    private static final int CAPACITY = 1 << 14;
    static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle();
    private static final long WAIT_NANOS = 10_000_000_000L;

    private FfmRingPeer() {
    }

    private static long recordBytes(final long size) {
        if (size < 16 || size > 4 << 10) {
            throw new IllegalArgumentException("the FFM ring takes 16 B to 4 KiB: size=" + size);
        }
        return (Long.BYTES + size + 63) & -64;
    }

    private static Path file(final String directory) {
        return Path.of(directory, "ring");
    }

    private static MemorySegment map(final Path file, final long bytes, final Arena arena) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            return channel.map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Creates {@code file} of {@code bytes} zero bytes (sparse) and maps it: the receiving side of a yardstick. */
    static MemorySegment create(final Path file, final long bytes, final Arena arena) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            channel.write(java.nio.ByteBuffer.allocate(1), bytes - 1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return map(file, bytes, arena);
    }

    /** Waits (10 s at most) for the receiver's {@code file}, then maps it: the sending side of a yardstick. */
    static MemorySegment attach(final Path file, final long bytes, final Arena arena) {
        final long deadline = System.nanoTime() + WAIT_NANOS;
        while (!Files.exists(file)) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("no file at " + file + " after 10 s");
            }
            Thread.onSpinWait();
        }
        return map(file, bytes, arena);
    }

    /**
     * Spins until the record at {@code at} carries {@code sequence}, asking {@code stillThere} every 2^20 spins
     * whether the other side lives (it throws when not): the one wait loop of the yardsticks.
     */
    static void awaitSequence(final MemorySegment memory, final long at, final long sequence,
                              final Runnable stillThere) {
        long spins = 0;
        while ((long) WORD.getAcquire(memory, at) != sequence) {
            Thread.onSpinWait();
            if ((++spins & ((1 << 20) - 1)) == 0) {
                stillThere.run();
            }
        }
    }

    /** Creates the ring's file in {@code directory} (before the sender starts) and reads every record. */
    static Stream.Receiver receiver(final String directory, final long size) {
        final long record = recordBytes(size);
        final long bytes = RECORDS + CAPACITY * record;
        final Path file = file(directory);
        final Arena arena = Arena.ofShared();
        final MemorySegment memory = create(file, bytes, arena); // every byte zero: no record published
        return new Stream.Receiver() {
            @Override
            public void receiveAll(final Stream.Trace trace) {
                long position = 0;
                final Runnable senderLives = trace::checkNotAbandoned;
                while (!trace.done()) {
                    final long at = RECORDS + (position & (CAPACITY - 1)) * record;
                    awaitSequence(memory, at, position + 1, senderLives);
                    trace.accept(memory.get(ValueLayout.JAVA_LONG_UNALIGNED, at + Long.BYTES),
                            memory.get(ValueLayout.JAVA_LONG_UNALIGNED, at + size));
                    position++;
                    if ((position & 63) == 0) {
                        WORD.setRelease(memory, CONSUMER, position);
                    }
                }
            }

            @Override
            public void close() throws IOException {
                arena.close();
                Files.deleteIfExists(file);
            }
        };
    }

    /** Maps the receiver's ring and writes one record per message. */
    static Stream.Sender sender(final String directory, final long size) {
        final long record = recordBytes(size);
        final long bytes = RECORDS + CAPACITY * record;
        final Arena arena = Arena.ofShared();
        final MemorySegment memory = attach(file(directory), bytes, arena);
        return new Stream.Sender() {
            private long position;
            private long consumer;

            @Override
            public void send(final long seq) {
                while (position - consumer >= CAPACITY - 64) {
                    Thread.onSpinWait();
                    consumer = (long) WORD.getAcquire(memory, CONSUMER);
                }
                final long at = RECORDS + (position & (CAPACITY - 1)) * record;
                memory.set(ValueLayout.JAVA_LONG_UNALIGNED, at + Long.BYTES, seq);
                memory.set(ValueLayout.JAVA_LONG_UNALIGNED, at + size, seq);
                WORD.setRelease(memory, at, ++position);
            }

            @Override
            public void close() {
                arena.close();
            }
        };
    }
}
