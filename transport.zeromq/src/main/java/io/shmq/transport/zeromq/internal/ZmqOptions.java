package io.shmq.transport.zeromq.internal;

import io.shmq.transport.api.FactoryConfig;
import java.util.List;
import java.util.Map;

/**
 * The zeromq provider's options ({@link FactoryConfig#options()} under the prefix {@value #PREFIX}), parsed once per
 * factory. Keys are kebab-case, as the shared-memory provider's; an unknown key under the prefix is rejected with the
 * list of known keys; keys of other prefixes belong to other providers and are ignored.
 *
 * @param ioThreads           {@value #IO_THREADS}: the I/O threads of the factory's JeroMQ context (default 1, as
 *                            FairMQ's {@code --io-threads})
 * @param handshakeIntervalMs {@value #HANDSHAKE_INTERVAL_MS}: how long a connection may take its ZMTP handshake
 *                            before JeroMQ drops it and reconnects (default {@value #DEFAULT_HANDSHAKE_INTERVAL_MS};
 *                            short, because JeroMQ 0.6.0 sometimes stalls a fresh tcp connection, see ZmqSocket)
 * @param jeromqIpcEmulation  {@value #JEROMQ_IPC_EMULATION}: whether {@code ipc://} addresses are accepted and given
 *                            to JeroMQ, which maps them to loopback tcp (default false: refused, see ZmqSocket)
 */
public record ZmqOptions(int ioThreads, int handshakeIntervalMs, boolean jeromqIpcEmulation) {
    /** The prefix of this provider's keys. */
    public static final String PREFIX = "zeromq.";
    /** The number of JeroMQ I/O threads of a factory's context. */
    public static final String IO_THREADS = PREFIX + "io-threads";
    /** The handshake interval of every socket, in milliseconds. */
    public static final String HANDSHAKE_INTERVAL_MS = PREFIX + "handshake-interval-ms";
    /**
     * Whether {@code ipc://} uses JeroMQ's emulation (loopback tcp, no socket file) instead of being refused. The
     * libzmq provider accepts and ignores the key, as this provider accepts the libzmq provider's: one factory
     * configuration may reach either zeromq provider.
     */
    public static final String JEROMQ_IPC_EMULATION = PREFIX + "jeromq-ipc-emulation";
    /** Every key. */
    public static final List<String> KEYS = List.of(IO_THREADS, HANDSHAKE_INTERVAL_MS, JEROMQ_IPC_EMULATION);
    /** The handshake interval when none is configured. */
    public static final int DEFAULT_HANDSHAKE_INTERVAL_MS = 1000;

    /** Checks the components. */
    public ZmqOptions {
        if (ioThreads < 1) {
            throw new IllegalArgumentException(IO_THREADS + " must be a positive integer: " + IO_THREADS + "="
                    + ioThreads);
        }
        if (handshakeIntervalMs < 1) {
            throw new IllegalArgumentException(HANDSHAKE_INTERVAL_MS + " must be a positive integer: "
                    + HANDSHAKE_INTERVAL_MS + "=" + handshakeIntervalMs);
        }
    }

    /**
     * @return the options of {@code config}
     * @throws IllegalArgumentException naming the key for an unknown key or a bad value
     */
    public static ZmqOptions of(final FactoryConfig config) {
        final Map<String, String> options = config.options();
        for (final String key : options.keySet()) {
            if (key.startsWith(PREFIX) && !KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown zeromq option: key=" + key + ", known=" + KEYS);
            }
        }
        return new ZmqOptions(positive(options, IO_THREADS, 1),
                positive(options, HANDSHAKE_INTERVAL_MS, DEFAULT_HANDSHAKE_INTERVAL_MS),
                bool(options, JEROMQ_IPC_EMULATION));
    }

    private static boolean bool(final Map<String, String> options, final String key) {
        final String value = options.get(key);
        if (value == null) {
            return false;
        }
        final String v = value.strip();
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v);
        }
        throw new IllegalArgumentException(key + " must be true or false: " + key + "=" + value);
    }

    private static int positive(final Map<String, String> options, final String key, final int fallback) {
        final String value = options.get(key);
        if (value == null) {
            return fallback;
        }
        final int parsed;
        try {
            parsed = Integer.parseInt(value.strip());
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a positive integer: " + key + "=" + value, e);
        }
        if (parsed < 1) {
            throw new IllegalArgumentException(key + " must be a positive integer: " + key + "=" + value);
        }
        return parsed;
    }
}
