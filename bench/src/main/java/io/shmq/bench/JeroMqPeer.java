package io.shmq.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * Plain JeroMQ over tcp, as a JeroMQ user writes it (a fresh {@code byte[]} per message, JeroMQ's defaults but one):
 * the baseline the zeromq provider is held against. The one: a handshake interval of 1 s, as the provider sets, for
 * JeroMQ 0.6.0 now and then leaves a fresh loopback connection with the greeting unread until the handshake timer
 * (30 s by default) drops it; with the default, 2 of 3 rounds of a first compare run sat 30 s on it.
 */
final class JeroMqPeer {
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final int TIMEOUT_MS = 60_000;
    private static final int HANDSHAKE_MS = 1000;
    /** The receiver waits this long at a time, then checks whether the sender's JVM is still there. */
    private static final int WAIT_MS = 250;

    private JeroMqPeer() {
    }

    /** Connects a push socket to {@code address}. */
    static Stream.Sender sender(final String address, final long size) {
        final ZContext context = new ZContext(1);
        final ZMQ.Socket push = context.createSocket(org.zeromq.SocketType.PUSH);
        push.setHandshakeIvl(HANDSHAKE_MS);
        push.connect(address);
        return new Stream.Sender() {
            @Override
            public void send(final long seq) {
                final byte[] data = new byte[(int) size]; // JeroMQ keeps the array until it is written out
                LONG.set(data, 0, seq);
                LONG.set(data, data.length - Long.BYTES, seq);
                if (!push.send(data, 0)) {
                    throw new IllegalStateException("send failed: seq=" + seq + " size=" + size);
                }
            }

            @Override
            public void close() {
                context.close();
            }
        };
    }

    /** Binds a pull socket to {@code address} and receives into one reused array. */
    static Stream.Receiver receiver(final String address, final long size) {
        final ZContext context = new ZContext(1);
        final ZMQ.Socket pull = context.createSocket(org.zeromq.SocketType.PULL);
        pull.setHandshakeIvl(HANDSHAKE_MS);
        pull.setReceiveTimeOut(WAIT_MS);
        pull.bind(address);
        final byte[] data = new byte[(int) size];
        return new Stream.Receiver() {
            @Override
            public void receiveAll(final Stream.Trace trace) {
                long waited = 0;
                while (!trace.done()) {
                    final int received = pull.recv(data, 0, data.length, 0);
                    if (received < 0 && (waited += WAIT_MS) < TIMEOUT_MS) {
                        trace.checkNotAbandoned();
                        continue;
                    }
                    if (received != data.length) {
                        throw new IllegalStateException("receive failed or timed out: size=" + size + " result="
                                + received);
                    }
                    waited = 0;
                    trace.accept((long) LONG.get(data, 0), (long) LONG.get(data, data.length - Long.BYTES));
                }
            }

            @Override
            public void close() {
                context.close();
            }
        };
    }
}
