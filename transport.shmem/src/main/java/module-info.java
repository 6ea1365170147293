/**
 * The shared-memory transport on the FFM API. Exports nothing: users reach it through the
 * {@link io.shmq.transport.api.Transport} and {@link io.shmq.transport.api.DataAddressResolver} services
 * (OSGi Declarative Services or {@link java.util.ServiceLoader}).
 */
module io.shmq.transport.shmem {
    requires io.shmq.transport.api;
    // DS annotations are build-time only (CLASS retention, read by bnd).
    requires static org.osgi.service.component.annotations;
    requires static org.osgi.service.metatype.annotations;

    provides io.shmq.transport.api.Transport with io.shmq.transport.shmem.internal.ShmemTransport;
    provides io.shmq.transport.api.DataAddressResolver with io.shmq.transport.shmem.internal.ShmemResolver;
}
