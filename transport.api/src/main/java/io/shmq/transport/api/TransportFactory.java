package io.shmq.transport.api;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Makes the messages, sockets, pollers and unmanaged regions of one device, and closes everything it made.
 * Created by {@link Transport#createFactory(FactoryConfig)}; thread-safe.
 *
 * <p>{@link #close()} closes sockets, pollers, regions and then the factory's mappings; messages that are still
 * open are released. Afterwards every method throws {@link TransportClosedException}.
 *
 * <p>{@code @ProviderType}: implemented by transport providers only.
 */
@ProviderType
public interface TransportFactory extends AutoCloseable {
    /** @return the factory id from the configuration */
    String id();

    /** @return the kind of this factory's transport */
    TransportKind kind();

    /** @return the configuration the factory was created with */
    FactoryConfig config();

    /** @return an empty message (size 0, no data) */
    Message createMessage();

    /**
     * @param size the payload size in bytes
     * @return a message with an uninitialised payload of {@code size} bytes
     * @throws MessageBadAllocException when no memory is available within the retry policy
     */
    Message createMessage(long size);

    /**
     * @param size      the payload size in bytes
     * @param alignment a power of two, or 0 for the default (at least 16 for shared memory)
     * @return a message whose payload address is a multiple of {@code alignment}
     * @throws MessageBadAllocException when no memory is available within the retry policy
     */
    Message createMessage(long size, long alignment);

    /**
     * @param source bytes to copy into the new message's payload
     * @return a message holding a copy of {@code source}
     * @throws MessageBadAllocException when no memory is available within the retry policy
     */
    Message createMessage(MemorySegment source);

    /**
     * A message that points into an unmanaged region without copying (the zeromq transport copies and
     * acknowledges the block at once).
     *
     * @param region a region of this factory
     * @param offset the payload's offset in the region
     * @param size   the payload size
     * @param hint   an opaque value returned in the region's acknowledgement
     * @return a message pointing into the region
     * @throws IllegalArgumentException when the range lies outside the region or the region is of another factory
     */
    Message createMessage(UnmanagedRegion region, long offset, long size, long hint);

    /**
     * @param type the socket pattern
     * @param name a name for logs and counters, e.g. the channel name
     * @return a new socket, closed with the factory
     */
    Socket createSocket(SocketType type, String name);

    /**
     * @param sockets sockets of this factory, addressed by their index in the list
     * @return a poller over them
     */
    Poller createPoller(List<Socket> sockets);

    /**
     * @param size     the region size in bytes
     * @param callback told of each released block
     * @param config   how to create the region
     * @return the new region
     * @throws SharedMemoryException when the region cannot be created (id taken, file system full)
     */
    UnmanagedRegion createUnmanagedRegion(long size, RegionCallback callback, RegionConfig config);

    /**
     * As {@link #createUnmanagedRegion(long, RegionCallback, RegionConfig)}, with released blocks reported in
     * batches. A name of its own, not an overload: both callbacks are functional interfaces of one parameter, so an
     * overload would make every implicitly typed lambda ambiguous.
     *
     * @param size     the region size in bytes
     * @param callback told of released blocks in batches
     * @param config   how to create the region
     * @return the new region
     * @throws SharedMemoryException when the region cannot be created (id taken, file system full)
     */
    UnmanagedRegion createUnmanagedRegionBulk(long size, RegionBulkCallback callback, RegionConfig config);

    /**
     * @param listener told of every existing region first, then of regions created and destroyed in the session
     * @return the subscription; close it to stop the events
     */
    RegionEventSubscription subscribeToRegionEvents(RegionEventListener listener);

    /** @return what the session knows of its segments and regions now */
    List<RegionInfo> regionInfo();

    /** Wakes every blocked transfer of this factory with {@link Socket#INTERRUPTED}; later ones return it too. */
    void interrupt();

    /** Ends an {@link #interrupt()}: transfers block again. */
    void resume();

    /** @return whether the factory is interrupted */
    boolean interrupted();

    /** Resets the factory's transient state after a device reset (FairMQ's {@code Reset()}). */
    void reset();

    /** Closes everything this factory made, then the factory. Idempotent. */
    @Override
    void close();
}
