package io.shmq.transport.api;

import java.time.Duration;
import java.util.Objects;

/**
 * A channel as FairMQ configures it: a named socket of one type that binds or connects to an address, with its
 * high-water marks and linger.
 *
 * @param name                 the channel name, also the socket's name
 * @param type                 the socket pattern
 * @param method               bind or connect
 * @param address              the address, e.g. {@code tcp://127.0.0.1:5555} or {@code ipc://sampler}
 * @param sendHighWaterMark    the send queue limit in messages, at least 1
 * @param receiveHighWaterMark the receive queue limit in messages, at least 1
 * @param linger               how long close waits to deliver queued messages
 */
public record ChannelConfig(String name, SocketType type, ChannelMethod method, String address,
                            int sendHighWaterMark, int receiveHighWaterMark, Duration linger) {
    /** Validates the channel. */
    public ChannelConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(linger, "linger");
        if (name.isBlank()) {
            throw new IllegalArgumentException("channel name must not be blank");
        }
        if (sendHighWaterMark < 1 || receiveHighWaterMark < 1) {
            throw new IllegalArgumentException("high-water marks must be at least 1: sendHighWaterMark="
                    + sendHighWaterMark + ", receiveHighWaterMark=" + receiveHighWaterMark);
        }
        if (linger.isNegative()) {
            throw new IllegalArgumentException("linger must not be negative: linger=" + linger);
        }
    }

    /**
     * @param name    channel name
     * @param type    socket pattern
     * @param method  bind or connect
     * @param address address
     * @return a channel with the default high-water marks (1000, as FairMQ) and {@link Socket#DEFAULT_LINGER}
     */
    public static ChannelConfig of(final String name, final SocketType type, final ChannelMethod method,
                                   final String address) {
        return new ChannelConfig(name, type, method, address, Socket.DEFAULT_HIGH_WATER_MARK,
                Socket.DEFAULT_HIGH_WATER_MARK, Socket.DEFAULT_LINGER);
    }

    /**
     * Creates the channel's socket on {@code factory}, applies the options and binds or connects it.
     *
     * @param factory the factory to make the socket with
     * @return the open socket, owned by the caller
     * @throws SocketException when binding or connecting fails (the socket is closed again)
     */
    public Socket open(final TransportFactory factory) {
        final Socket socket = factory.createSocket(type, name);
        try {
            socket.setSendHighWaterMark(sendHighWaterMark);
            socket.setReceiveHighWaterMark(receiveHighWaterMark);
            socket.setLinger(linger);
            if (method == ChannelMethod.BIND) {
                socket.bind(address);
            } else {
                socket.connect(address);
            }
            return socket;
        } catch (final RuntimeException e) {
            socket.close();
            throw e;
        }
    }
}
