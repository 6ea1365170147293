package io.shmq.devices;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.TransportKind;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The configuration of one device instance.
 *
 * @param id        the device id (FairMQ's {@code --id}), also its factories' id
 * @param session   the session its factories join (FairMQ's {@code --session})
 * @param transport the default transport (FairMQ's {@code --transport}), used by channels that name none
 * @param channels  one spec per sub-channel
 * @param options   the task's options, e.g. {@code msg-size=1024}
 */
public record DeviceConfig(String id, String session, TransportKind transport, List<ChannelSpec> channels,
                           Map<String, String> options) {
    /** Validates the configuration and freezes the lists. */
    public DeviceConfig {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(session, "session");
        Objects.requireNonNull(transport, "transport");
        channels = List.copyOf(channels);
        options = Map.copyOf(options);
        FactoryConfig.of(id, session);
        final Set<String> keys = new java.util.HashSet<>();
        for (final ChannelSpec spec : channels) {
            if (!keys.add(spec.key())) {
                throw new IllegalArgumentException("sub-channel given twice: channel=" + spec.key() + ", id=" + id);
            }
        }
    }

    /** @return the transport kinds the channels use */
    public Set<TransportKind> kinds() {
        final Set<TransportKind> kinds = EnumSet.noneOf(TransportKind.class);
        channels.forEach(c -> kinds.add(c.transport()));
        return kinds;
    }

    /**
     * @param key          an option key
     * @param defaultValue the value when the key is not set
     * @return the option as a long
     * @throws IllegalArgumentException when the value is not a number, naming the key
     */
    public long longOption(final String key, final long defaultValue) {
        final String value = options.get(key);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            return Long.parseLong(value.strip());
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("not an integer: key=" + key + ", value=" + value + ", id=" + id, e);
        }
    }

    /**
     * @param key          an option key
     * @param defaultValue the value when the key is not set
     * @return the option as a boolean ({@code true} or {@code false})
     * @throws IllegalArgumentException for any other value, naming the key
     */
    public boolean booleanOption(final String key, final boolean defaultValue) {
        final String value = options.get(key);
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        return switch (value.strip()) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("not true or false: key=" + key + ", value=" + value
                    + ", id=" + id);
        };
    }
}
