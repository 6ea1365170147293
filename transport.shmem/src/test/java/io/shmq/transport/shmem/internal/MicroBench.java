package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.SharedMemoryMessage;
import java.lang.foreign.MemorySegment;

/**
 * A rough single-thread timing of the two hot paths (not a test, not JMH: the bench module owns real benchmarks).
 * Run by hand: {@code java --enable-native-access=ALL-UNNAMED -cp ... MicroBench}.
 */
public final class MicroBench {
    private MicroBench() {
    }

    /** @param args unused */
    public static void main(final String[] args) {
        final String session = "microbench" + ProcessHandle.current().pid();
        try (ShmemFactory producer = new ShmemFactory(FactoryConfig.builder("p").session(session).build());
             ShmemFactory consumer = new ShmemFactory(FactoryConfig.builder("c").session(session).build())) {
            final int n = 5_000_000;
            for (int round = 0; round < 5; round++) {
                long t = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    producer.createMessage(64).close();
                }
                final double alloc = (System.nanoTime() - t) / (double) n;
                try (Message message = producer.createMessage(64)) {
                    final MetaHeader meta = ((SharedMemoryMessage) message).meta();
                    long sink = 0;
                    t = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        final MemorySegment s = consumer.resolve(meta);
                        sink += s.address();
                    }
                    final double resolve = (System.nanoTime() - t) / (double) n;
                    System.out.printf("round %d: createMessage(64)+close %.1f ns, resolve (cached) %.1f ns [%d]%n",
                            round, alloc, resolve, sink & 1);
                }
            }
        }
    }
}
