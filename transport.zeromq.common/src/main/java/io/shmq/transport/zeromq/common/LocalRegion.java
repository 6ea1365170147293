package io.shmq.transport.zeromq.common;

import io.shmq.transport.api.RegionBlock;
import io.shmq.transport.api.RegionBulkCallback;
import io.shmq.transport.api.RegionCallback;
import io.shmq.transport.api.RegionConfig;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.UnmanagedRegion;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * An unmanaged region of a zeromq factory (either provider): plain off-heap memory of this process.
 *
 * <p>A message "in" the region is a copy (ZeroMQ frames own their bytes), so the block is free again as soon as the
 * message exists: the factory's {@code createMessage(UnmanagedRegion, long, long, long)} calls the callback at once
 * ({@link #released(RegionBlock)}), on the calling thread, as FairMQ's zeromq transport does. Nothing is ever
 * outstanding, so {@link #close()} has nothing to wait for; the linger is kept only to honour the API.
 *
 * <p>The memory comes from its own shared arena, freed when the region closes (one arena close per region is
 * cheap next to a region's life), aligned to {@value #ALIGNMENT} bytes as the providers' messages are by default.
 * Access through {@link #data()} after close throws {@link IllegalStateException} from the FFM API.
 */
public final class LocalRegion implements UnmanagedRegion {
    /** The alignment of a region's memory: the zeromq providers' default message alignment. */
    public static final long ALIGNMENT = 16;

    private final LocalRegions owner;
    private final int id;
    private final Arena arena;
    private final MemorySegment data;
    private final RegionCallback callback;
    private final RegionBulkCallback bulkCallback;
    private final RegionConfig config;
    private volatile Duration linger;
    private volatile boolean closed;

    LocalRegion(final LocalRegions owner, final int id, final long size, final RegionCallback callback,
                final RegionBulkCallback bulkCallback, final RegionConfig config) {
        this.owner = owner;
        this.id = id;
        this.callback = callback;
        this.bulkCallback = bulkCallback;
        this.config = config;
        this.linger = config.linger();
        this.arena = Arena.ofShared();
        // Arena memory is zero-filled anyway, which also honours config.zero().
        this.data = arena.allocate(size, ALIGNMENT);
    }

    /** @return the regions of the factory that made this one */
    LocalRegions owner() {
        return owner;
    }

    /** @return the configuration the region was made with */
    public RegionConfig config() {
        return config;
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public MemorySegment data() {
        checkOpen();
        return data;
    }

    @Override
    public long size() {
        return data.byteSize();
    }

    @Override
    public Duration linger() {
        return linger;
    }

    @Override
    public void setLinger(final Duration value) {
        Objects.requireNonNull(value, "linger");
        if (value.isNegative()) {
            throw new IllegalArgumentException("linger must not be negative: linger=" + value + ", region=" + id);
        }
        linger = value;
    }

    /**
     * Tells the creator that the block is free again: the message holds a copy.
     *
     * @param block the block the message was made from
     */
    public void released(final RegionBlock block) {
        if (callback != null) {
            callback.released(block);
        } else {
            bulkCallback.released(List.of(block));
        }
    }

    /** @throws TransportClosedException if the region is closed */
    public void checkOpen() {
        if (closed) {
            throw new TransportClosedException("region is closed: regionId=" + id + ", factory=" + owner.factoryId());
        }
    }

    /** @return whether the region is closed */
    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        arena.close();
        owner.forget(this);
    }
}
