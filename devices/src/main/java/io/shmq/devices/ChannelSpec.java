package io.shmq.devices;

import io.shmq.transport.api.ChannelConfig;
import io.shmq.transport.api.TransportKind;
import java.util.Objects;

/**
 * One socket of a device: sub-channel {@code index} of the channel {@code name}, with its socket settings, the kind
 * of transport it runs on and how often its rates are logged. A FairMQ channel with several addresses becomes one
 * spec per address (indexes 0, 1, ...), each its own socket.
 *
 * @param name        the channel name, e.g. {@code data}
 * @param index       the sub-channel index, from 0
 * @param config      the socket's type, method, address, high-water marks and linger; its name is {@link #key()}
 * @param transport   the kind of transport the socket is made with
 * @param rateLogging seconds between two rate lines of this channel, 0 for none (FairMQ's {@code rateLogging})
 */
public record ChannelSpec(String name, int index, ChannelConfig config, TransportKind transport, int rateLogging) {
    /** Validates the spec. */
    public ChannelSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(transport, "transport");
        if (index < 0) {
            throw new IllegalArgumentException("sub-channel index must not be negative: index=" + index);
        }
        if (rateLogging < 0) {
            throw new IllegalArgumentException("rateLogging must not be negative: rateLogging=" + rateLogging);
        }
    }

    /**
     * @param config    a socket configuration; its name is the channel name
     * @param transport the kind of transport
     * @return sub-channel 0 of that channel, with rate logging every second (FairMQ's default)
     */
    public static ChannelSpec of(final ChannelConfig config, final TransportKind transport) {
        return new ChannelSpec(config.name(), 0, config, transport, 1);
    }

    /** @return {@code name[index]}, as FairMQ names a sub-channel */
    public String key() {
        return key(name, index);
    }

    static String key(final String name, final int index) {
        return name + "[" + index + "]";
    }
}
