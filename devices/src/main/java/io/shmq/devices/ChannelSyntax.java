package io.shmq.devices;

import io.shmq.transport.api.ChannelConfig;
import io.shmq.transport.api.ChannelMethod;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.TransportKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * FairMQ's {@code --channel-config} syntax: comma-separated {@code key=value} pairs, e.g.
 * {@code name=data,type=push,method=bind,address=ipc://x,transport=shmem,sndBufSize=1000}.
 *
 * <p>Keys (as FairMQ): {@code name} and {@code type} are required; {@code method} ({@code bind} or {@code connect})
 * is required unless every address carries FairMQ's prefix ({@code @} binds, {@code +} or {@code >} connects);
 * {@code address} holds one or more addresses separated by {@code ;}, one sub-channel (socket) each;
 * {@code transport} ({@code shmem} or {@code zeromq}, default: the device's), {@code sndBufSize} and
 * {@code rcvBufSize} (high-water marks, messages, default 1000), {@code linger} (milliseconds),
 * {@code rateLogging} (seconds, 0 = off, default 1). {@code sndKernelSize} and {@code rcvKernelSize} are accepted
 * and checked but have no effect (no kernel buffers in either transport). Several entries with the same
 * {@code name} add sub-channels to that channel, as repeated {@code --channel-config} options do in FairMQ. Any
 * other key, a missing {@code =}, an empty or repeated key, or a bad value throws
 * {@link IllegalArgumentException} naming the key.
 */
public final class ChannelSyntax {
    /** Every key understood, in FairMQ's spelling. */
    public static final Set<String> KEYS = Set.of("name", "type", "method", "address", "transport", "sndBufSize",
            "rcvBufSize", "sndKernelSize", "rcvKernelSize", "linger", "rateLogging");

    private ChannelSyntax() {
    }

    /**
     * @param entries          channel entries in FairMQ's syntax; entries of one name add sub-channels
     * @param defaultTransport the transport of channels without a {@code transport} key
     * @return one spec per socket, in order: by channel (first appearance), then by sub-channel index
     * @throws IllegalArgumentException naming the key of the first error
     */
    public static List<ChannelSpec> parse(final List<String> entries, final TransportKind defaultTransport) {
        final Map<String, List<ChannelSpec>> byName = new LinkedHashMap<>();
        for (final String entry : entries) {
            for (final ChannelSpec spec : parseOne(entry, defaultTransport)) {
                final List<ChannelSpec> channel = byName.computeIfAbsent(spec.name(), n -> new ArrayList<>());
                channel.add(new ChannelSpec(spec.name(), channel.size(), renamed(spec.config(),
                        ChannelSpec.key(spec.name(), channel.size())), spec.transport(), spec.rateLogging()));
            }
        }
        return byName.values().stream().flatMap(List::stream).toList();
    }

    /**
     * @param entry            one channel in FairMQ's syntax
     * @param defaultTransport the transport when the entry has no {@code transport} key
     * @return one spec per address of the entry
     * @throws IllegalArgumentException naming the key of the first error
     */
    public static List<ChannelSpec> parse(final String entry, final TransportKind defaultTransport) {
        return parse(List.of(entry), defaultTransport);
    }

    /**
     * @param spec a channel spec
     * @return the spec in FairMQ's syntax (one address), readable by {@link #parse(String, TransportKind)}
     */
    public static String format(final ChannelSpec spec) {
        final ChannelConfig c = spec.config();
        return "name=" + spec.name() + ",type=" + c.type().configName() + ",method="
                + c.method().name().toLowerCase(java.util.Locale.ROOT) + ",address=" + c.address() + ",transport="
                + spec.transport().configName() + ",sndBufSize=" + c.sendHighWaterMark() + ",rcvBufSize="
                + c.receiveHighWaterMark() + ",linger=" + c.linger().toMillis() + ",rateLogging="
                + spec.rateLogging();
    }

    private static List<ChannelSpec> parseOne(final String entry, final TransportKind defaultTransport) {
        if (entry == null || entry.isBlank()) {
            throw new IllegalArgumentException("empty channel configuration: entry='" + entry + "'");
        }
        final Map<String, String> values = new LinkedHashMap<>();
        for (final String pair : entry.strip().split(",", -1)) {
            final int eq = pair.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("expected key=value: key='" + pair + "', entry='" + entry + "'");
            }
            final String key = pair.substring(0, eq).strip();
            final String value = pair.substring(eq + 1).strip();
            if (key.isEmpty()) {
                throw new IllegalArgumentException("empty key: key='', entry='" + entry + "'");
            }
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown key: key=" + key + ", known=" + String.join(",",
                        KEYS.stream().sorted().toList()) + ", entry='" + entry + "'");
            }
            if (values.put(key, value) != null) {
                throw new IllegalArgumentException("repeated key: key=" + key + ", entry='" + entry + "'");
            }
            if (value.isEmpty()) {
                throw new IllegalArgumentException("empty value: key=" + key + ", entry='" + entry + "'");
            }
        }
        final String name = required(values, "name", entry);
        final SocketType type = enumValue("type", required(values, "type", entry), entry, SocketType::fromConfigName);
        final ChannelMethod method = values.containsKey("method")
                ? enumValue("method", values.get("method"), entry, ChannelSyntax::method) : null;
        final TransportKind transport = values.containsKey("transport")
                ? enumValue("transport", values.get("transport"), entry, TransportKind::fromConfigName)
                : defaultTransport;
        final int sndBufSize = intValue(values, "sndBufSize", Socket.DEFAULT_HIGH_WATER_MARK, 1, entry);
        final int rcvBufSize = intValue(values, "rcvBufSize", Socket.DEFAULT_HIGH_WATER_MARK, 1, entry);
        intValue(values, "sndKernelSize", 0, 0, entry);
        intValue(values, "rcvKernelSize", 0, 0, entry);
        final int linger = intValue(values, "linger", (int) Socket.DEFAULT_LINGER.toMillis(), 0, entry);
        final int rateLogging = intValue(values, "rateLogging", 1, 0, entry);
        final List<ChannelSpec> specs = new ArrayList<>();
        for (final String raw : required(values, "address", entry).split(";", -1)) {
            String address = raw.strip();
            ChannelMethod socketMethod = method;
            if (address.startsWith("@")) {
                socketMethod = ChannelMethod.BIND;
                address = address.substring(1);
            } else if (address.startsWith("+") || address.startsWith(">")) {
                socketMethod = ChannelMethod.CONNECT;
                address = address.substring(1);
            }
            if (address.isEmpty()) {
                throw new IllegalArgumentException("empty address: key=address, entry='" + entry + "'");
            }
            if (socketMethod == null) {
                throw new IllegalArgumentException("missing key: key=method (or an address prefix @, + or >), entry='"
                        + entry + "'");
            }
            final ChannelConfig config = new ChannelConfig(name, type, socketMethod, address, sndBufSize,
                    rcvBufSize, Duration.ofMillis(linger));
            specs.add(new ChannelSpec(name, specs.size(), config, transport, rateLogging));
        }
        return specs;
    }

    private static ChannelConfig renamed(final ChannelConfig c, final String name) {
        return new ChannelConfig(name, c.type(), c.method(), c.address(), c.sendHighWaterMark(),
                c.receiveHighWaterMark(), c.linger());
    }

    private static ChannelMethod method(final String value) {
        return switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "bind" -> ChannelMethod.BIND;
            case "connect" -> ChannelMethod.CONNECT;
            default -> throw new IllegalArgumentException("unknown method: name=" + value + ", known=bind,connect");
        };
    }

    private static String required(final Map<String, String> values, final String key, final String entry) {
        final String value = values.get(key);
        if (value == null) {
            throw new IllegalArgumentException("missing key: key=" + key + ", entry='" + entry + "'");
        }
        return value;
    }

    private static <T> T enumValue(final String key, final String value, final String entry,
                                   final java.util.function.Function<String, T> lookup) {
        try {
            return lookup.apply(value);
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("bad value: key=" + key + ", value=" + value + " (" + e.getMessage()
                    + "), entry='" + entry + "'", e);
        }
    }

    private static int intValue(final Map<String, String> values, final String key, final int defaultValue,
                                final int min, final String entry) {
        final String value = values.get(key);
        if (value == null) {
            return defaultValue;
        }
        final int parsed;
        try {
            parsed = Integer.parseInt(value);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("not an integer: key=" + key + ", value=" + value + ", entry='"
                    + entry + "'", e);
        }
        if (parsed < min) {
            throw new IllegalArgumentException("too small: key=" + key + ", value=" + value + ", min=" + min
                    + ", entry='" + entry + "'");
        }
        return parsed;
    }
}
