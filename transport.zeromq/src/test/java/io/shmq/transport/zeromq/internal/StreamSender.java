package io.shmq.transport.zeromq.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.testkit.StreamSpec;

/**
 * The second JVM of {@link ZmqTwoProcessTest}: connects a shmq push socket to the address in {@code args[0]} and
 * sends {@code args[1]} messages of {@link StreamSpec}, then closes its factory with the default linger, which
 * delivers what is still queued. Exit code 0 means every send returned the message's size.
 */
public final class StreamSender {
    private StreamSender() {
    }

    /**
     * @param args the address to connect to, the number of messages
     */
    public static void main(final String[] args) {
        final String address = args[0];
        final long count = Long.parseLong(args[1]);
        try (TransportFactory factory = new ZmqTransport().createFactory(FactoryConfig.of("sender", "two-jvm"));
             Socket push = factory.createSocket(SocketType.PUSH, "stream")) {
            push.connect(address);
            for (long seq = 0; seq < count; seq++) {
                try (Message message = factory.createMessage(StreamSpec.size(seq))) {
                    StreamSpec.fill(message.data(), seq);
                    final long result = push.send(message, -1);
                    if (result != StreamSpec.size(seq)) {
                        System.err.println("send failed: seq=" + seq + ", result=" + result);
                        System.exit(2);
                    }
                }
            }
            System.out.println("sent " + count + " messages, " + push.bytesSent() + " bytes");
        }
    }
}
