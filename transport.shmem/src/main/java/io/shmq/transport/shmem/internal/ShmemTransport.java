package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;
import org.osgi.service.component.annotations.Component;

/**
 * The shared-memory {@link Transport} service: a DS component with {@code transport.kind=shmem}, and a
 * {@link java.util.ServiceLoader} provider (public, no-argument constructor) for plain Java and benchmarks.
 */
@Component(service = Transport.class, property = Transport.KIND_PROPERTY + "=shmem")
public final class ShmemTransport implements Transport {
    /** Creates the service; it holds no state, every factory owns its own mappings. */
    public ShmemTransport() {
    }

    @Override
    public TransportKind kind() {
        return TransportKind.SHMEM;
    }

    @Override
    public TransportFactory createFactory(final FactoryConfig config) {
        return new ShmemFactory(config);
    }
}
