package io.shmq.transport.libzmq.internal;

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
 * An unmanaged region of the libzmq transport (as the JeroMQ provider's): plain off-heap memory of this process.
 *
 * <p>A message "in" the region is a copy (ZeroMQ frames own their bytes), so the block is free again as soon as the
 * message exists: {@link LibzmqFactory#createMessage(UnmanagedRegion, long, long, long)} calls the callback at once,
 * on the calling thread, as FairMQ's zeromq transport does. Nothing is ever outstanding, so {@link #close()} has
 * nothing to wait for; the linger is kept only to honour the API.
 *
 * <p>The memory comes from its own shared arena, freed when the region closes (one arena close per region is
 * cheap next to a region's life). Access through {@link #data()} after close throws {@link IllegalStateException}
 * from the FFM API.
 */
final class LibzmqRegion implements UnmanagedRegion {
    private final LibzmqFactory factory;
    private final int id;
    private final Arena arena;
    private final MemorySegment data;
    private final RegionCallback callback;
    private final RegionBulkCallback bulkCallback;
    private final RegionConfig config;
    private volatile Duration linger;
    private volatile boolean closed;

    LibzmqRegion(final LibzmqFactory factory, final int id, final long size, final RegionCallback callback,
              final RegionBulkCallback bulkCallback, final RegionConfig config) {
        this.factory = factory;
        this.id = id;
        this.callback = callback;
        this.bulkCallback = bulkCallback;
        this.config = config;
        this.linger = config.linger();
        this.arena = Arena.ofShared();
        // Arena memory is zero-filled anyway, which also honours config.zero().
        this.data = arena.allocate(size, LibzmqMessage.DEFAULT_ALIGNMENT);
    }

    LibzmqFactory factory() {
        return factory;
    }

    RegionConfig config() {
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

    /** Tells the creator that the block is free again: the message holds a copy. */
    void released(final RegionBlock block) {
        if (callback != null) {
            callback.released(block);
        } else {
            bulkCallback.released(List.of(block));
        }
    }

    void checkOpen() {
        if (closed) {
            throw new TransportClosedException("region is closed: regionId=" + id + ", factory=" + factory.id());
        }
    }

    boolean isClosed() {
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
        factory.forget(this);
    }
}
