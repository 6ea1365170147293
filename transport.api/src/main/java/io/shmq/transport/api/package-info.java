/**
 * The shmq transport API.
 *
 * <p>A {@link io.shmq.transport.api.Transport} (one OSGi service per provider, with the service property
 * {@value io.shmq.transport.api.Transport#KIND_PROPERTY}) creates a {@link io.shmq.transport.api.TransportFactory}
 * per device. The factory makes {@link io.shmq.transport.api.Message messages},
 * {@link io.shmq.transport.api.Socket sockets}, {@link io.shmq.transport.api.Poller pollers} and
 * {@link io.shmq.transport.api.UnmanagedRegion unmanaged regions}, and closes everything it made.
 *
 * <p>The shared-memory provider passes only a 40-byte {@link io.shmq.transport.api.MetaHeader} between processes;
 * the payload stays in shared memory. The side channel: a producer allocates messages and never sends them, ships
 * their {@link io.shmq.transport.api.MetaHeader}s out of band, and a consumer in another process resolves each
 * payload in place through the {@link io.shmq.transport.api.DataAddressResolver} service.
 *
 * <p>Errors are unchecked: {@link io.shmq.transport.api.TransportException} and its subclasses. Misuse (a negative
 * size, a message of another factory) throws {@link java.lang.IllegalArgumentException}; socket transfers report
 * expected outcomes (timeout, interruption) as negative result codes, as FairMQ does.
 *
 * <p>This package imports only {@code java.*}. Versions: 1.0.0, the first release; 1.1.0 adds the sub sockets' topic
 * filter ({@link io.shmq.transport.api.Socket#subscribe(byte[])}, {@code unsubscribe}, {@code MAX_TOPIC_BYTES}).
 */
@Export
@Version("1.1.0")
package io.shmq.transport.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
