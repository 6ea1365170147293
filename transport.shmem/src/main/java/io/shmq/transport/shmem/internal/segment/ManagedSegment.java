package io.shmq.transport.shmem.internal.segment;

import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.shmem.internal.os.Doorbell;
import io.shmq.transport.shmem.internal.os.FileHeaderLayout;
import io.shmq.transport.shmem.internal.os.RobustLock;
import io.shmq.transport.shmem.internal.os.ShmFiles;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.shmq.transport.shmem.internal.segment.BlockLayout.CHUNK;
import static io.shmq.transport.shmem.internal.segment.BlockLayout.CLASS_INDEX_H;
import static io.shmq.transport.shmem.internal.segment.BlockLayout.FLAGS;
import static io.shmq.transport.shmem.internal.segment.BlockLayout.FREE;
import static io.shmq.transport.shmem.internal.segment.BlockLayout.FREE_NEXT_H;
import static io.shmq.transport.shmem.internal.segment.BlockLayout.FREE_PREV_H;
import static io.shmq.transport.shmem.internal.segment.BlockLayout.HEADER_BYTES;
import static io.shmq.transport.shmem.internal.segment.BlockLayout.LINK_H;
import static io.shmq.transport.shmem.internal.segment.BlockLayout.MIN_LARGE;
import static io.shmq.transport.shmem.internal.segment.BlockLayout.REF_COUNT_H;
import static io.shmq.transport.shmem.internal.segment.BlockLayout.SIZE_FLAGS_H;
import static io.shmq.transport.shmem.internal.segment.BlockLayout.SMALL;
import static io.shmq.transport.shmem.internal.segment.BlockLayout.TAG_H;
import static io.shmq.transport.shmem.internal.segment.BlockLayout.USER_OFFSET_H;
import static io.shmq.transport.shmem.internal.segment.SegmentLayout.BINS;
import static io.shmq.transport.shmem.internal.segment.SegmentLayout.BINS_OFFSET;
import static io.shmq.transport.shmem.internal.segment.SegmentLayout.BIN_BITMAP_H;
import static io.shmq.transport.shmem.internal.segment.SegmentLayout.BIN_H;
import static io.shmq.transport.shmem.internal.segment.SegmentLayout.CLASSES;
import static io.shmq.transport.shmem.internal.segment.SegmentLayout.CLASS_HEADS_OFFSET;
import static io.shmq.transport.shmem.internal.segment.SegmentLayout.CLASS_HEAD_H;
import static io.shmq.transport.shmem.internal.segment.SegmentLayout.HEAP_OFFSET;
import static io.shmq.transport.shmem.internal.segment.SegmentLayout.RESERVED_END_H;
import static io.shmq.transport.shmem.internal.segment.SegmentLayout.USED_BYTES_H;

/**
 * One managed segment mapped into this process, and the shared allocator that lives in it.
 *
 * <p>Allocator: blocks of up to {@link #SMALL_LIMIT} bytes (header included) come from eight power-of-two size
 * classes (64 B .. 8 KiB); each class has a list of free blocks in the segment, refilled with 64 KiB chunks carved
 * from the large-block heap, and every thread stripe of a factory keeps a {@link BlockCache} of its own per class.
 * Allocating and freeing a cached block writes only the block and the process's own ledger file; a cache moves half
 * its capacity to or from the class list at once, under the lock. Larger blocks come from a segregated-fit heap (64
 * power-of-two bins, boundary tags, immediate coalescing). Heap, class lists and transfers share one
 * {@link RobustLock}; a transfer is recorded in the segment header first ({@link SegmentLayout}), so a process
 * killed in the middle of one leaves nothing lost or twice free: the next lock holder finishes or undoes it. Small
 * blocks are never returned to the large heap: a chunk stays with its class.
 *
 * <p>{@link #freeMemory()} counts the bytes on the free heap and the class lists (segment heap minus
 * {@code usedBytes}): blocks that live messages hold, and blocks that a live process caches (at most 16 KiB per
 * class and stripe), are not free; it returns exactly to its start value when every message is closed and every
 * factory closed or reclaimed. Fragmentation may still refuse a large block.
 *
 * <p>Full tmpfs: the segment file is sparse; the allocator reserves file blocks ({@code posix_fallocate}) ahead of
 * the highest byte it or a user may touch, in steps of {@link #RESERVE_STEP}, under the lock. A large allocation
 * first reserves where its blocks will most likely end without the lock, so that the lock is seldom held through
 * the reservation. When the file system is full the reservation fails and the allocation throws
 * {@link SharedMemoryException} instead of a SIGBUS. Memory below {@code reservedEnd} is never released back to the
 * file system while the segment exists.
 */
public final class ManagedSegment {
    /** Largest block (header included) served by a size class. */
    static final long SMALL_LIMIT = 64L << (CLASSES - 1);
    /** Bytes carved at once for a size class. */
    static final long CHUNK_BYTES = 64 * 1024;
    /** Granularity of block reservation in the file. */
    static final long RESERVE_STEP = 8L << 20;
    /** Largest supported alignment: a page, because processes map the file at different page-aligned bases. */
    public static final long MAX_ALIGNMENT = 4096;

    private final int id;
    private final Path file;
    private final Arena arena;
    private final MemorySegment memory;
    private final long size;
    private final long heapEnd;
    private final int tag;
    private final RobustLock lock;
    private final Doorbell freed;
    private final String session;
    /** This process's holder id in the session ({@link Holder}): set once by the factory before it allocates. */
    private int holderId;

    private ManagedSegment(final int id, final Path file, final Arena arena, final MemorySegment memory,
                           final int tag, final String session) {
        this.id = id;
        this.file = file;
        this.arena = arena;
        this.memory = memory;
        this.size = memory.byteSize();
        this.heapEnd = size & ~15L;
        this.tag = tag;
        this.session = session;
        this.lock = new RobustLock(memory, SegmentLayout.LOCK_OFFSET, this::repair);
        this.freed = new Doorbell(memory, SegmentLayout.FREE_BELL_OFFSET, SegmentLayout.FREE_SLEEPERS_OFFSET);
    }

    /** Creates and formats a new segment file of {@code size} bytes (the file must not exist). */
    public static ManagedSegment create(final Path file, final int id, final long size, final int tag, final String session) {
        if (size < HEAP_OFFSET + 2 * CHUNK_BYTES) {
            throw new IllegalArgumentException("segmentSize too small: segmentSize=" + size + ", minimum="
                    + (HEAP_OFFSET + 2 * CHUNK_BYTES));
        }
        if (size > (1L << 36)) {
            throw new IllegalArgumentException("segmentSize too large: segmentSize=" + size + ", maximum="
                    + (1L << 36));
        }
        final Arena arena = Arena.ofShared();
        try {
            final long initial = Math.min(size, HEAP_OFFSET + RESERVE_STEP);
            final MemorySegment memory = ShmFiles.createMapped(file, size, initial, arena);
            final ManagedSegment segment = new ManagedSegment(id, file, arena, memory, tag, session);
            segment.format(initial);
            return segment;
        } catch (RuntimeException e) {
            arena.close();
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // best effort
            }
            if (e instanceof SharedMemoryException s) {
                throw s;
            }
            if (e instanceof IllegalArgumentException i) {
                throw i;
            }
            throw new SharedMemoryException("cannot create managed segment: file=" + file + ", size=" + size
                    + ": " + e, e);
        }
    }

    /** Maps an existing segment file and checks its header. */
    public static ManagedSegment attach(final Path file, final int id, final long expectedSize, final int tag,
                                 final String session) {
        final Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(file, java.nio.file.StandardOpenOption.READ,
                java.nio.file.StandardOpenOption.WRITE, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            ShmFiles.checkOwner(file);
            final long actual = channel.size();
            if (actual < expectedSize || actual < HEAP_OFFSET) {
                throw new SharedMemoryException("truncated managed segment: segmentId=" + id + ", file=" + file
                        + ", size=" + actual + ", expected=" + expectedSize + " in session " + session);
            }
            final MemorySegment memory = channel.map(FileChannel.MapMode.READ_WRITE, 0, expectedSize, arena);
            FileHeaderLayout.checkReady(memory, file, SegmentLayout.MAGIC, SegmentLayout.VERSION);
            final int fileTag = (int) SegmentLayout.TAG_H.get(memory, 0L);
            if (fileTag != tag) {
                throw FileHeaderLayout.incompatible(file, "tag", String.format("%08x", tag), String.format("%08x", fileTag));
            }
            return new ManagedSegment(id, file, arena, memory, tag, session);
        } catch (IOException | RuntimeException e) {
            arena.close();
            if (e instanceof SharedMemoryException s) {
                throw s;
            }
            throw new SharedMemoryException("cannot attach managed segment: segmentId=" + id + ", file=" + file
                    + " in session " + session + ": " + e, e);
        }
    }

    /**
     * Reads the free memory of a segment file without attaching it (the monitor): maps its header read-only and
     * checks it first.
     *
     * @param file the segment file
     * @param size the segment size from the session's table
     * @return bytes not held by live blocks
     * @throws SharedMemoryException when the file is not a ready segment
     */
    public static long peekFreeMemory(final Path file, final long size) {
        try (Arena arena = Arena.ofConfined();
             FileChannel channel = FileChannel.open(file, java.nio.file.StandardOpenOption.READ,
                     java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            if (channel.size() < HEAP_OFFSET) {
                throw FileHeaderLayout.incompatible(file, "size", "at least " + HEAP_OFFSET,
                        Long.toString(channel.size()));
            }
            final MemorySegment header = channel.map(FileChannel.MapMode.READ_ONLY, 0, HEAP_OFFSET, arena);
            FileHeaderLayout.checkReady(header, file, SegmentLayout.MAGIC, SegmentLayout.VERSION);
            return (size & ~15L) - HEAP_OFFSET - (long) USED_BYTES_H.getVolatile(header, 0L);
        } catch (IOException e) {
            throw new SharedMemoryException("cannot read segment file " + file + ": " + e, e);
        }
    }

    private void format(final long reservedEnd) {
        FileHeaderLayout.format(memory, SegmentLayout.MAGIC);
        SegmentLayout.TAG_H.set(memory, 0L, tag);
        SegmentLayout.SIZE_H.set(memory, 0L, size);
        RESERVED_END_H.set(memory, 0L, reservedEnd);
        final long first = HEAP_OFFSET;
        final long length = heapEnd - first;
        SIZE_FLAGS_H.set(memory, first, length | FREE);
        LINK_H.set(memory, first, 0L);
        TAG_H.set(memory, first, 0);
        insertFree(first, length);
        FileHeaderLayout.signalReady(memory, SegmentLayout.VERSION);
    }

    public int id() {
        return id;
    }

    public MemorySegment memory() {
        return memory;
    }

    public long size() {
        return size;
    }

    public Path file() {
        return file;
    }

    /** @return bytes not held by live blocks */
    public long freeMemory() {
        return heapEnd - HEAP_OFFSET - (long) USED_BYTES_H.getVolatile(memory, 0L);
    }

    public RobustLock lock() {
        return lock;
    }

    /** Sets the holder id this process's allocations get ({@link Holder}); called once, before any allocation. */
    public void holderId(final int value) {
        this.holderId = value;
    }

    public void close() {
        arena.close();
    }

    // ---------------------------------------------------------------------------------------------------------
    // allocation

    /**
     * @param payload   payload bytes
     * @param alignment power of two in [16, 4096]
     * @return the block offset (handle), or -1 when there is no room
     */
    public long allocate(final long payload, final long alignment) {
        final long userOffset = userOffset(alignment);
        if (payload <= SMALL_LIMIT - userOffset) {
            final int cls = sizeClass(userOffset + payload);
            final long block;
            lock.lock();
            try {
                block = takeListed(cls);
                if (block != 0) {
                    USED_BYTES_H.set(memory, 0L, (long) USED_BYTES_H.get(memory, 0L) + (64L << cls));
                }
            } finally {
                lock.unlock();
            }
            if (block != 0) {
                activateSmall(block, cls, userOffset, nextGeneration(block));
                return block;
            }
        }
        if (payload > heapEnd) {
            return -1;
        }
        final long total = largeBlockBytes(payload, alignment);
        reserveBeforeLock(total);
        lock.lock();
        try {
            return takeLarge(total, alignment, null, 0);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Allocates up to {@code count} large blocks for {@code payload} bytes under one acquisition of the lock (a
     * producer of large messages that allocates ahead), each recorded by {@code recorder} with its index before the
     * heap gives it.
     *
     * @param payload   more than a size class holds
     * @param blocks    receives the handles
     * @param count     at most {@code blocks.length}
     * @return how many it allocated (it stops at the first that finds no room), 0 when none
     */
    public int allocateLarge(final long payload, final long alignment, final long[] blocks, final int count,
                             final IndexedRecorder recorder) {
        if (payload <= SMALL_LIMIT - userOffset(alignment)) {
            throw new IllegalArgumentException("not a large block: payload=" + payload + ", alignment=" + alignment);
        }
        if (payload > heapEnd) {
            return 0;
        }
        final long total = largeBlockBytes(payload, alignment);
        reserveBeforeLock(total * count);
        lock.lock();
        try {
            for (int i = 0; i < count; i++) {
                try {
                    blocks[i] = takeLarge(total, alignment, recorder, i);
                } catch (RuntimeException e) {
                    if (i == 0) {
                        throw e;
                    }
                    return i; // e.g. the file system is full: the first ones were taken, the caller keeps them
                }
                if (blocks[i] < 0) {
                    return i;
                }
            }
            return count;
        } finally {
            lock.unlock();
        }
    }

    /** @return the bytes a large block for {@code payload} bytes at {@code alignment} takes at least */
    public static long largeBlockBytes(final long payload, final long alignment) {
        final long padding = alignment > 16 ? alignment - 16 : 0;
        return Math.max(MIN_LARGE, align(HEADER_BYTES + padding + payload, 16));
    }

    /**
     * Takes a large block of {@code total} bytes from the heap, recorded by {@code recorder} as block {@code index}
     * (null: nobody) before the heap gives it; the caller holds the lock. @return it, or -1
     */
    private long takeLarge(final long total, final long alignment, final IndexedRecorder recorder, final int index) {
        taking.alignment = alignment;
        taking.generation = nextGeneration();
        taking.recorder = recorder;
        taking.index = index;
        final long block;
        try {
            block = allocateLarge(total, false, taking);
        } finally {
            taking.recorder = null;
        }
        if (block < 0) {
            return -1;
        }
        USED_BYTES_H.set(memory, 0L, (long) SegmentLayout.T_USED_AFTER_H.get(memory, 0L));
        endTransfer();
        return block;
    }

    /**
     * What {@link #takeLarge} writes into the block the heap chose, before the heap marks it taken: one object per
     * segment, its fields set under the lock for each take (no lambda per block).
     */
    private final class Taking implements BeforeTaken {
        long alignment;
        int generation;
        IndexedRecorder recorder;
        int index;

        @Override
        public void accept(final long candidate, final long size) {
            // The header first, while the block is still free, then the caller's record: a process killed
            // before the heap marks the block leaves a record of a free block (skipped), after it a live one.
            writeLiveHeader(candidate, align(candidate + HEADER_BYTES, alignment) - candidate, -1,
                    generation & 0xFFFFFFFFL);
            if (recorder != null) {
                recorder.record(index, candidate, generation & 0xFFFFFFFFL);
            }
            beginTransfer(SegmentLayout.TAKE, 0, 0, 0, candidate, 0L, (long) USED_BYTES_H.get(memory, 0L) + size);
        }
    }

    /** The block a large allocation is taking (guarded by the segment's lock). */
    private final Taking taking = new Taking();

    /**
     * Writes the ledger entry of one of the blocks {@link #allocateLarge(long, long, long[], int, IndexedRecorder)}
     * takes, while the allocator holds it: before the block is taken from the heap.
     */
    @FunctionalInterface
    public interface IndexedRecorder {
        /**
         * @param index      which of the blocks
         * @param block      the block about to be allocated
         * @param generation its generation
         */
        void record(int index, long block, long generation);
    }

    /** What the heap calls with the block it is about to take. */
    @FunctionalInterface
    private interface BeforeTaken {
        void accept(long block, long size);
    }

    /** @return the payload offset of an allocated block */
    public long dataOffset(final long block) {
        return block + (short) USER_OFFSET_H.get(memory, block);
    }

    /** Adds a reference: the block is {@link Holder#SHARED} from now on (counted, not held). */
    public void retain(final long block) {
        REF_COUNT_H.getAndAdd(memory, block, 1);
        BlockLayout.HOLDER_H.setRelease(memory, block, Holder.word(generation(block), Holder.SHARED));
    }

    /** @return the holder word of the block at {@code block} (a volatile load) */
    public long holder(final long block) {
        return (long) BlockLayout.HOLDER_H.getVolatile(memory, block);
    }

    /** @return whether the holder word of {@code block} went from {@code expected} to {@code next} (one CAS) */
    public boolean replaceHolder(final long block, final long expected, final long next) {
        return BlockLayout.HOLDER_H.compareAndSet(memory, block, expected, next);
    }

    /** Sets the holder word of a block whose word names this process (a release store: see {@link Holder}). */
    public void handHolder(final long block, final long next) {
        BlockLayout.HOLDER_H.setRelease(memory, block, next);
    }

    /** @return this process's holder word for an allocated block of generation {@code generation} */
    public long ownHolderOf(final long generation) {
        return Holder.word(generation, holderId);
    }

    /**
     * Drops a reference and frees the block when it was the last.
     *
     * @return true when this call freed the block
     */
    public boolean release(final long block) {
        if (!dropReference(block)) {
            return false;
        }
        free(block);
        return true;
    }

    /** @return whether this dropped the last reference (the caller frees the block) */
    private boolean dropReference(final long block) {
        final int before = (int) REF_COUNT_H.getAndAdd(memory, block, -1);
        if (before < 1) {
            REF_COUNT_H.getAndAdd(memory, block, 1);
            throw new SharedMemoryException("double release: handle=" + block + ", refCount=" + before
                    + " in segmentId=" + id + " of session " + session);
        }
        return before == 1;
    }

    private void free(final long block) {
        final long sizeFlags = (long) SIZE_FLAGS_H.getAcquire(memory, block);
        final long blockSize = sizeFlags & ~FLAGS;
        lock.lock();
        try {
            if ((sizeFlags & SMALL) != 0) {
                final int cls = (short) CLASS_INDEX_H.get(memory, block);
                SIZE_FLAGS_H.setRelease(memory, block, blockSize | SMALL | FREE);
                transferToList(cls, 0, block, block, 1, blockSize);
            } else {
                giveLarge(block, blockSize);
            }
        } finally {
            lock.unlock();
        }
        signalFreed();
    }

    /** Gives the large block at {@code block} back to the heap; the caller holds the lock. */
    private void giveLarge(final long block, final long blockSize) {
        final long usedAfter = (long) USED_BYTES_H.get(memory, 0L) - blockSize;
        // Recorded before anything changes: a repair marks the block free, whatever step the kill hit.
        beginTransfer(SegmentLayout.GIVE, 0, 0, 0, block, 0L, usedAfter);
        TAG_H.set(memory, block, 0);
        freeLarge(block, blockSize);
        USED_BYTES_H.set(memory, 0L, usedAfter);
        endTransfer();
    }

    /**
     * @return the size of the allocated large block at {@code block} (a block of the heap, not of a size class), or
     * -1 for a small one
     */
    public long largeBlockSize(final long block) {
        final long sizeFlags = (long) SIZE_FLAGS_H.getAcquire(memory, block);
        return (sizeFlags & SMALL) != 0 ? -1 : sizeFlags & ~FLAGS;
    }

    /**
     * @return bytes of large blocks one thread stripe may hold back, as deferred frees and again as blocks allocated
     * ahead: a sixteenth of the heap
     */
    public long deferLimit() {
        return (heapEnd - HEAP_OFFSET) >>> 4;
    }

    /** @return whether half the heap or more is free: a batch of held-back blocks may start (one volatile load) */
    public boolean roomToDefer() {
        return freeMemory() >= (heapEnd - HEAP_OFFSET) >>> 1;
    }

    /** @return whether an allocation of any process waits for a free in this segment now (one acquire load) */
    public boolean allocationWaiting() {
        return freed.armed();
    }

    /**
     * Frees {@code count} large blocks whose only references the caller holds ({@link #exclusive}), without
     * touching their counts, under one acquisition of the lock: the deferred frees of a consumer of large messages,
     * so that its frees and a producer's allocations meet on the lock once per batch instead of once per message. A
     * process killed before a block is marked free leaves a live block with one reference, which its ledger entry
     * releases; the caller clears the entries after this.
     */
    public void releaseExclusiveLarge(final long[] blocks, final int count) {
        lock.lock();
        try {
            for (int i = 0; i < count; i++) {
                giveLarge(blocks[i], (long) SIZE_FLAGS_H.getAcquire(memory, blocks[i]) & ~FLAGS);
            }
        } finally {
            lock.unlock();
        }
        signalFreed();
    }

    // ---------------------------------------------------------------------------------------------------------
    // block caches: the common path of small messages

    /** @return the size class of a cached allocation, or -1 when the block is too large for one */
    public static int cachedClass(final long payload, final long alignment) {
        final long userOffset = userOffset(alignment);
        return payload <= SMALL_LIMIT - userOffset ? sizeClass(userOffset + payload) : -1;
    }

    /** @return the offset of the payload in a block allocated with {@code alignment} (a power of two, at most a page) */
    public static long userOffset(final long alignment) {
        return align(HEADER_BYTES, alignment);
    }

    /**
     * Takes a free block of class {@code cls} out of {@code cache} (refilled from the class list when empty); the
     * block stays free and tagged with the cache's owner until {@link #activateSmall}, so a process killed before
     * that leaves it to the survivor that reads its cache. The caller holds the cache's stripe.
     *
     * @return the block, or 0 when the segment has no room for the class
     */
    public long takeCached(final BlockCache cache, final int cls) {
        int count = cache.count(cls);
        if (count == 0) {
            count = refill(cache, cls);
            if (count == 0) {
                return 0;
            }
        }
        final long block = cache.block(cls, count - 1);
        cache.setCount(cls, count - 1);
        return block;
    }

    /** @return the generation the free block at {@code block} gets when it is allocated next (never 0) */
    public long nextGeneration(final long block) {
        final int generation = (int) BlockLayout.GENERATION_H.get(memory, block) + 1;
        return (generation == 0 ? 1 : generation) & 0xFFFFFFFFL;
    }

    /**
     * Makes the free small block at {@code block} (from {@link #takeCached}) an allocated one with one reference:
     * its tag becomes the session's and its generation {@code generation} (which the caller recorded in its ledger
     * first, so that a survivor releases it if this process dies right after).
     *
     * @return the payload offset
     */
    public long activateSmall(final long block, final int cls, final long userOffset, final long generation) {
        // Four stores, no load: a small block of class cls is 64 << cls bytes (its chunk carved it so). Tagged
        // before marked live: a free block tagged with the session is a dead allocator's last step.
        writeLiveHeader(block, userOffset, cls, generation);
        SIZE_FLAGS_H.setRelease(memory, block, (64L << cls) | SMALL);
        return block + userOffset;
    }

    /**
     * Writes the header of a block about to become live, still marked free (small and large blocks alike): one
     * reference, its user offset and class (-1 for a large block), this process's holder word, then the session's
     * tag with the generation in one release store.
     */
    private void writeLiveHeader(final long block, final long userOffset, final int cls, final long generation) {
        BlockLayout.COUNTS_H.set(memory, block + BlockLayout.COUNTS_OFFSET, BlockLayout.counts(1, userOffset, cls));
        BlockLayout.HOLDER_H.set(memory, block, ownHolderOf(generation));
        BlockLayout.TAG_GENERATION_H.setRelease(memory, block + BlockLayout.TAG_GENERATION_OFFSET,
                BlockLayout.tagGeneration(tag, generation));
    }

    /**
     * Finishes what a dead holder of the lock left (takes the lock, which steals and repairs it then, and gives it
     * back): a survivor does this before it looks at a dead process's ledger, so that it never frees a block whose
     * free the repair is about to finish.
     */
    public void settle() {
        lock.lock();
        lock.unlock();
    }

    /** @return whether the caller holds the only reference to the allocated block (nobody can add one then) */
    public boolean exclusive(final long block) {
        return (int) REF_COUNT_H.getAcquire(memory, block) == 1;
    }

    /**
     * Drops a reference; the last one frees the block, a small one into {@code cache} (half of a full cache goes
     * back to the class list). While an allocation waits for room, the block goes to the class list directly and
     * the cache with it. The caller holds the cache's stripe.
     *
     * @return true when this call freed the block
     */
    public boolean releaseCached(final long block, final BlockCache cache) {
        if (!dropReference(block)) {
            return false;
        }
        freeCached(block, cache);
        return true;
    }

    /**
     * Frees the block whose only reference the caller holds ({@link #exclusive}), into {@code cache}, without
     * touching its count: a process killed before the block is marked free leaves a live block with one reference
     * that its ledger entry releases.
     */
    public void releaseExclusive(final long block, final BlockCache cache) {
        freeCached(block, cache);
    }

    private void freeCached(final long block, final BlockCache cache) {
        final long sizeFlags = (long) SIZE_FLAGS_H.getAcquire(memory, block);
        if ((sizeFlags & SMALL) == 0 || freed.armed()) {
            free(block);
            if ((sizeFlags & SMALL) != 0) {
                drainAll(cache);
            }
            return;
        }
        final long blockSize = sizeFlags & ~FLAGS;
        final int cls = sizeClass(blockSize); // a small block is 64 << its class
        final int count = cache.count(cls);
        // Entered before marked, marked free before tagged: a survivor finds every block tagged with this cache's
        // owner among its entries, and a free block still tagged with the session as its dead owner's last step.
        cache.enter(cls, count, block);
        SIZE_FLAGS_H.setRelease(memory, block, blockSize | SMALL | FREE);
        TAG_H.setRelease(memory, block, cache.owner());
        cache.setCount(cls, count + 1);
        if (count + 1 == cache.capacityOf(cls)) {
            drain(cache, cls, (count + 1) / 2);
        }
    }

    /** Gives every cached block back to the class lists (the factory closes). The caller holds the stripe. */
    public void drainAll(final BlockCache cache) {
        for (int cls = 0; cls < SegmentLayout.CLASSES; cls++) {
            if (cache.count(cls) > 0) {
                drain(cache, cls, cache.count(cls));
            }
        }
    }

    /** Moves up to half a cache's capacity of blocks from the class list into it; @return its new count */
    private int refill(final BlockCache cache, final int cls) {
        final int count = cache.count(cls);
        final int want = cache.capacityOf(cls) / 2;
        final long blockSize = 64L << cls;
        lock.lock();
        try {
            long head = classHead(cls);
            if (head == 0) {
                carve(cls);
                head = classHead(cls);
                if (head == 0) {
                    return count;
                }
            }
            int taken = 0;
            long next = head;
            while (next != 0 && taken < want) {
                cache.enter(cls, count + taken, next);
                next = (long) LINK_H.get(memory, next);
                taken++;
            }
            final long usedAfter = (long) USED_BYTES_H.get(memory, 0L) + taken * blockSize;
            beginTransfer(SegmentLayout.REFILL, cls, cache.owner(), taken, head, next, usedAfter);
            long block = head;
            for (int i = 0; i < taken; i++) {
                TAG_H.set(memory, block, cache.owner());
                block = (long) LINK_H.get(memory, block);
            }
            setClassHead(cls, next);
            USED_BYTES_H.set(memory, 0L, usedAfter);
            cache.setCount(cls, count + taken);
            endTransfer();
            return count + taken;
        } finally {
            lock.unlock();
        }
    }

    /** Moves the top {@code n} blocks of a class's cache to the class list. */
    private void drain(final BlockCache cache, final int cls, final int n) {
        final int count = cache.count(cls);
        final long blockSize = 64L << cls;
        final long first = cache.block(cls, count - n);
        long previous = first;
        for (int i = count - n + 1; i < count; i++) {
            final long block = cache.block(cls, i);
            LINK_H.set(memory, previous, block);
            previous = block;
        }
        lock.lock();
        try {
            transferToList(cls, cache.owner(), first, previous, n, blockSize);
        } finally {
            lock.unlock();
        }
        cache.setCount(cls, count - n);
        signalFreed();
    }

    /**
     * Puts the chain of {@code n} free blocks linked from {@code first} to {@code last}, tagged with a cache's owner,
     * on the class list (tags 0), as one transfer; the caller holds the lock.
     */
    private void transferToList(final int cls, final int owner, final long first, final long last, final int n,
                                final long blockSize) {
        final long head = classHead(cls);
        LINK_H.set(memory, last, head);
        final long usedAfter = (long) USED_BYTES_H.get(memory, 0L) - n * blockSize;
        beginTransfer(SegmentLayout.DRAIN, cls, owner, n, first, head, usedAfter);
        long block = first;
        for (int i = 0; i < n; i++) {
            TAG_H.set(memory, block, 0);
            block = (long) LINK_H.get(memory, block);
        }
        setClassHead(cls, first);
        USED_BYTES_H.set(memory, 0L, usedAfter);
        endTransfer();
    }

    /**
     * Returns a free small block that a dead process left between its cache and a message (allocating or freeing
     * it: free, still tagged with the session, with the generation its ledger entry recorded) to the class list.
     *
     * @return whether the block was such a block
     */
    public boolean reclaimHalfway(final long block, final long generation) {
        if (block < HEAP_OFFSET || block > heapEnd - MIN_LARGE || (block & 15) != 0) {
            return false;
        }
        lock.lock();
        try {
            final long sizeFlags = (long) SIZE_FLAGS_H.get(memory, block);
            if ((sizeFlags & (FREE | SMALL | CHUNK)) != (FREE | SMALL) || (int) TAG_H.get(memory, block) != tag
                    || ((int) BlockLayout.GENERATION_H.get(memory, block) & 0xFFFFFFFFL) != generation) {
                return false;
            }
            final int cls = (short) CLASS_INDEX_H.get(memory, block);
            if (cls < 0 || cls >= SegmentLayout.CLASSES || (sizeFlags & ~FLAGS) != 64L << cls) {
                return false;
            }
            transferToList(cls, 0, block, block, 1, 64L << cls);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Returns the blocks a dead stripe had cached: every entry (stale ones included, duplicates once) whose block is
     * free, small, of class {@code cls} and tagged {@code owner} goes back to the class list.
     *
     * @return how many blocks came back
     */
    public int reclaimCached(final int owner, final int cls, final long[] entries) {
        if (cls < 0 || cls >= SegmentLayout.CLASSES || owner == 0) {
            return 0;
        }
        final long[] blocks = java.util.Arrays.stream(entries).distinct().toArray();
        lock.lock(); // steals the lock from the dead stripe if it held it, which finishes its last transfer first
        try {
            long first = 0;
            long last = 0;
            int n = 0;
            for (final long block : blocks) {
                if (block < HEAP_OFFSET || block > heapEnd - MIN_LARGE || (block & 15) != 0) {
                    continue;
                }
                final long sizeFlags = (long) SIZE_FLAGS_H.get(memory, block);
                if ((sizeFlags & (FREE | SMALL | CHUNK)) != (FREE | SMALL) || (sizeFlags & ~FLAGS) != 64L << cls
                        || (int) TAG_H.get(memory, block) != owner || (short) CLASS_INDEX_H.get(memory, block) != cls) {
                    continue;
                }
                if (n == 0) {
                    first = block;
                } else {
                    LINK_H.set(memory, last, block);
                }
                last = block;
                n++;
            }
            if (n > 0) {
                transferToList(cls, owner, first, last, n, 64L << cls);
            }
            return n;
        } finally {
            lock.unlock();
            signalFreed();
        }
    }

    /**
     * After a free (the lock given back): wakes allocations that wait for room. The fence comes first: the freed
     * memory must be visible before the armed word is read (the doorbell's protocol: a waiter arms it, then
     * looks for room, so one of the two sees the other); the transfers before it are ordered, not fenced. Then one
     * load of a line nobody writes while no allocation waits.
     */
    private void signalFreed() {
        VarHandle.fullFence();
        if (freed.armed()) {
            freed.ring();
        }
    }

    /** Records the transfer about to start (package-private: a test plays a dead holder with it). */
    void beginTransfer(final int op, final int cls, final int owner, final int count, final long first,
                               final long head, final long usedAfter) {
        SegmentLayout.T_CLASS_H.set(memory, 0L, cls);
        SegmentLayout.T_OWNER_H.set(memory, 0L, owner);
        SegmentLayout.T_COUNT_H.set(memory, 0L, count);
        SegmentLayout.T_FIRST_H.set(memory, 0L, first);
        SegmentLayout.T_HEAD_H.set(memory, 0L, head);
        SegmentLayout.T_USED_AFTER_H.set(memory, 0L, usedAfter);
        // The record's fields before its op, the op before every store of the transfer: ordering is all a repair
        // needs, since it reads what a dead holder wrote, and a dead process's stores are all visible in their order.
        // A full fence here waited for every store before it (most into block headers other processes hold): 2 and
        // 3 of them per large block freed and taken were 16% of a 64 KiB sender's samples.
        SegmentLayout.T_OP_H.setRelease(memory, 0L, op);
        VarHandle.storeStoreFence();
    }

    /** Ends the transfer: every store of it before the cleared op. */
    private void endTransfer() {
        SegmentLayout.T_OP_H.setRelease(memory, 0L, SegmentLayout.NONE);
    }

    /**
     * Finishes or undoes the transfer a dead lock holder left (under the lock, before the heap repair): a refill
     * whose list head had not moved is undone (its blocks get tag 0 back), a drain is finished (its chain joins the
     * list), a carve whose chunk the heap had given is carved again; the used bytes take the value the transfer
     * meant.
     */
    private void finishTransfer() {
        final int op = (int) SegmentLayout.T_OP_H.getVolatile(memory, 0L);
        if (op == SegmentLayout.NONE) {
            return;
        }
        final int cls = (int) SegmentLayout.T_CLASS_H.get(memory, 0L);
        final int count = (int) SegmentLayout.T_COUNT_H.get(memory, 0L);
        final long first = (long) SegmentLayout.T_FIRST_H.get(memory, 0L);
        final long usedAfter = (long) SegmentLayout.T_USED_AFTER_H.get(memory, 0L);
        if (cls >= 0 && cls < SegmentLayout.CLASSES) {
            switch (op) {
                case SegmentLayout.REFILL -> {
                    if (classHead(cls) == first) {
                        retag(first, count, 0);
                    } else {
                        USED_BYTES_H.set(memory, 0L, usedAfter);
                    }
                }
                case SegmentLayout.DRAIN -> {
                    if (classHead(cls) != first) {
                        retag(first, count, 0);
                        setClassHead(cls, first);
                    }
                    USED_BYTES_H.set(memory, 0L, usedAfter);
                }
                case SegmentLayout.CARVE -> {
                    if (first >= HEAP_OFFSET && first <= heapEnd - MIN_LARGE && (first & 15) == 0
                            && ((long) SIZE_FLAGS_H.get(memory, first) & FREE) == 0
                            && classHead(cls) != chunkBase(first)) {
                        carveChunk(first, cls);
                    }
                }
                case SegmentLayout.TAKE, SegmentLayout.GIVE -> {
                    // The heap marks a block taken or free with one store: the used bytes follow what it says.
                    if (first >= HEAP_OFFSET && first <= heapEnd - MIN_LARGE && (first & 15) == 0) {
                        final boolean free = ((long) SIZE_FLAGS_H.get(memory, first) & FREE) != 0;
                        if (free == (op == SegmentLayout.GIVE) || op == SegmentLayout.GIVE && coalescedAway(first)) {
                            USED_BYTES_H.set(memory, 0L, usedAfter);
                        } else if (op == SegmentLayout.GIVE) {
                            // not marked free yet: mark it (the heap repair that follows merges its neighbours)
                            SIZE_FLAGS_H.set(memory, first, ((long) SIZE_FLAGS_H.get(memory, first) & ~FLAGS) | FREE);
                            USED_BYTES_H.set(memory, 0L, usedAfter);
                        }
                    }
                }
                default -> {
                    // unknown: nothing to finish
                }
            }
        }
        endTransfer();
    }

    /** @return whether the block at {@code block} lies inside a free block before it (the free merged it away) */
    private boolean coalescedAway(final long block) {
        if (block == HEAP_OFFSET) {
            return false;
        }
        final long previous = block - (long) LINK_H.get(memory, block);
        if (previous < HEAP_OFFSET || previous >= block) {
            return false;
        }
        final long sizeFlags = (long) SIZE_FLAGS_H.get(memory, previous);
        return (sizeFlags & FREE) != 0 && previous + (sizeFlags & ~FLAGS) > block;
    }

    /** Sets the tag of {@code count} linked blocks from {@code first} (a repair: links are checked). */
    private void retag(final long first, final int count, final int value) {
        long block = first;
        for (int i = 0; i < count && block >= HEAP_OFFSET && block <= heapEnd - MIN_LARGE && (block & 15) == 0; i++) {
            TAG_H.set(memory, block, value);
            block = (long) LINK_H.get(memory, block);
        }
    }

    /**
     * Sleeps until a block is freed in this segment (by any process), for at most {@code nanos}, unless
     * {@code ready} holds after registering (the caller tries its allocation there).
     *
     * @return false when it could not sleep on the futex (no native access): the caller parks instead
     */
    public boolean awaitFree(final java.util.function.BooleanSupplier ready, final long nanos) {
        return freed.await(ready, nanos);
    }

    /**
     * Checks a handle from another process and returns its payload offset.
     *
     * @param generation the header's generation (its hint); 0 (FairMQ's managed headers) is not checked
     * @throws SharedMemoryException naming the handle, size and bounds when the header does not fit, or the
     *                               generations when the block was freed and allocated again
     */
    public long checkedDataOffset(final long handle, final long payload, final long generation) {
        // The hot path of every resolve and receive: compares only, the messages are built in badBlock.
        checkHandle(handle);
        final long sizeFlags = (long) SIZE_FLAGS_H.getAcquire(memory, handle);
        final long tagGeneration = (long) BlockLayout.TAG_GENERATION_H.get(memory,
                handle + BlockLayout.TAG_GENERATION_OFFSET);
        final long blockSize = sizeFlags & ~FLAGS;
        final long userOffset = (short) USER_OFFSET_H.get(memory, handle);
        if ((sizeFlags & (FREE | CHUNK)) != 0 || BlockLayout.tagOf(tagGeneration) != tag || blockSize > heapEnd - handle
                || userOffset < HEADER_BYTES || payload > blockSize - userOffset
                || generation != 0 && generation != BlockLayout.generationOf(tagGeneration)) {
            throw badBlock(handle, payload, generation);
        }
        return handle + userOffset;
    }

    /** @return what {@link #checkedDataOffset} throws for a block that fails its checks, reread to name the fault */
    private SharedMemoryException badBlock(final long handle, final long payload, final long generation) {
        final long sizeFlags = (long) SIZE_FLAGS_H.getAcquire(memory, handle);
        final int blockTag = (int) TAG_H.getAcquire(memory, handle);
        final long blockSize = sizeFlags & ~FLAGS;
        if ((sizeFlags & (FREE | CHUNK)) != 0 || blockTag != tag || blockSize > heapEnd - handle) {
            return new SharedMemoryException("handle=" + handle + " is not a live block of segmentId=" + id
                    + " in session " + session + ": flags=" + (sizeFlags & FLAGS) + ", tag="
                    + Integer.toHexString(blockTag) + ", blockSize=" + blockSize);
        }
        final long userOffset = (short) USER_OFFSET_H.get(memory, handle);
        if (userOffset < HEADER_BYTES || payload > blockSize - userOffset) {
            return new SharedMemoryException("size=" + payload + " outside the block at handle=" + handle
                    + " of segmentId=" + id + " in session " + session + ": userOffset=" + userOffset
                    + ", blockSize=" + blockSize);
        }
        final long blockGeneration = (int) BlockLayout.GENERATION_H.get(memory, handle) & 0xFFFFFFFFL;
        return new SharedMemoryException("stale header: handle=" + handle + " of segmentId=" + id
                + " in session " + session + " has generation " + blockGeneration + ", the header "
                + generation + " (its block was freed and allocated again)");
    }

    /**
     * Checks that a handle from another process may name a block header (inside the heap, 16-aligned), before
     * anything of the header is read.
     *
     * @throws SharedMemoryException naming the handle and the valid range
     */
    public void checkHandle(final long handle) {
        // Every block is at least MIN_LARGE (80) bytes, and the header's VarHandles check that the whole
        // BlockLayout (64 bytes) fits: a handle nearer the end than that is no block (and would throw IOOBE).
        if (handle < HEAP_OFFSET || handle > heapEnd - MIN_LARGE || (handle & 15) != 0) {
            throw badHandle(handle);
        }
    }

    private SharedMemoryException badHandle(final long handle) {
        return new SharedMemoryException("handle=" + handle + " outside segmentId=" + id + " of session "
                + session + ": valid handles are 16-aligned in [" + HEAP_OFFSET + ", "
                + (heapEnd - MIN_LARGE) + "]");
    }

    /** @return the generation of the allocated block at {@code block}, carried in a managed header's hint */
    public long generation(final long block) {
        return (int) BlockLayout.GENERATION_H.get(memory, block) & 0xFFFFFFFFL;
    }

    // ---------------------------------------------------------------------------------------------------------
    // size classes: Treiber stacks

    static int sizeClass(final long total) {
        return Math.max(0, 64 - Long.numberOfLeadingZeros(total - 1) - 6);
    }

    private long classHead(final int cls) {
        return (long) CLASS_HEAD_H.get(memory, CLASS_HEADS_OFFSET, (long) cls);
    }

    private void setClassHead(final int cls, final long block) {
        CLASS_HEAD_H.set(memory, CLASS_HEADS_OFFSET, (long) cls, block);
    }

    /** Takes the first block of the class list (carving a chunk when it is empty); the caller holds the lock. */
    private long takeListed(final int cls) {
        long head = classHead(cls);
        if (head == 0) {
            carve(cls);
            head = classHead(cls);
            if (head == 0) {
                return 0;
            }
        }
        setClassHead(cls, (long) LINK_H.get(memory, head));
        return head;
    }

    /** Carves a new chunk for class {@code cls} onto its list (nothing when the heap has no room); under the lock. */
    private void carve(final int cls) {
        final long chunkPayload = chunkPayload(cls);
        beginTransfer(SegmentLayout.CARVE, cls, 0, (int) (chunkPayload >> (6 + cls)), 0L, 0L, 0L);
        final long chunk = allocateLarge(align(HEADER_BYTES + MAX_ALIGNMENT - 16 + chunkPayload, 16), true, null);
        if (chunk >= 0) {
            carveChunk(chunk, cls);
        }
        endTransfer();
    }

    /** @return the payload bytes of a chunk of class {@code cls}: 64 KiB, or 8 blocks of the larger classes */
    private static long chunkPayload(final int cls) {
        return Math.max(CHUNK_BYTES, 8 * (64L << cls));
    }

    private static long chunkBase(final long chunk) {
        return align(chunk + HEADER_BYTES, MAX_ALIGNMENT);
    }

    /** Formats the allocated large block {@code chunk} as a chunk of class {@code cls} and lists its blocks. */
    private void carveChunk(final long chunk, final int cls) {
        final long blockSize = 64L << cls;
        final long chunkSize = (long) SIZE_FLAGS_H.get(memory, chunk) & ~FLAGS;
        final long base = chunkBase(chunk);
        USER_OFFSET_H.set(memory, chunk, (short) (base - chunk));
        TAG_H.set(memory, chunk, 0);
        CLASS_INDEX_H.set(memory, chunk, (short) cls);
        final int generation = nextGeneration();
        SIZE_FLAGS_H.set(memory, chunk, chunkSize | CHUNK);
        final long count = chunkPayload(cls) / blockSize;
        final long head = classHead(cls);
        for (long i = 0; i < count; i++) {
            final long block = base + i * blockSize;
            SIZE_FLAGS_H.set(memory, block, blockSize | SMALL | FREE);
            CLASS_INDEX_H.set(memory, block, (short) cls);
            TAG_H.set(memory, block, 0);
            BlockLayout.GENERATION_H.set(memory, block, generation);
            LINK_H.set(memory, block, i + 1 < count ? block + blockSize : head);
        }
        setClassHead(cls, base);
    }

    // ---------------------------------------------------------------------------------------------------------
    // large blocks: segregated fit under the lock

    /** @return the segment's next block generation (never 0); the caller holds the lock */
    private int nextGeneration() {
        long next = (long) SegmentLayout.GENERATION_H.get(memory, 0L) + 1;
        if ((int) next == 0) {
            next++;
        }
        SegmentLayout.GENERATION_H.set(memory, 0L, next);
        return (int) next;
    }

    private static int bin(final long blockSize) {
        return 63 - Long.numberOfLeadingZeros(blockSize);
    }

    /**
     * @param chunk        whether the block becomes a chunk: its offset goes into the transfer record before it is
     *                     taken
     * @param beforeTaken  called with the chosen free block and the size it will have before the heap marks it
     *                     allocated (null: nothing)
     */
    private long allocateLarge(final long total, final boolean chunk, final BeforeTaken beforeTaken) {
        final int k = bin(total);
        long candidate = -1;
        int scanned = 0;
        for (long b = (long) BIN_H.get(memory, BINS_OFFSET, (long) k); b != 0 && scanned < 64;
             b = (long) FREE_NEXT_H.get(memory, b), scanned++) {
            if (((long) SIZE_FLAGS_H.get(memory, b) & ~FLAGS) >= total) {
                candidate = b;
                break;
            }
        }
        if (candidate < 0) {
            final long bitmap = (long) BIN_BITMAP_H.get(memory, 0L);
            final long higher = k >= 63 ? 0 : bitmap & -(1L << (k + 1));
            if (higher == 0) {
                return -1;
            }
            candidate = (long) BIN_H.get(memory, BINS_OFFSET, (long) Long.numberOfTrailingZeros(higher));
        }
        final long blockSize = (long) SIZE_FLAGS_H.get(memory, candidate) & ~FLAGS;
        final long rest = blockSize - total;
        final boolean split = rest >= MIN_LARGE;
        // Reserve before writing anything: a refusal leaves the heap untouched.
        reserve(candidate + (split ? total + MIN_LARGE : blockSize));
        if (chunk) {
            SegmentLayout.T_FIRST_H.set(memory, 0L, candidate);
            VarHandle.storeStoreFence(); // recorded before the heap changes (see beginTransfer)
        }
        if (beforeTaken != null) {
            beforeTaken.accept(candidate, split ? total : blockSize);
            VarHandle.storeStoreFence(); // what it wrote is visible before the heap's stores
        }
        unlinkFree(candidate, blockSize);
        final long next = candidate + blockSize;
        if (split) {
            final long remainder = candidate + total;
            SIZE_FLAGS_H.set(memory, remainder, rest | FREE);
            LINK_H.set(memory, remainder, total);
            TAG_H.set(memory, remainder, 0);
            SIZE_FLAGS_H.set(memory, candidate, total);
            if (next < heapEnd) {
                LINK_H.set(memory, next, rest);
            }
            insertFree(remainder, rest);
        } else {
            SIZE_FLAGS_H.set(memory, candidate, blockSize);
        }
        return candidate;
    }

    private void freeLarge(final long block, final long blockSize) {
        long start = block;
        long length = blockSize;
        final long next = block + blockSize;
        if (next < heapEnd) {
            final long nextFlags = (long) SIZE_FLAGS_H.get(memory, next);
            if ((nextFlags & FREE) != 0) {
                final long nextSize = nextFlags & ~FLAGS;
                unlinkFree(next, nextSize);
                length += nextSize;
            }
        }
        if (block > HEAP_OFFSET) {
            final long previous = block - (long) LINK_H.get(memory, block);
            final long previousFlags = (long) SIZE_FLAGS_H.get(memory, previous);
            if ((previousFlags & FREE) != 0) {
                final long previousSize = previousFlags & ~FLAGS;
                unlinkFree(previous, previousSize);
                start = previous;
                length += previousSize;
            }
        }
        SIZE_FLAGS_H.set(memory, start, length | FREE);
        if (start + length < heapEnd) {
            LINK_H.set(memory, start + length, length);
        }
        insertFree(start, length);
    }

    private void insertFree(final long block, final long blockSize) {
        final int k = bin(blockSize);
        final long head = (long) BIN_H.get(memory, BINS_OFFSET, (long) k);
        FREE_NEXT_H.set(memory, block, head);
        FREE_PREV_H.set(memory, block, 0L);
        if (head != 0) {
            FREE_PREV_H.set(memory, head, block);
        }
        BIN_H.set(memory, BINS_OFFSET, (long) k, block);
        BIN_BITMAP_H.set(memory, 0L, (long) BIN_BITMAP_H.get(memory, 0L) | 1L << k);
    }

    private void unlinkFree(final long block, final long blockSize) {
        final int k = bin(blockSize);
        final long previous = (long) FREE_PREV_H.get(memory, block);
        final long next = (long) FREE_NEXT_H.get(memory, block);
        if (previous == 0) {
            BIN_H.set(memory, BINS_OFFSET, (long) k, next);
        } else {
            FREE_NEXT_H.set(memory, previous, next);
        }
        if (next != 0) {
            FREE_PREV_H.set(memory, next, previous);
        }
        if ((long) BIN_H.get(memory, BINS_OFFSET, (long) k) == 0) {
            BIN_BITMAP_H.set(memory, 0L, (long) BIN_BITMAP_H.get(memory, 0L) & ~(1L << k));
        }
    }

    /**
     * Under the lock, before a block that reaches {@code end} is handed out: reserves the file up to it, the authority
     * of the full-tmpfs guarantee (a refusal fails the allocation).
     */
    private void reserve(final long end) {
        final long reserved = (long) RESERVED_END_H.getVolatile(memory, 0L);
        if (end > reserved) {
            reserveFrom(reserved, end);
        }
    }

    /**
     * Off the lock, before large blocks of {@code bytes} in all are taken: reserves the file up to where they most
     * likely end (the heap's start, its used bytes and these: where a first pass over the heap carves them), so that
     * the lock, which the other processes' frees need, is seldom held through {@code posix_fallocate} (tmpfs zeroes
     * every page it reserves: about 1.4 ms per 16 MiB on this VM). {@link #reserve} under the lock stays the authority;
     * a refusal here is left to it.
     */
    private void reserveBeforeLock(final long bytes) {
        final long reserved = (long) RESERVED_END_H.getVolatile(memory, 0L);
        final long likelyEnd = HEAP_OFFSET + (long) USED_BYTES_H.getVolatile(memory, 0L) + bytes + MIN_LARGE;
        if (reserved >= size || likelyEnd <= reserved) {
            return;
        }
        try {
            reserveFrom(reserved, likelyEnd);
        } catch (SharedMemoryException e) {
            // the reservation under the lock reports it, for the block that needs it
        }
    }

    /**
     * Reserves the file from {@code reserved} (the {@code reservedEnd} the caller read) to {@code end} rounded up to a
     * step, then raises {@code reservedEnd} to that unless it is there already; never lowers it. A compare-and-set:
     * {@link #reserveBeforeLock} raises it without the lock, over a range it reserved contiguously from the end it
     * read, so that everything below the word stays reserved.
     */
    private void reserveFrom(final long reserved, final long end) {
        final long newEnd = Math.min(size, align(end, RESERVE_STEP));
        ShmFiles.reserve(file, reserved, newEnd - reserved);
        long current = (long) RESERVED_END_H.getVolatile(memory, 0L);
        while (current < newEnd && !RESERVED_END_H.compareAndSet(memory, 0L, current, newEnd)) {
            current = (long) RESERVED_END_H.getVolatile(memory, 0L);
        }
    }

    /**
     * The repair pass, run under the lock after stealing it from a dead owner: finishes or undoes its block transfer
     * ({@link #finishTransfer}), then walks the physical block chain (the
     * ground truth, changed by single 8-byte stores), merges neighbouring free blocks, rewrites every predecessor
     * size and rebuilds the bins. A broken chain (impossible with ordered stores, but cheap to survive) turns the
     * rest of the heap into one free block.
     */
    public void repair() {
        finishTransfer();
        for (int k = 0; k < BINS; k++) {
            BIN_H.set(memory, BINS_OFFSET, (long) k, 0L);
        }
        BIN_BITMAP_H.set(memory, 0L, 0L);
        long previous = -1;
        long previousSize = 0;
        boolean previousFree = false;
        long block = HEAP_OFFSET;
        while (block < heapEnd) {
            long sizeFlags = (long) SIZE_FLAGS_H.get(memory, block);
            long blockSize = sizeFlags & ~FLAGS;
            if (blockSize < MIN_LARGE || (blockSize & 15) != 0 || blockSize > heapEnd - block) {
                blockSize = heapEnd - block;
                sizeFlags = blockSize | FREE;
                SIZE_FLAGS_H.set(memory, block, sizeFlags);
            }
            final boolean free = (sizeFlags & FREE) != 0;
            if (free && previousFree) {
                previousSize += blockSize;
                SIZE_FLAGS_H.set(memory, previous, previousSize | FREE);
            } else {
                if (previousFree) {
                    insertFree(previous, previousSize);
                }
                LINK_H.set(memory, block, previous < 0 ? 0L : previousSize);
                previous = block;
                previousSize = blockSize;
                previousFree = free;
            }
            block += blockSize;
        }
        if (previousFree) {
            insertFree(previous, previousSize);
        }
    }

    public static long align(final long value, final long alignment) {
        return (value + alignment - 1) & -alignment;
    }
}
