package io.shmq.transport.testkit;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportFactory;
import java.io.IOException;

/**
 * The second JVM of a two-JVM stream test ({@link TwoJvmStream}): makes a factory of the {@link Transport} class
 * named in {@code args[0]} (public, with a public no-argument constructor), connects a push socket to the address
 * in {@code args[1]} and sends {@code args[2]} messages of {@link StreamSpec}. Then, with {@code args[3]}:
 * <ul>
 *   <li>{@code sent}: closes its factory at once, with the default linger, which delivers what is still queued;</li>
 *   <li>{@code received}: stays connected until its standard input ends (the test closes it once everything
 *       arrived), for libzmq, which can drop the last messages of a sender that disconnects while the receiver is
 *       throttled at its high-water mark (see the libzmq provider's README).</li>
 * </ul>
 * Exit code 0 means every send returned the message's size.
 */
public final class StreamSender {
    private StreamSender() {
    }

    /**
     * @param args the transport class, the address to connect to, the number of messages, {@code sent} or
     *             {@code received}
     * @throws ReflectiveOperationException if the transport class cannot be made
     */
    public static void main(final String[] args) throws ReflectiveOperationException {
        final Transport transport = (Transport) Class.forName(args[0]).getConstructor().newInstance();
        final String address = args[1];
        final long count = Long.parseLong(args[2]);
        final boolean untilReceived = switch (args[3]) {
            case "sent" -> false;
            case "received" -> true;
            default -> throw new IllegalArgumentException("close after sent or received: " + args[3]);
        };
        try (TransportFactory factory = transport.createFactory(FactoryConfig.of("sender", "two-jvm"));
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
            if (untilReceived) {
                System.out.flush();
                while (System.in.read() >= 0) {
                    // until the test closes the pipe
                }
            }
        } catch (final IOException e) {
            System.err.println("stdin: " + e);
        }
    }
}
