/**
 * The ZeroMQ transport on JeroMQ: payloads are copied into ZeroMQ frames, so it reaches other machines and any
 * ZeroMQ peer (FairMQ's zeromq devices speak the same wire protocol). Exports nothing; the transport is found as a
 * {@link io.shmq.transport.api.Transport} service (OSGi) or through {@link java.util.ServiceLoader}.
 */
module io.shmq.transport.zeromq {
    requires io.shmq.transport.api;
    requires io.shmq.transport.zeromq.common;
    requires org.zeromq.jeromq;
    requires static osgi.annotation;
    requires static org.osgi.service.component.annotations;
    requires static org.osgi.service.metatype.annotations;

    provides io.shmq.transport.api.Transport with io.shmq.transport.zeromq.internal.ZmqTransport;
}
