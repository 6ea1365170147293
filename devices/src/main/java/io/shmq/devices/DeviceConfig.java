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

    /**
     * Reads a device's Configuration Admin properties: {@code id} (default: {@code service.pid}), {@code session}
     * (default {@value FactoryConfig#DEFAULT_SESSION}), {@code transport} (default {@code shmem}),
     * {@code channel-config} (FairMQ syntax: a string or an array of strings, several entries in one string
     * separated by white space); every other property whose key has no {@code .} (so not {@code service.pid},
     * {@code component.name}, {@code felix.fileinstall.filename}) becomes an option, as a string.
     *
     * @param properties the configuration
     * @return the device configuration
     * @throws IllegalArgumentException for a missing or bad key, naming it
     */
    public static DeviceConfig fromProperties(final Map<String, ?> properties) {
        final String pid = String.valueOf(properties.get("service.pid"));
        final String id = text(properties, "id", pid);
        final String kindName = text(properties, "transport", TransportKind.SHMEM.configName());
        final TransportKind kind;
        try {
            kind = TransportKind.fromConfigName(kindName);
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("bad value: key=transport, value=" + kindName + ", id=" + id, e);
        }
        final Object raw = properties.get("channel-config");
        final java.util.List<String> values = new java.util.ArrayList<>();
        if (raw instanceof String one) {
            values.add(one);
        } else if (raw instanceof String[] many) {
            values.addAll(java.util.Arrays.asList(many));
        } else if (raw instanceof java.util.Collection<?> many) {
            many.forEach(v -> values.add(String.valueOf(v)));
        } else if (raw != null) {
            throw new IllegalArgumentException("bad value: key=channel-config, type=" + raw.getClass().getName()
                    + ", id=" + id);
        }
        final java.util.List<String> entries = values.stream().flatMap(v -> java.util.Arrays.stream(
                v.strip().split("\\s+"))).filter(v -> !v.isEmpty()).toList();
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("missing key: key=channel-config, id=" + id);
        }
        final Map<String, String> options = new java.util.TreeMap<>();
        properties.forEach((k, v) -> {
            if (!k.contains(".") && !k.equals("channel-config") && v != null && !v.getClass().isArray()) {
                options.put(k, String.valueOf(v));
            }
        });
        return new DeviceConfig(id, text(properties, "session", FactoryConfig.DEFAULT_SESSION), kind,
                ChannelSyntax.parse(entries, kind), options);
    }

    private static String text(final Map<String, ?> properties, final String key, final String defaultValue) {
        final Object v = properties.get(key);
        return v == null || String.valueOf(v).isBlank() ? defaultValue : String.valueOf(v).strip();
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
