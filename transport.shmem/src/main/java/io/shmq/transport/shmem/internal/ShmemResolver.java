package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.DataAddressResolver;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.api.TransportFactory;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import org.osgi.service.component.annotations.Component;

/**
 * The {@link DataAddressResolver} service (FairMQ's {@code GetDataAddressFromHandle}, PR #555, done right):
 * resolves a header through any shared-memory factory of the session, attaching the other process's segment or
 * region on first use, never caching a miss. A factory of another provider is refused with
 * {@link SharedMemoryException}. Stateless: every cache lives in the factory, so the hot path is the factory's.
 *
 * <p>Raw access to a returned segment after its factory closed throws {@link IllegalStateException} (the FFM
 * API's closed-scope check), never crashes the JVM; calls into shmq translate it to
 * {@link io.shmq.transport.api.TransportClosedException}.
 */
@Component(service = DataAddressResolver.class)
public final class ShmemResolver implements DataAddressResolver {
    /** Creates the service. */
    public ShmemResolver() {
    }

    @Override
    public MemorySegment resolve(final TransportFactory factory, final MetaHeader meta) {
        Objects.requireNonNull(factory, "factory");
        Objects.requireNonNull(meta, "meta");
        if (!(factory instanceof ShmemFactory shm)) {
            throw new SharedMemoryException("factory id=" + factory.id() + " of kind=" + factory.kind()
                    + " is not a shared-memory factory: cannot resolve " + meta);
        }
        return shm.mappings().resolve(meta);
    }
}
