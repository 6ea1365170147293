package io.shmq.transport.zeromq.common;

import io.shmq.transport.api.FactoryConfig;
import java.util.List;
import java.util.Map;

/**
 * The zeromq providers' options ({@link FactoryConfig#options()} under the prefix {@value #PREFIX}), parsed once per
 * factory. Both zeromq providers read the same keys, because one {@link FactoryConfig} may reach either (a device
 * asks for kind zeromq and gets the provider with the highest ranking): each accepts every key, and an unknown key
 * under the prefix is rejected with the list of known keys; keys of other prefixes belong to other providers and
 * are ignored. Keys are kebab-case, as the shared-memory provider's.
 *
 * @param ioThreads           {@value #IO_THREADS}: the I/O threads of the factory's context (JeroMQ's, or libzmq's
 *                            {@code ZMQ_IO_THREADS}; default 1, as FairMQ's {@code --io-threads})
 * @param handshakeIntervalMs {@value #HANDSHAKE_INTERVAL_MS}: how long a connection may take its ZMTP handshake
 *                            before it is dropped and redialled (the default is the provider's: 1000 on JeroMQ,
 *                            libzmq's own 30000 on libzmq)
 * @param jeromqIpcEmulation  {@value #JEROMQ_IPC_EMULATION}: whether the JeroMQ provider accepts {@code ipc://} and
 *                            gives it to JeroMQ, which maps it to loopback tcp (default false: refused); the libzmq
 *                            provider checks the value and ignores it (its ipc is real)
 */
public record ZeromqOptions(int ioThreads, int handshakeIntervalMs, boolean jeromqIpcEmulation) {
    /** The prefix of the zeromq providers' keys. */
    public static final String PREFIX = "zeromq.";
    /** The number of I/O threads of a factory's context. */
    public static final String IO_THREADS = PREFIX + "io-threads";
    /** The handshake interval of every socket, in milliseconds. */
    public static final String HANDSHAKE_INTERVAL_MS = PREFIX + "handshake-interval-ms";
    /** Whether {@code ipc://} uses JeroMQ's emulation (loopback tcp, no socket file) instead of being refused. */
    public static final String JEROMQ_IPC_EMULATION = PREFIX + "jeromq-ipc-emulation";
    /** Every key. */
    public static final List<String> KEYS = List.of(IO_THREADS, HANDSHAKE_INTERVAL_MS, JEROMQ_IPC_EMULATION);

    /** Checks the components. */
    public ZeromqOptions {
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
     * @param config                     a factory configuration
     * @param defaultHandshakeIntervalMs the provider's handshake interval when the configuration names none
     * @return its options
     * @throws IllegalArgumentException naming the key for an unknown key or a bad value
     */
    public static ZeromqOptions of(final FactoryConfig config, final int defaultHandshakeIntervalMs) {
        final Map<String, String> options = config.options();
        for (final String key : options.keySet()) {
            if (key.startsWith(PREFIX) && !KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown zeromq option: key=" + key + ", known=" + KEYS);
            }
        }
        return new ZeromqOptions(positive(options, IO_THREADS, 1),
                positive(options, HANDSHAKE_INTERVAL_MS, defaultHandshakeIntervalMs),
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
