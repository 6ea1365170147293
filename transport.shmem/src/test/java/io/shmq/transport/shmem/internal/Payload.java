package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.UnmanagedRegion;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.HexFormat;
import java.util.SplittableRandom;

/** Payload patterns derived from a seed, and the random allocate/copy/free workload of the concurrency tests. */
final class Payload {
    private Payload() {
    }

    static long mix(final long value) {
        long z = value * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        return z ^ (z >>> 31);
    }

    static void fill(final MemorySegment data, final long seed) {
        final long size = data.byteSize();
        long i = 0;
        for (; i + 8 <= size; i += 8) {
            data.set(ValueLayout.JAVA_LONG_UNALIGNED, i, mix(seed + i));
        }
        for (; i < size; i++) {
            data.set(ValueLayout.JAVA_BYTE, i, (byte) mix(seed + i));
        }
    }

    /** @return the index of the first wrong byte, or -1 */
    static long check(final MemorySegment data, final long seed) {
        final long size = data.byteSize();
        long i = 0;
        for (; i + 8 <= size; i += 8) {
            if (data.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != mix(seed + i)) {
                return i;
            }
        }
        for (; i < size; i++) {
            if (data.get(ValueLayout.JAVA_BYTE, i) != (byte) mix(seed + i)) {
                return i;
            }
        }
        return -1;
    }

    /** @return a unit of 1-4 parts of 0 B to 20 KB, each filled from its size */
    static java.util.List<Message> unit(final ShmemFactory factory, final java.util.Random random) {
        final int count = 1 + random.nextInt(4);
        final java.util.List<Message> parts = new java.util.ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            final long size = random.nextInt(8) == 0 ? 0 : 1 + random.nextInt(20_000);
            final Message part = factory.createMessage(size);
            fill(part.data(), size);
            parts.add(part);
        }
        return parts;
    }

    static String hex(final MetaHeader meta) {
        return HexFormat.of().formatHex(meta.toBytes());
    }

    static MetaHeader meta(final String hex) {
        return MetaHeader.fromBytes(HexFormat.of().parseHex(hex));
    }

    /** The seed of a held message whose payload is not checked (a region range). */
    private static final long UNCHECKED = Long.MIN_VALUE;

    private record Held(Message message, long seed) {
    }

    /**
     * Allocates {@code count} messages of random sizes (mostly up to 1 KiB, some up to 16 KiB, a few up to 256 KiB),
     * copies some, frees them in random order, and checks every payload before it is freed.
     *
     * @return the number of payload mismatches (0 when all is well)
     */
    static long workload(final ShmemFactory factory, final int count, final long seed) {
        return workload(factory, null, count, seed);
    }

    /**
     * {@link #workload(ShmemFactory, int, long)} with, when {@code region} is not null, about one message in 16 a
     * region message of a random range of it (copied one time in two), held and closed among the others; their
     * payloads are not checked (ranges overlap).
     */
    static long workload(final ShmemFactory factory, final UnmanagedRegion region, final int count, final long seed) {
        final SplittableRandom random = new SplittableRandom(seed);
        final ArrayDeque<Held> held = new ArrayDeque<>();
        long errors = 0;
        for (int n = 0; n < count; n++) {
            final int kind = random.nextInt(100);
            final int kind2 = random.nextInt(1000);
            final long size = kind < 90 ? random.nextInt(1, 1025) : kind2 < 990 ? random.nextInt(1025, 16385)
                    : random.nextInt(16385, 256 * 1024 + 1);
            final long payloadSeed = random.nextLong();
            final Message message = factory.createMessage(size);
            fill(message.data(), payloadSeed);
            held.add(new Held(message, payloadSeed));
            if (random.nextInt(8) == 0) {
                held.add(new Held(message.copy(), payloadSeed));
            }
            if (region != null && random.nextInt(16) == 0) {
                final long rangeSize = random.nextLong(1, 4097);
                final Message ranged = factory.createMessage(region, random.nextLong(region.size() - rangeSize),
                        rangeSize, n);
                held.add(new Held(ranged, UNCHECKED));
                if (random.nextBoolean()) {
                    held.add(new Held(ranged.copy(), UNCHECKED));
                }
            }
            while (held.size() > 48 || (!held.isEmpty() && random.nextInt(3) == 0)) {
                final Held h = random.nextBoolean() ? held.pollFirst() : held.pollLast();
                if (h.seed() != UNCHECKED && check(h.message().data(), h.seed()) >= 0) {
                    errors++;
                }
                h.message().close();
            }
        }
        for (final Held h : held) {
            if (h.seed() != UNCHECKED && check(h.message().data(), h.seed()) >= 0) {
                errors++;
            }
            h.message().close();
        }
        return errors;
    }
}
