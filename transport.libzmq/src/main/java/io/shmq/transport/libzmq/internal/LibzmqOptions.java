package io.shmq.transport.libzmq.internal;

import io.shmq.transport.api.FactoryConfig;
import java.util.List;
import java.util.Map;

/**
 * The libzmq provider's options ({@link FactoryConfig#options()} under the prefix {@value #PREFIX}), parsed once per
 * factory. Both zeromq providers read the same {@code zeromq.*} keys, because one {@link FactoryConfig} may reach
 * either (a device asks for kind zeromq and gets the provider with the highest ranking): each accepts every key of
 * the other, and rejects any other key under the prefix with the list of known keys. The JeroMQ provider's
 * {@code ZmqOptions} holds the same key names; the two records are separate on purpose (two bundles that share no
 * package but the API, which should not carry one provider's option parsing).
 *
 * @param ioThreads           {@value #IO_THREADS}: the I/O threads of the factory's libzmq context
 *                            ({@code ZMQ_IO_THREADS}, default 1, as FairMQ's {@code --io-threads})
 * @param handshakeIntervalMs {@value #HANDSHAKE_INTERVAL_MS}: {@code ZMQ_HANDSHAKE_IVL} of every socket (default
 *                            {@value #DEFAULT_HANDSHAKE_INTERVAL_MS}, libzmq's own)
 */
public record LibzmqOptions(int ioThreads, int handshakeIntervalMs) {
    /** The prefix of the zeromq providers' keys. */
    public static final String PREFIX = "zeromq.";
    /** The number of libzmq I/O threads of a factory's context. */
    public static final String IO_THREADS = PREFIX + "io-threads";
    /** The handshake interval of every socket, in milliseconds. */
    public static final String HANDSHAKE_INTERVAL_MS = PREFIX + "handshake-interval-ms";
    /** The JeroMQ provider's switch for its ipc emulation; accepted and ignored here (libzmq's ipc is real). */
    public static final String JEROMQ_IPC_EMULATION = PREFIX + "jeromq-ipc-emulation";
    /** Every key. */
    public static final List<String> KEYS = List.of(IO_THREADS, HANDSHAKE_INTERVAL_MS, JEROMQ_IPC_EMULATION);
    /** libzmq's default handshake interval. */
    public static final int DEFAULT_HANDSHAKE_INTERVAL_MS = 30_000;

    /** Checks the components. */
    public LibzmqOptions {
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
     * @param config a factory configuration
     * @return its options
     * @throws IllegalArgumentException naming the key for an unknown key or a bad value
     */
    public static LibzmqOptions of(final FactoryConfig config) {
        final Map<String, String> options = config.options();
        for (final String key : options.keySet()) {
            if (key.startsWith(PREFIX) && !KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown zeromq option: key=" + key + ", known=" + KEYS);
            }
        }
        final String emulation = options.get(JEROMQ_IPC_EMULATION);
        if (emulation != null && !emulation.strip().equalsIgnoreCase("true")
                && !emulation.strip().equalsIgnoreCase("false")) {
            throw new IllegalArgumentException(JEROMQ_IPC_EMULATION + " must be true or false: "
                    + JEROMQ_IPC_EMULATION + "=" + emulation);
        }
        return new LibzmqOptions(positive(options, IO_THREADS, 1),
                positive(options, HANDSHAKE_INTERVAL_MS, DEFAULT_HANDSHAKE_INTERVAL_MS));
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
