package io.shmq.bench;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * shmq's sockets through the transport API, the same code for both providers: over shared memory the endpoint is
 * {@code ipc://NAME} in a session of the given name, over zeromq a {@code tcp://} address. Every message is
 * allocated by the sender and freed by the receiver (nothing is copied over shared memory); both sockets block
 * (spin, then futex over shared memory).
 */
final class ShmqPeer {
    private static final long TIMEOUT_MS = 60_000;
    /** A receiver waits this long at a time, then checks whether the sender's JVM is still there. */
    private static final long WAIT_MS = 250;

    private ShmqPeer() {
    }

    /**
     * @param kind    the provider
     * @param session the shared-memory session (the zeromq provider ignores it)
     * @param id      the factory's id
     * @return a factory of that provider found on the class path
     */
    static TransportFactory factory(final TransportKind kind, final String session, final String id) {
        final FactoryConfig.Builder config = FactoryConfig.of(id, session).toBuilder();
        // -Dshmq.bench.options=key=value,key=value: provider options for an experiment (the JVM's flags, and so this
        // property, reach both JVMs of a case); the benchmark's own runs set none.
        final String options = System.getProperty("shmq.bench.options", "");
        for (final String option : options.split(",")) {
            final int eq = option.indexOf('=');
            if (eq > 0) {
                config.option(option.substring(0, eq).trim(), option.substring(eq + 1).trim());
            }
        }
        return Transports.transport(kind).createFactory(config.build());
    }

    /**
     * The high-water mark of each side of a stream: the sockets' default (1000), as plain JeroMQ has over tcp; over
     * shared memory fewer for large messages (256 at 1 MiB, 16 at 16 MiB), so that what both sides hold, 512 MiB at
     * most, fits the default 2 GiB segment with room to spare (64 a side at 16 MiB filled it: allocation failed).
     * Until 2026-12-04 shared memory had at most 256 at every size: a 64 B stream's ring of 256 records then filled in
     * some runs and stayed full at about two thirds of the rate (README, Benchmarks).
     */
    static int highWaterMark(final TransportKind kind, final long size) {
        // -Dshmq.bench.ring-bytes=N: another budget for an experiment (the benchmark's own runs set none).
        final long budget = Long.getLong("shmq.bench.ring-bytes", 256L << 20);
        return kind == TransportKind.SHMEM
                ? (int) Math.max(4, Math.min(Socket.DEFAULT_HIGH_WATER_MARK, budget / size))
                : Socket.DEFAULT_HIGH_WATER_MARK;
    }

    /**
     * @return whether a stream's sender binds: over shared memory by default (FairMQ's sampler binds, and a bound
     * push's ring has one producer, the single-producer protocol), or with {@code -Dshmq.bench.binder=receiver} its
     * receiver (a bound pull's ring takes any number of pushes); over zeromq never (the receiver binds, as in the
     * plain JeroMQ case it is compared with)
     */
    static boolean senderBinds(final TransportKind kind) {
        if (kind != TransportKind.SHMEM) {
            return false;
        }
        final String binder = System.getProperty("shmq.bench.binder", "sender");
        return switch (binder) {
            case "sender" -> true;
            case "receiver" -> false;
            default -> throw new IllegalArgumentException("shmq.bench.binder must be sender or receiver: " + binder);
        };
    }

    /** Pushes numbered messages to a pull socket; binds unless the receiver does ({@link #senderBinds}). */
    static Stream.Sender sender(final TransportKind kind, final String session, final String address, final long size) {
        final TransportFactory factory = factory(kind, session, "push");
        final Socket push = factory.createSocket(SocketType.PUSH, "push");
        push.setSendHighWaterMark(highWaterMark(kind, size));
        push.setReceiveHighWaterMark(highWaterMark(kind, size));
        if (senderBinds(kind)) {
            push.bind(address);
        } else {
            push.connect(address);
        }
        return new Stream.Sender() {
            @Override
            public void send(final long seq) {
                try (Message message = factory.createMessage(size)) {
                    final MemorySegment data = message.data();
                    data.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, seq);
                    data.set(ValueLayout.JAVA_LONG_UNALIGNED, size - Long.BYTES, seq);
                    if (push.send(message, TIMEOUT_MS) != size) {
                        throw new IllegalStateException("send failed: seq=" + seq + " size=" + size);
                    }
                }
            }

            @Override
            public void close() {
                factory.close(); // closes the socket and the messages it made
            }
        };
    }

    /** A pull socket (connected, or bound when the sender does not bind) that reads every message's two numbers. */
    static Stream.Receiver receiver(final TransportKind kind, final String session, final String address,
                                    final long size) {
        final TransportFactory factory = factory(kind, session, "pull");
        final Socket pull = factory.createSocket(SocketType.PULL, "pull");
        pull.setReceiveHighWaterMark(highWaterMark(kind, size));
        pull.setSendHighWaterMark(highWaterMark(kind, size));
        if (senderBinds(kind)) {
            pull.connect(address);
        } else {
            pull.bind(address);
        }
        final Message into = factory.createMessage();
        return new Stream.Receiver() {
            @Override
            public void receiveAll(final Stream.Trace trace) {
                long waited = 0;
                while (!trace.done()) {
                    final long received = pull.receive(into, WAIT_MS);
                    if (received == Socket.TIMEOUT && (waited += WAIT_MS) < TIMEOUT_MS) {
                        trace.checkNotAbandoned();
                        continue;
                    }
                    if (received != size) {
                        throw new IllegalStateException("receive failed or timed out: size=" + size + " result="
                                + received);
                    }
                    waited = 0;
                    final MemorySegment data = into.data();
                    trace.accept(data.get(ValueLayout.JAVA_LONG_UNALIGNED, 0),
                            data.get(ValueLayout.JAVA_LONG_UNALIGNED, size - Long.BYTES));
                }
            }

            @Override
            public void close() {
                factory.close();
            }
        };
    }

    /** Binds a req socket: each round trip sends a fresh message numbered i and checks the reply's number. */
    static RoundTrips.Requester requester(final TransportKind kind, final String session, final String address,
                                          final long size) {
        final TransportFactory factory = factory(kind, session, "req");
        final Socket req = factory.createSocket(SocketType.REQ, "req");
        req.bind(address);
        final Message into = factory.createMessage();
        return new RoundTrips.Requester() {
            @Override
            public void roundTrip(final long i) {
                try (Message request = factory.createMessage(size)) {
                    request.data().set(ValueLayout.JAVA_LONG_UNALIGNED, 0, i);
                    if (req.send(request, TIMEOUT_MS) != size || req.receive(into, TIMEOUT_MS) != size) {
                        throw new IllegalStateException("round trip failed at i=" + i);
                    }
                }
                if (into.data().get(ValueLayout.JAVA_LONG_UNALIGNED, 0) != i) {
                    throw new IllegalStateException("wrong reply at i=" + i);
                }
            }

            @Override
            public void close() {
                factory.close();
            }
        };
    }

    /** Connects a rep socket and sends every request back as it came, {@code rounds} times. */
    static void reply(final TransportKind kind, final String session, final String address, final long rounds) {
        try (TransportFactory factory = factory(kind, session, "rep");
             Socket rep = factory.createSocket(SocketType.REP, "rep");
             Message message = factory.createMessage()) {
            rep.connect(address);
            for (long i = 0; i < rounds; i++) {
                if (rep.receive(message, TIMEOUT_MS) < 0 || rep.send(message, TIMEOUT_MS) < 0) {
                    throw new IllegalStateException("reply failed at i=" + i);
                }
            }
        }
    }
}
