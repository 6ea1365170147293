/**
 * The shmq transport API: interfaces, records, enums and exceptions only. Providers ({@code transport.shmem},
 * {@code transport.zeromq}) implement {@link io.shmq.transport.api.Transport}; users find them through
 * {@link java.util.ServiceLoader} on the module path or through the OSGi service registry.
 */
module io.shmq.transport.api {
    requires static osgi.annotation;

    exports io.shmq.transport.api;

    uses io.shmq.transport.api.Transport;
    uses io.shmq.transport.api.DataAddressResolver;
}
