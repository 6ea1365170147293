package io.shmq.transport.shmem.internal;

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
 * The shared-memory {@link Transport} service: a DS component with {@code transport.kind=shmem}, and a
 * {@link java.util.ServiceLoader} provider (public, no-argument constructor) for plain Java and benchmarks.
 *
 * <p>When the component is deactivated (its bundle stopped, updated or uninstalled) it closes every factory it made
 * that is still open: no mapping and no worker thread outlives the bundle's class loader, and a consumer that keeps
 * using such a factory gets {@link io.shmq.transport.api.TransportClosedException} and rebinds to the new service.
 */
@Component(service = Transport.class, property = Transport.KIND_PROPERTY + "=shmem")
public final class ShmemTransport implements Transport {
    private final Set<ShmemFactory> factories = new HashSet<>();
    private boolean deactivated;

    /** Creates the service; every factory owns its own mappings. */
    public ShmemTransport() {
    }

    @Override
    public TransportKind kind() {
        return TransportKind.SHMEM;
    }

    @Override
    public synchronized TransportFactory createFactory(final FactoryConfig config) {
        if (deactivated) {
            throw new TransportClosedException("the shmem transport service was deactivated: cannot create factory id="
                    + config.id());
        }
        factories.removeIf(ShmemFactory::isClosed);
        final ShmemFactory factory = new ShmemFactory(config);
        factories.add(factory);
        return factory;
    }

    /** Closes the factories this service made that are still open; called by DS when the component goes away. */
    @Deactivate
    synchronized void deactivate() {
        deactivated = true;
        for (final ShmemFactory factory : factories) {
            factory.close();
        }
        factories.clear();
    }
}
