package io.shmq.transport.zeromq.internal;

import io.shmq.transport.api.FactoryConfig;
import java.util.List;
import java.util.Map;

/**
 * The zeromq provider's options ({@link FactoryConfig#options()} under the prefix {@value #PREFIX}), parsed once per
 * factory. Keys are kebab-case, as the shared-memory provider's; an unknown key under the prefix is rejected with the
 * list of known keys; keys of other prefixes belong to other providers and are ignored.
 *
 * @param ioThreads {@value #IO_THREADS}: the I/O threads of the factory's JeroMQ context (default 1, as FairMQ's
 *                  {@code --io-threads})
 */
public record ZmqOptions(int ioThreads) {
    /** The prefix of this provider's keys. */
    public static final String PREFIX = "zeromq.";
    /** The number of JeroMQ I/O threads of a factory's context. */
    public static final String IO_THREADS = PREFIX + "io-threads";
    /** Every key. */
    public static final List<String> KEYS = List.of(IO_THREADS);

    /** Checks the components. */
    public ZmqOptions {
        if (ioThreads < 1) {
            throw new IllegalArgumentException(IO_THREADS + " must be a positive integer: " + IO_THREADS + "="
                    + ioThreads);
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
        final String value = options.getOrDefault(IO_THREADS, "1");
        final int ioThreads;
        try {
            ioThreads = Integer.parseInt(value);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException(IO_THREADS + " must be a positive integer: " + IO_THREADS + "="
                    + value, e);
        }
        if (ioThreads < 1) {
            throw new IllegalArgumentException(IO_THREADS + " must be a positive integer: " + IO_THREADS + "="
                    + value);
        }
        return new ZmqOptions(ioThreads);
    }
}
