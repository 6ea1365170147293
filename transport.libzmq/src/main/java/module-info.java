/**
 * The zeromq transport on libzmq, the C library every ZeroMQ program on Linux uses, bound through FFM downcalls:
 * real {@code ipc://} (Unix sockets), libzmq's speed, the same wire protocol as the JeroMQ provider. Exports nothing;
 * the transport is found as a {@link io.shmq.transport.api.Transport} service (OSGi, ranked above the JeroMQ
 * provider, registered only when {@code libzmq.so.5} loads) or through {@link java.util.ServiceLoader}.
 */
module io.shmq.transport.libzmq {
    requires io.shmq.transport.api;
    requires io.shmq.transport.zeromq.common;
    // DS annotations are build-time only (CLASS retention, read by bnd).
    requires static osgi.annotation;
    requires static org.osgi.service.component.annotations;
    requires static org.osgi.service.metatype.annotations;
    // Only the OSGi probe component uses it; never loaded on a plain module path.
    requires static org.osgi.service.component;

    provides io.shmq.transport.api.Transport with io.shmq.transport.libzmq.internal.LibzmqTransport;
}
