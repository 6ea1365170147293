package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.TransportClosedException;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The soak's producer and consumer loops (in child JVMs). A message carries, in its first 24 bytes, its producer
 * (id and incarnation), its sequence number and the seed of the rest of its bytes.
 */
final class Soak {
    /** Bytes of the message header: producer u64, sequence u64, seed u64. */
    static final int HEADER = 24;

    private Soak() {
    }

    /** Sends numbered messages of random sizes (24 B to 256 KiB) until the factory closes. */
    static void produce(final ShmemFactory factory, final Socket push, final long producer) {
        final SplittableRandom random = new SplittableRandom(producer);
        long seq = 0;
        try {
            while (true) {
                final int kind = random.nextInt(100);
                final long size = kind < 80 ? random.nextInt(HEADER, 1025) : kind < 98 ? random.nextInt(1025, 16385)
                        : random.nextInt(16385, 256 * 1024 + 1);
                try (Message message = factory.createMessage(size)) {
                    final long seed = random.nextLong();
                    message.data().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, producer);
                    message.data().set(ValueLayout.JAVA_LONG_UNALIGNED, 8, seq);
                    message.data().set(ValueLayout.JAVA_LONG_UNALIGNED, 16, seed);
                    Payload.fill(message.data().asSlice(HEADER), seed);
                    if (push.send(message, 1_000) >= 0) {
                        seq++;
                    }
                }
            }
        } catch (TransportClosedException | IllegalStateException ended) {
            // the factory closed: the process exits
        }
    }

    /**
     * Sends {@code count} numbered messages (sequence 0 to count - 1) of random sizes (24 B to 4 KiB), each until it
     * goes (a send that times out is tried again: nothing is skipped).
     */
    static void produceCount(final ShmemFactory factory, final Socket push, final long producer, final long count) {
        final SplittableRandom random = new SplittableRandom(producer + 1);
        for (long seq = 0; seq < count; seq++) {
            try (Message message = factory.createMessage(random.nextInt(HEADER, 4097))) {
                final long seed = random.nextLong();
                message.data().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, producer);
                message.data().set(ValueLayout.JAVA_LONG_UNALIGNED, 8, seq);
                message.data().set(ValueLayout.JAVA_LONG_UNALIGNED, 16, seed);
                Payload.fill(message.data().asSlice(HEADER), seed);
                while (push.send(message, 1_000) < 0) {
                    Thread.onSpinWait();
                }
            }
        }
    }

    /** Receives and checks messages; counts what it saw. */
    static final class Consumer {
        private final AtomicLong received = new AtomicLong();
        private final AtomicLong corrupt = new AtomicLong();
        private final AtomicLong outOfOrder = new AtomicLong();
        private final AtomicLong gaps = new AtomicLong();
        private final Map<Long, Long> last = new HashMap<>();
        /** Per producer: messages and the sum of their sequence numbers. */
        private final Map<Long, long[]> totals = new HashMap<>();

        void run(final ShmemFactory factory, final Socket pull) {
            try (Message message = factory.createMessage()) {
                while (true) {
                    if (pull.receive(message, 1_000) < 0) {
                        continue;
                    }
                    check(message);
                }
            } catch (TransportClosedException | IllegalStateException ended) {
                // the factory closed
            }
        }

        private void check(final Message message) {
            received.incrementAndGet();
            if (message.size() < HEADER) {
                corrupt.incrementAndGet();
                return;
            }
            final long producer = message.data().get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
            final long seq = message.data().get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
            final long seed = message.data().get(ValueLayout.JAVA_LONG_UNALIGNED, 16);
            if (Payload.check(message.data().asSlice(HEADER), seed) >= 0) {
                corrupt.incrementAndGet();
            }
            synchronized (last) {
                final long[] total = totals.computeIfAbsent(producer, p -> new long[2]);
                total[0]++;
                total[1] += seq;
                final Long previous = last.put(producer, seq);
                if (previous != null && seq <= previous) {
                    outOfOrder.incrementAndGet(); // a duplicate or a reordering within one producer
                } else if (previous != null && seq > previous + 1) {
                    gaps.incrementAndGet(); // taken by the other consumer, or lost with a killed one
                }
            }
        }

        /** @return "corrupt outOfOrder" then, per producer, "producer:messages:sumOfSequences" */
        String totals() {
            synchronized (last) {
                final StringBuilder out = new StringBuilder(corrupt.get() + " " + outOfOrder.get());
                totals.forEach((producer, t) -> out.append(' ').append(producer).append(':').append(t[0]).append(':')
                        .append(t[1]));
                return out.toString();
            }
        }

        /** @return "received corrupt outOfOrder producers" */
        String report() {
            synchronized (last) {
                return received.get() + " " + corrupt.get() + " " + outOfOrder.get() + " " + last.size();
            }
        }
    }
}
