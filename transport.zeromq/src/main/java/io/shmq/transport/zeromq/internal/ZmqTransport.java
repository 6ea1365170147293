package io.shmq.transport.zeromq.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;
import org.osgi.service.component.annotations.Component;

/**
 * The zeromq {@link Transport} service: a DS component in OSGi, a {@link java.util.ServiceLoader} provider on the
 * module path. Stateless; every factory owns its own JeroMQ context.
 *
 * <p>Options (keys of {@link FactoryConfig#options()} with the prefix {@value #OPTION_PREFIX}; another key of that
 * prefix is rejected): {@value #IO_THREADS} (the context's I/O threads, default 1, as FairMQ's
 * {@code --io-threads}).
 */
@Component(service = Transport.class, property = Transport.KIND_PROPERTY + "=zeromq")
public final class ZmqTransport implements Transport {
    /** The prefix of this provider's options. */
    public static final String OPTION_PREFIX = "zeromq.";
    /** The number of JeroMQ I/O threads of a factory's context. */
    public static final String IO_THREADS = OPTION_PREFIX + "ioThreads";

    /** For DS and ServiceLoader. */
    public ZmqTransport() {
    }

    @Override
    public TransportKind kind() {
        return TransportKind.ZEROMQ;
    }

    @Override
    public TransportFactory createFactory(final FactoryConfig config) {
        int ioThreads = 1;
        for (final var entry : config.options().entrySet()) {
            if (!entry.getKey().startsWith(OPTION_PREFIX)) {
                continue;
            }
            if (!entry.getKey().equals(IO_THREADS)) {
                throw new IllegalArgumentException("unknown zeromq option: key=" + entry.getKey() + ", known="
                        + IO_THREADS);
            }
            try {
                ioThreads = Integer.parseInt(entry.getValue());
            } catch (final NumberFormatException e) {
                ioThreads = 0;
            }
            if (ioThreads < 1) {
                throw new IllegalArgumentException(IO_THREADS + " must be a positive integer: " + IO_THREADS + "="
                        + entry.getValue());
            }
        }
        return new ZmqFactory(config, ioThreads);
    }

    @Override
    public String toString() {
        return "ZmqTransport[kind=zeromq]";
    }
}
