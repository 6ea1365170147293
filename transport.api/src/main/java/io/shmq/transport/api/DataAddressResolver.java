package io.shmq.transport.api;

import java.lang.foreign.MemorySegment;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Resolves a {@link MetaHeader} received out of band to its payload in place, without taking ownership: FairMQ's
 * {@code GetDataAddressFromHandle} (PR #555), named for what it takes. Registered as a service by the
 * shared-memory provider.
 *
 * <p>Behaviour:
 * <ul>
 *   <li>a managed header resolves to exactly {@code size} bytes in its segment, a region header to
 *       {@code size} bytes at {@code handle} in its region; segments and regions of other processes of the session
 *       are attached on first use;</li>
 *   <li>a zero-size managed header resolves to {@link MemorySegment#NULL};</li>
 *   <li>a factory that is not shared memory, an unknown segment or region id, a destroyed region, a handle or
 *       size outside the segment or region, or a header from another session: {@link SharedMemoryException}
 *       naming the ids and the bounds;</li>
 *   <li>a miss is never cached: a header whose region does not exist yet fails, and the same call on the same
 *       thread succeeds once another process has created it;</li>
 *   <li>repeated resolution against a known segment or region takes no lock and allocates nothing beyond the
 *       returned segment view.</li>
 * </ul>
 * The segment is valid while the producer keeps the message open; after the factory closes, access through it
 * throws instead of crashing the JVM.
 *
 * <p>{@code @ProviderType}: implemented by the shared-memory provider only.
 */
@ProviderType
public interface DataAddressResolver {
    /**
     * @param factory a factory of the session the header comes from
     * @param meta    the header
     * @return a view of exactly {@code meta.size()} bytes of the payload
     * @throws SharedMemoryException    when the header cannot be resolved through this factory
     * @throws TransportClosedException when the factory is closed
     */
    MemorySegment resolve(TransportFactory factory, MetaHeader meta);

    /**
     * The raw address of the payload, for native code. Valid under the same conditions as {@link #resolve}.
     *
     * @param factory a factory of the session the header comes from
     * @param meta    the header
     * @return the payload's address in this process, or 0 for a zero-size managed header
     */
    default long address(final TransportFactory factory, final MetaHeader meta) {
        return resolve(factory, meta).address();
    }
}
