package io.shmq.bench;

import io.shmq.transport.api.DataAddressResolver;
import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;
import java.lang.foreign.MemorySegment;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The shared-memory core's hot paths, uncontended: allocate + free of a managed message (64 B and 1 MiB), the
 * side channel's cached resolve of a header whose segment is already mapped, and one message's whole way through a
 * push and a pull socket of two factories of the session, in one thread: the work a message costs both sides of a
 * stream, without the cache lines they share.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class MessageBenchmark {
    private TransportFactory factory;
    private TransportFactory consumer;
    private DataAddressResolver resolver;
    private Message held;
    private MetaHeader meta;
    private Socket push;
    private Socket pull;
    private Message into;
    private Socket req;
    private Socket rep;
    private Message asked;
    private Message answer;

    /** Opens a producer and a consumer factory of one fresh session and allocates the message to resolve. */
    @Setup(Level.Trial)
    public void setUp() {
        final String session = "bench-" + UUID.randomUUID();
        factory = Transports.transport(TransportKind.SHMEM).createFactory(FactoryConfig.of("producer", session));
        consumer = Transports.transport(TransportKind.SHMEM).createFactory(FactoryConfig.of("consumer", session));
        resolver = Transports.resolver();
        held = factory.createMessage(64);
        meta = ((SharedMemoryMessage) held).meta();
        resolver.resolve(consumer, meta); // attach once: the benchmark measures the cached path
        pull = consumer.createSocket(SocketType.PULL, "pull");
        pull.bind("shm://bench");
        push = factory.createSocket(SocketType.PUSH, "push");
        push.connect("shm://bench");
        into = consumer.createMessage();
        req = factory.createSocket(SocketType.REQ, "req");
        req.bind("shm://bench-rtt");
        rep = consumer.createSocket(SocketType.REP, "rep");
        rep.connect("shm://bench-rtt");
        asked = consumer.createMessage();
        answer = factory.createMessage();
    }

    /** Closes everything; the last factory removes the session's files. */
    @TearDown(Level.Trial)
    public void tearDown() {
        into.close();
        asked.close();
        answer.close();
        req.close();
        rep.close();
        push.close();
        pull.close();
        held.close();
        consumer.close();
        factory.close();
    }

    /** @return the freed message's size, so that nothing is optimised away */
    @Benchmark
    public long allocateFree64() {
        try (Message message = factory.createMessage(64)) {
            return message.size();
        }
    }

    /** @return the freed message's size */
    @Benchmark
    public long allocateFree1MiB() {
        try (Message message = factory.createMessage(1 << 20)) {
            return message.size();
        }
    }

    /** @return the resolved view, through the second factory of the session */
    @Benchmark
    public MemorySegment resolveCached() {
        return resolver.resolve(consumer, meta);
    }

    /**
     * @return the first long of the resolved payload: a consumer that resolves a header and reads its payload at once,
     * the view not escaping the caller (were the resolve inlined, the JIT could leave the view unallocated; on JDK 25
     * its compiled code is too large to inline, so it costs what {@link #resolveCached} does, plus the read)
     */
    @Benchmark
    public long resolveCachedRead() {
        return resolver.resolve(consumer, meta).get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0);
    }

    /** @return the received size: allocate 64 B, send it, receive it into a reused message of the other factory */
    @Benchmark
    public long sendReceive64() {
        return sendReceive(64);
    }

    /**
     * @return the received size: {@link #sendReceive64} at 4 KiB, a message that travels by reference (its block's
     * offset in the ring record, the receiver freeing the block the sender allocated)
     */
    @Benchmark
    public long sendReceive4KiB() {
        return sendReceive(4096);
    }

    private long sendReceive(final long size) {
        try (Message message = factory.createMessage(size)) {
            if (push.send(message, 1000) != size) {
                throw new IllegalStateException("send failed");
            }
        }
        final long received = pull.receive(into, 1000);
        if (received != size) {
            throw new IllegalStateException("receive failed: " + received);
        }
        return received;
    }

    /**
     * @return the reply's size: one round trip of the compare's req/rep case in one thread, the requester's fresh 64 B
     * request sent, received by the rep, sent back as it came and received by the req (the code both sides of a
     * round trip run, without the cache lines they pass each other)
     */
    @Benchmark
    public long roundTrip64() {
        try (Message request = factory.createMessage(64)) {
            if (req.send(request, 1000) != 64) {
                throw new IllegalStateException("request failed");
            }
        }
        if (rep.receive(asked, 1000) != 64 || rep.send(asked, 1000) != 64) {
            throw new IllegalStateException("reply failed");
        }
        final long received = req.receive(answer, 1000);
        if (received != 64) {
            throw new IllegalStateException("receive failed: " + received);
        }
        return received;
    }
}
