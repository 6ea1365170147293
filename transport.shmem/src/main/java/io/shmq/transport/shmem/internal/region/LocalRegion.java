package io.shmq.transport.shmem.internal.region;

import io.shmq.transport.api.RegionBlock;
import io.shmq.transport.api.RegionBulkCallback;
import io.shmq.transport.api.RegionCallback;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.UnmanagedRegion;
import io.shmq.transport.shmem.internal.os.IdleStrategy;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An unmanaged region on its creator's side: owns the mapping and the files, counts the messages it handed out,
 * and delivers acknowledgements from its ring to the user's callback, at most {@link #BATCH} at a time, on the
 * factory's worker thread (or on the closing thread during linger). Callbacks of one region never run
 * concurrently.
 */
public final class LocalRegion implements UnmanagedRegion {
    /** FairMQ's acknowledgement batch size. */
    public static final int BATCH = 256;
    /** How often a closing region looks for the acknowledgements it still waits for. */
    private static final long LINGER_POLL_NANOS = 200_000L;
    private static final System.Logger LOG = System.getLogger(LocalRegion.class.getName());

    private final Regions owner;
    private final RegionView view;
    private final Arena arena;
    private final RegionCallback callback;
    private final RegionBulkCallback bulkCallback;
    private final List<Path> filesToDelete;
    private final AtomicLong outstanding = new AtomicLong();
    private final Object drainLock = new Object();
    private final List<RegionBlock> batch = new ArrayList<>(BATCH);
    private volatile Duration linger;
    private volatile boolean closed;

    LocalRegion(final Regions owner, final RegionView view, final Arena arena, final RegionCallback callback,
                final RegionBulkCallback bulkCallback, final Duration linger, final List<Path> filesToDelete) {
        this.owner = owner;
        this.view = view;
        this.arena = arena;
        this.callback = callback;
        this.bulkCallback = bulkCallback;
        this.linger = linger;
        this.filesToDelete = List.copyOf(filesToDelete);
    }

    /** @return the view of the region in this process */
    public RegionView view() {
        return view;
    }

    Regions owner() {
        return owner;
    }

    /** @return whether {@link #close()} was called */
    public boolean isClosed() {
        return closed;
    }

    /** Counts a message handed out into this region. */
    public void messageCreated() {
        outstanding.incrementAndGet();
    }

    /** @return acknowledgements not yet delivered */
    long outstanding() {
        return outstanding.get();
    }

    /** Delivers one batch of acknowledgements; returns how many. */
    int drainOnce() {
        synchronized (drainLock) {
            if (!arena.scope().isAlive()) {
                return 0;
            }
            batch.clear();
            final int count = view.ring().drain(batch, BATCH);
            if (count == 0) {
                return 0;
            }
            outstanding.addAndGet(-count);
            try {
                if (bulkCallback != null) {
                    bulkCallback.released(batch);
                } else {
                    for (final RegionBlock block : batch) {
                        callback.released(block);
                    }
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "region callback of regionId=" + view.id() + " threw", e);
            }
            batch.clear();
            return count;
        }
    }

    @Override
    public int id() {
        return view.id();
    }

    @Override
    public MemorySegment data() {
        if (closed) {
            throw new TransportClosedException("regionId=" + view.id() + " is closed");
        }
        return view.data();
    }

    @Override
    public long size() {
        return view.size();
    }

    @Override
    public Duration linger() {
        return linger;
    }

    @Override
    public void setLinger(final Duration value) {
        Objects.requireNonNull(value, "linger");
        if (value.isNegative()) {
            throw new IllegalArgumentException("linger must not be negative: linger=" + value);
        }
        this.linger = value;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        final long deadline = System.nanoTime() + linger.toNanos();
        final IdleStrategy idle = IdleStrategy.parking(LINGER_POLL_NANOS);
        while (outstanding.get() > 0 && System.nanoTime() - deadline < 0) {
            idle.idle(drainOnce());
        }
        drainOnce();
        owner.destroy(this);
        synchronized (drainLock) {
            arena.close();
        }
    }

    /**
     * Deletes the region's files; called under the session lock, so that a region of the same id created right
     * after (by any process) never loses its new files to this deletion.
     */
    void deleteFiles() {
        for (final Path file : filesToDelete) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // the session cleanup removes leftovers
            }
        }
    }
}
