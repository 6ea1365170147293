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
 * classes (64 B .. 8 KiB), each a lock-free Treiber stack whose head packs a 32-bit ABA tag with the block offset
 * divided by 16; stacks are refilled with 64 KiB chunks carved from the large-block heap. Larger blocks come from
 * a segregated-fit heap (64 power-of-two bins, boundary tags, immediate coalescing) under a {@link RobustLock}.
 * Small blocks are never returned to the large heap: a chunk stays with its class.
 *
 * <p>{@link #freeMemory()} counts the bytes not held by live blocks (segment heap minus {@code usedBytes}), so it
 * returns exactly to its start value when every message is closed; fragmentation may still refuse a large block.
 *
 * <p>Full tmpfs: the segment file is sparse; the allocator reserves file blocks ({@code posix_fallocate}) ahead of
 * the highest byte it or a user may touch, in steps of {@link #RESERVE_STEP}, under the lock. When the file system
 * is full the reservation fails and the allocation throws {@link SharedMemoryException} instead of a SIGBUS. Memory
 * below {@code reservedEnd} is never released back to the file system while the segment exists.
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
        this.lock = new RobustLock(memory, 0L, SegmentLayout.LOCK_H, this::repair);
        this.freed = new Doorbell(memory, 0L, SegmentLayout.FREE_BELL_H, SegmentLayout.FREE_SLEEPERS_H,
                SegmentLayout.FREE_BELL_OFFSET);
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
        final long userOffset = Math.max(HEADER_BYTES, alignment);
        if (payload <= SMALL_LIMIT - userOffset) {
            final long total = userOffset + payload;
            final int cls = sizeClass(total);
            long block = pop(cls);
            if (block == 0) {
                refill(cls);
                block = pop(cls);
            }
            if (block != 0) {
                final long blockSize = 64L << cls;
                USER_OFFSET_H.set(memory, block, (short) userOffset);
                TAG_H.set(memory, block, tag);
                final int generation = (int) BlockLayout.GENERATION_H.get(memory, block) + 1;
                BlockLayout.GENERATION_H.set(memory, block, generation == 0 ? 1 : generation);
                REF_COUNT_H.set(memory, block, 1);
                SIZE_FLAGS_H.setRelease(memory, block, blockSize | SMALL);
                USED_BYTES_H.getAndAdd(memory, 0L, blockSize);
                return block;
            }
        }
        final long padding = alignment > 16 ? alignment - 16 : 0;
        if (payload > heapEnd) {
            return -1;
        }
        final long total = Math.max(MIN_LARGE, align(HEADER_BYTES + padding + payload, 16));
        lock.lock();
        try {
            final long block = allocateLarge(total);
            if (block < 0) {
                return -1;
            }
            final long blockSize = (long) SIZE_FLAGS_H.get(memory, block) & ~FLAGS;
            final long data = align(block + HEADER_BYTES, alignment);
            USER_OFFSET_H.set(memory, block, (short) (data - block));
            TAG_H.set(memory, block, tag);
            CLASS_INDEX_H.set(memory, block, (short) -1);
            BlockLayout.GENERATION_H.set(memory, block, nextGeneration());
            REF_COUNT_H.setRelease(memory, block, 1);
            USED_BYTES_H.getAndAdd(memory, 0L, blockSize);
            return block;
        } finally {
            lock.unlock();
        }
    }

    /** @return the payload offset of an allocated block */
    public long dataOffset(final long block) {
        return block + (short) USER_OFFSET_H.get(memory, block);
    }

    /** Adds a reference. */
    public void retain(final long block) {
        REF_COUNT_H.getAndAdd(memory, block, 1);
    }

    /**
     * Drops a reference and frees the block when it was the last.
     *
     * @return true when this call freed the block
     */
    public boolean release(final long block) {
        final int before = (int) REF_COUNT_H.getAndAdd(memory, block, -1);
        if (before > 1) {
            return false;
        }
        if (before < 1) {
            REF_COUNT_H.getAndAdd(memory, block, 1);
            throw new SharedMemoryException("double release: handle=" + block + ", refCount=" + before
                    + " in segmentId=" + id + " of session " + session);
        }
        free(block);
        return true;
    }

    private void free(final long block) {
        final long sizeFlags = (long) SIZE_FLAGS_H.getAcquire(memory, block);
        final long blockSize = sizeFlags & ~FLAGS;
        TAG_H.set(memory, block, 0);
        USED_BYTES_H.getAndAdd(memory, 0L, -blockSize);
        if ((sizeFlags & SMALL) != 0) {
            SIZE_FLAGS_H.set(memory, block, blockSize | SMALL | FREE);
            push((short) CLASS_INDEX_H.get(memory, block), block);
        } else {
            lock.lock();
            try {
                freeLarge(block, blockSize);
            } finally {
                lock.unlock();
            }
        }
        // One acquire load of a line nobody writes while no allocation waits: the common free pays nothing more.
        if (freed.hasSleepers()) {
            freed.ring();
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
        // Every block is at least MIN_LARGE (64) bytes, and the header's VarHandles check that the whole
        // BlockLayout (48 bytes) fits: a handle nearer the end than that is no block (and would throw IOOBE).
        if (handle < HEAP_OFFSET || handle > heapEnd - MIN_LARGE || (handle & 15) != 0) {
            throw new SharedMemoryException("handle=" + handle + " outside segmentId=" + id + " of session "
                    + session + ": valid handles are 16-aligned in [" + HEAP_OFFSET + ", "
                    + (heapEnd - MIN_LARGE) + "]");
        }
        final long sizeFlags = (long) SIZE_FLAGS_H.getAcquire(memory, handle);
        final int blockTag = (int) TAG_H.getAcquire(memory, handle);
        final long blockSize = sizeFlags & ~FLAGS;
        if ((sizeFlags & (FREE | CHUNK)) != 0 || blockTag != tag || blockSize > heapEnd - handle) {
            throw new SharedMemoryException("handle=" + handle + " is not a live block of segmentId=" + id
                    + " in session " + session + ": flags=" + (sizeFlags & FLAGS) + ", tag="
                    + Integer.toHexString(blockTag) + ", blockSize=" + blockSize);
        }
        final long userOffset = (short) USER_OFFSET_H.get(memory, handle);
        if (userOffset < HEADER_BYTES || payload > blockSize - userOffset) {
            throw new SharedMemoryException("size=" + payload + " outside the block at handle=" + handle
                    + " of segmentId=" + id + " in session " + session + ": userOffset=" + userOffset
                    + ", blockSize=" + blockSize);
        }
        if (generation != 0) {
            final long blockGeneration = (int) BlockLayout.GENERATION_H.get(memory, handle) & 0xFFFFFFFFL;
            if (generation != blockGeneration) {
                throw new SharedMemoryException("stale header: handle=" + handle + " of segmentId=" + id
                        + " in session " + session + " has generation " + blockGeneration + ", the header "
                        + generation + " (its block was freed and allocated again)");
            }
        }
        return handle + userOffset;
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

    private long pop(final int cls) {
        while (true) {
            final long head = (long) CLASS_HEAD_H.getAcquire(memory, CLASS_HEADS_OFFSET, (long) cls);
            final long index = head & 0xFFFFFFFFL;
            if (index == 0) {
                return 0;
            }
            final long block = index << 4;
            final long next = (long) LINK_H.getOpaque(memory, block);
            final long newHead = ((head >>> 32) + 1) << 32 | ((next >>> 4) & 0xFFFFFFFFL);
            if (CLASS_HEAD_H.compareAndSet(memory, CLASS_HEADS_OFFSET, (long) cls, head, newHead)) {
                return block;
            }
        }
    }

    private void push(final int cls, final long block) {
        pushChain(cls, block, block);
    }

    private void pushChain(final int cls, final long first, final long last) {
        while (true) {
            final long head = (long) CLASS_HEAD_H.getAcquire(memory, CLASS_HEADS_OFFSET, (long) cls);
            LINK_H.setRelease(memory, last, (head & 0xFFFFFFFFL) << 4);
            final long newHead = ((head >>> 32) + 1) << 32 | (first >>> 4);
            if (CLASS_HEAD_H.compareAndSet(memory, CLASS_HEADS_OFFSET, (long) cls, head, newHead)) {
                return;
            }
        }
    }

    private void refill(final int cls) {
        final long blockSize = 64L << cls;
        final long chunkPayload = Math.max(CHUNK_BYTES, 8 * blockSize);
        final long chunk;
        final long base;
        final int generation;
        lock.lock();
        try {
            chunk = allocateLarge(align(HEADER_BYTES + MAX_ALIGNMENT - 16 + chunkPayload, 16));
            if (chunk < 0) {
                return;
            }
            base = align(chunk + HEADER_BYTES, MAX_ALIGNMENT);
            USER_OFFSET_H.set(memory, chunk, (short) (base - chunk));
            TAG_H.set(memory, chunk, 0);
            CLASS_INDEX_H.set(memory, chunk, (short) cls);
            generation = nextGeneration();
            final long sizeFlags = (long) SIZE_FLAGS_H.get(memory, chunk);
            SIZE_FLAGS_H.set(memory, chunk, sizeFlags | CHUNK);
        } finally {
            lock.unlock();
        }
        final long count = chunkPayload / blockSize;
        for (long i = 0; i < count; i++) {
            final long block = base + i * blockSize;
            SIZE_FLAGS_H.set(memory, block, blockSize | SMALL | FREE);
            CLASS_INDEX_H.set(memory, block, (short) cls);
            TAG_H.set(memory, block, 0);
            BlockLayout.GENERATION_H.set(memory, block, generation);
            LINK_H.set(memory, block, i + 1 < count ? block + blockSize : 0L);
        }
        pushChain(cls, base, base + (count - 1) * blockSize);
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

    private long allocateLarge(final long total) {
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

    private void reserve(final long end) {
        final long reserved = (long) RESERVED_END_H.get(memory, 0L);
        if (end <= reserved) {
            return;
        }
        final long newEnd = Math.min(size, align(end, RESERVE_STEP));
        ShmFiles.reserve(file, reserved, newEnd - reserved);
        RESERVED_END_H.set(memory, 0L, newEnd);
    }

    /**
     * The repair pass, run under the lock after stealing it from a dead owner: walks the physical block chain (the
     * ground truth, changed by single 8-byte stores), merges neighbouring free blocks, rewrites every predecessor
     * size and rebuilds the bins. A broken chain (impossible with ordered stores, but cheap to survive) turns the
     * rest of the heap into one free block.
     */
    public void repair() {
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
