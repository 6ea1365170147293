package io.shmq.devices;

import io.shmq.transport.api.Message;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.TransportFactory;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * An open sub-channel of a running device: its socket, the factory that made it and the counters behind the rate
 * lines. Transfers through this class are counted; the raw {@link #socket()} is there for what the class does not
 * wrap, but its transfers are not counted. Used by the device thread only, like the socket.
 */
public final class Channel {
    private final ChannelSpec spec;
    private final TransportFactory factory;
    private final Socket socket;
    private final ChannelCounters counters;

    Channel(final ChannelSpec spec, final TransportFactory factory, final Socket socket,
            final ChannelCounters counters) {
        this.spec = spec;
        this.factory = factory;
        this.socket = socket;
        this.counters = counters;
    }

    /** @return the channel's configuration */
    public ChannelSpec spec() {
        return spec;
    }

    /** @return the channel name, without the sub-channel index */
    public String name() {
        return spec.name();
    }

    /** @return the sub-channel index */
    public int index() {
        return spec.index();
    }

    /** @return the socket */
    public Socket socket() {
        return socket;
    }

    /** @return the factory of the channel's transport */
    public TransportFactory factory() {
        return factory;
    }

    /** @param size payload bytes @return a new message of this channel's transport */
    public Message newMessage(final long size) {
        return factory.createMessage(size);
    }

    /** @param source bytes to copy @return a new message of this channel's transport holding a copy */
    public Message newMessage(final MemorySegment source) {
        return factory.createMessage(source);
    }

    /**
     * @param message   the message; emptied on success
     * @param timeoutMs as {@link Socket#send(Message, long)}
     * @return as {@link Socket#send(Message, long)}
     */
    public long send(final Message message, final long timeoutMs) {
        final long result = socket.send(message, timeoutMs);
        if (result >= 0) {
            counters.sent(result);
        }
        return result;
    }

    /**
     * @param parts     the parts of one multipart message
     * @param timeoutMs as {@link Socket#send(List, long)}
     * @return as {@link Socket#send(List, long)}
     */
    public long send(final List<Message> parts, final long timeoutMs) {
        final long result = socket.send(parts, timeoutMs);
        if (result >= 0) {
            counters.sent(result);
        }
        return result;
    }

    /**
     * @param message   receives the content
     * @param timeoutMs as {@link Socket#receive(Message, long)}
     * @return as {@link Socket#receive(Message, long)}
     */
    public long receive(final Message message, final long timeoutMs) {
        final long result = socket.receive(message, timeoutMs);
        if (result >= 0) {
            counters.received(result);
        }
        return result;
    }

    /**
     * @param parts     a modifiable list, filled with the parts
     * @param timeoutMs as {@link Socket#receive(List, long)}
     * @return as {@link Socket#receive(List, long)}
     */
    public long receive(final List<Message> parts, final long timeoutMs) {
        final long result = socket.receive(parts, timeoutMs);
        if (result >= 0) {
            counters.received(result);
        }
        return result;
    }

    @Override
    public String toString() {
        return spec.key() + " " + spec.config().type() + " " + spec.config().method().name().toLowerCase(
                java.util.Locale.ROOT) + " " + spec.config().address() + " (" + spec.transport() + ")";
    }
}
