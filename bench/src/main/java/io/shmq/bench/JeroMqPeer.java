package io.shmq.bench;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * Plain JeroMQ over tcp, as a JeroMQ user writes it (a fresh {@code byte[]} per message, JeroMQ's defaults): the
 * baseline the zeromq provider is held against.
 */
final class JeroMqPeer {
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final int TIMEOUT_MS = 60_000;

    private JeroMqPeer() {
    }

    /** Connects a push socket to {@code address}. */
    static Stream.Sender sender(final String address, final long size) {
        final ZContext context = new ZContext(1);
        final ZMQ.Socket push = context.createSocket(org.zeromq.SocketType.PUSH);
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
        pull.setReceiveTimeOut(TIMEOUT_MS);
        pull.bind(address);
        final byte[] data = new byte[(int) size];
        return new Stream.Receiver() {
            @Override
            public void receiveAll(final Stream.Trace trace) {
                while (!trace.done()) {
                    if (pull.recv(data, 0, data.length, 0) != data.length) {
                        throw new IllegalStateException("receive failed or timed out: size=" + size);
                    }
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
