package io.shmq.transport.api;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A block of memory the user manages, made by {@link TransportFactory#createUnmanagedRegion}. Messages point into
 * it with {@link TransportFactory#createMessage(UnmanagedRegion, long, long, long)}; when the last reference to
 * such a message is released, in any process, the creator's callback is told.
 *
 * <p>{@code @ProviderType}: implemented by transport providers only.
 */
@ProviderType
public interface UnmanagedRegion extends AutoCloseable {
    /** @return the region id, unique in the session */
    int id();

    /** @return the region's memory, {@link #size()} bytes */
    MemorySegment data();

    /** @return the region size in bytes */
    long size();

    /** @return how long {@link #close()} waits for outstanding acknowledgements */
    Duration linger();

    /** @param linger how long {@link #close()} waits for outstanding acknowledgements, not negative */
    void setLinger(Duration linger);

    /**
     * Waits up to {@link #linger()} for the acknowledgements of released blocks, delivers them, then destroys the
     * region. Idempotent.
     */
    @Override
    void close();
}
