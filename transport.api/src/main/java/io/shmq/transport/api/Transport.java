package io.shmq.transport.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The service a transport provider registers, one per {@link TransportKind}, with the service property
 * {@value #KIND_PROPERTY} set to {@link TransportKind#configName()}. On a plain module path the same
 * implementation is found through {@link java.util.ServiceLoader}.
 *
 * <p>{@code @ProviderType}: only transport providers implement it; adding a method is a minor change for users.
 */
@ProviderType
public interface Transport {
    /** The service property that names the kind of a registered transport: {@code shmem} or {@code zeromq}. */
    String KIND_PROPERTY = "transport.kind";

    /** @return the kind of factories this transport creates */
    TransportKind kind();

    /**
     * Creates a factory for one device. The caller owns the factory and must close it.
     *
     * @param config the factory id, the session and the provider options
     * @return a new open factory
     * @throws TransportException       when the factory cannot be created (for shared memory: the session's files
     *                                  cannot be created or attached)
     * @throws IllegalArgumentException when the configuration is invalid for this provider
     */
    TransportFactory createFactory(FactoryConfig config);
}
