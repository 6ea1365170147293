package io.shmq.transport.zeromq.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;
import java.util.HashSet;
import java.util.Set;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

/**
 * The zeromq {@link Transport} service: a DS component in OSGi, a {@link java.util.ServiceLoader} provider on the
 * module path. Every factory owns its own JeroMQ context. When the component is deactivated (bundle stopped, updated
 * or uninstalled) it closes every factory it made that is still open, so that no context thread outlives the
 * bundle; a consumer still holding such a factory gets {@link io.shmq.transport.api.TransportClosedException}.
 *
 * <p>Options: {@link ZmqOptions} ({@value #IO_THREADS}, the context's I/O threads, default 1).
 */
@Component(service = Transport.class, property = Transport.KIND_PROPERTY + "=zeromq")
public final class ZmqTransport implements Transport {
    /** The prefix of this provider's options. */
    public static final String OPTION_PREFIX = ZmqOptions.PREFIX;
    /** The number of JeroMQ I/O threads of a factory's context. */
    public static final String IO_THREADS = ZmqOptions.IO_THREADS;

    private final Set<ZmqFactory> factories = new HashSet<>();
    private boolean deactivated;

    /** For DS and ServiceLoader. */
    public ZmqTransport() {
    }

    @Override
    public TransportKind kind() {
        return TransportKind.ZEROMQ;
    }

    @Override
    public synchronized TransportFactory createFactory(final FactoryConfig config) {
        if (deactivated) {
            throw new TransportClosedException("the zeromq transport service was deactivated: cannot create factory id="
                    + config.id());
        }
        final ZmqOptions options = ZmqOptions.of(config);
        factories.removeIf(ZmqFactory::isClosed);
        final ZmqFactory factory = new ZmqFactory(config, options.ioThreads());
        factories.add(factory);
        return factory;
    }

    /** Closes the factories this service made that are still open; called by DS when the component goes away. */
    @Deactivate
    synchronized void deactivate() {
        deactivated = true;
        for (final ZmqFactory factory : factories) {
            factory.close();
        }
        factories.clear();
    }

    @Override
    public String toString() {
        return "ZmqTransport[kind=zeromq]";
    }
}
