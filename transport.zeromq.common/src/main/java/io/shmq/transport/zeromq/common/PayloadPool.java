package io.shmq.transport.zeromq.common;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The small own payloads of one factory of either zeromq provider, recycled: blocks of a power of two from
 * {@value #MIN_BYTES} B to the factory's largest small payload, carved from {@value #CHUNK_BYTES}-byte chunks of the
 * factory's shared arena.
 * Each thread keeps up to {@value #THREAD_BLOCKS} free blocks per class of its own (no atomic operation to take or
 * give one); beyond that, blocks move to and from a shared stack per class in halves, under a {@link CallLock}.
 *
 * <p>Why: a small payload is copied by its send (libzmq's {@code zmq_send}; a heap frame for JeroMQ) and given back
 * right after, so a sender that makes a new message per send (as FairMQ devices do) takes and gives one block per
 * message, and a receiver copies each small frame into one. In the libzmq provider, {@code malloc} and {@code free}
 * cost two native calls and a place on the factory's registry per message (the factory frees what is still open
 * when it closes), and the registry's CAS and its prunes were about a sixth of a 64 B sender's CPU time (JFR
 * CPU-time samples); a pooled payload needs no registry, the arena's close frees every chunk. In the JeroMQ provider
 * every small payload was a slice of a fresh, zero-filled 64 KiB automatic arena, and zero-filling and first
 * touching them was the largest item of a 4 KiB sender's and receiver's CPU time.
 *
 * <p>Bounded: a class carves at most {@value #CHUNKS_PER_CLASS} chunks, so the pool holds at most 8 MiB; what a
 * device held at its peak stays with the factory until it closes. Beyond the bound {@link #take} returns null and the
 * message falls back to {@code malloc}. Blocks are aligned to their size up to 4 KiB (chunks are page-aligned), so any
 * alignment up to {@value #MAX_ALIGNMENT} is served here.
 */
public final class PayloadPool {
    /** The smallest block. */
    public static final long MIN_BYTES = 64;
    /** The largest alignment every block has. */
    public static final long MAX_ALIGNMENT = 64;
    private static final int MIN_SHIFT = Long.numberOfTrailingZeros(MIN_BYTES);
    private static final long CHUNK_BYTES = 64 * 1024;
    private static final int CHUNKS_PER_CLASS = 16;
    /** Free blocks a thread keeps per class; half of them move at once to or from the shared stack. */
    private static final int THREAD_BLOCKS = 64;

    private final Arena arena;
    private final int classes;
    private final Shared[] shared;
    /** The calling thread's free blocks: a thread that stops using the factory leaves them to the arena's close. */
    private final ThreadLocal<Local> local = ThreadLocal.withInitial(() -> new Local(classes()));
    /**
     * The blocks of the thread that used the pool last, so that a factory used by one thread (the usual device)
     * finds them with a load and a compare instead of a {@link ThreadLocal} lookup per take and per give (JFR
     * CPU-time samples of a 64 B JeroMQ sender put the lookups at about a tenth of its thread's time). A racy
     * cache: a {@link Local} is immutable but for its owner's own use of it, and its owner is a final field, so a
     * thread that reads another's from here sees that it is not its own and looks its own up.
     */
    private Local last;

    /**
     * @param arena   the factory's arena: the chunks live as long as it
     * @param largest the largest block, a power of two from {@value #MIN_BYTES} to {@value #CHUNK_BYTES}
     */
    public PayloadPool(final Arena arena, final long largest) {
        if (largest < MIN_BYTES || largest > CHUNK_BYTES || Long.bitCount(largest) != 1) {
            throw new IllegalArgumentException("largest block must be a power of two in [" + MIN_BYTES + ", "
                    + CHUNK_BYTES + "]: largest=" + largest);
        }
        this.arena = arena;
        this.classes = Long.numberOfTrailingZeros(largest) - MIN_SHIFT + 1;
        this.shared = new Shared[classes];
        for (int i = 0; i < classes; i++) {
            shared[i] = new Shared(MIN_BYTES << i);
        }
    }

    /** @return the largest payload a block holds */
    public long largest() {
        return MIN_BYTES << (classes - 1);
    }

    /** @return the class index of a payload of {@code bytes} (1 to {@link #largest()}) */
    private static int classOf(final long bytes) {
        return Math.max(0, 64 - Long.numberOfLeadingZeros(bytes - 1) - MIN_SHIFT);
    }

    /**
     * @return a block of at least {@code bytes} (1 to {@link #largest()}), of its class's full
     * size, scoped to the factory's arena; null when the class carved all its chunks and none is free, or when the
     * factory's arena is closed
     */
    public MemorySegment take(final long bytes) {
        final int cls = classOf(bytes);
        final Local mine = mine();
        final MemorySegment[] stack = mine.stacks[cls];
        int count = mine.counts[cls];
        if (count == 0) {
            count = shared[cls].refill(stack);
            if (count == 0) {
                return null;
            }
        }
        final MemorySegment block = stack[--count];
        stack[count] = null;
        mine.counts[cls] = count;
        return block;
    }

    /** Gives back a block {@link #take} returned (its size names its class), into the calling thread's blocks. */
    public void give(final MemorySegment block) {
        final int cls = Long.numberOfTrailingZeros(block.byteSize()) - MIN_SHIFT;
        final Local mine = mine();
        final MemorySegment[] stack = mine.stacks[cls];
        int count = mine.counts[cls];
        if (count == THREAD_BLOCKS) {
            count = shared[cls].drain(stack, count);
        }
        stack[count] = block;
        mine.counts[cls] = count + 1;
    }

    private int classes() {
        return classes;
    }

    /** @return the calling thread's blocks: the last user's when that is this thread, else looked up */
    private Local mine() {
        final Thread thread = Thread.currentThread();
        final Local cached = last;
        if (cached != null && cached.owner == thread) {
            return cached;
        }
        final Local found = local.get();
        last = found;
        return found;
    }

    /** One thread's free blocks, a stack per class. */
    private static final class Local {
        final Thread owner = Thread.currentThread();
        final MemorySegment[][] stacks;
        final int[] counts;

        Local(final int classes) {
            stacks = new MemorySegment[classes][THREAD_BLOCKS];
            counts = new int[classes];
        }
    }

    /** One class's shared stack of free blocks and the chunks carved so far. */
    private final class Shared {
        private final long blockBytes;
        private final CallLock lock = new CallLock();
        private MemorySegment[] free = new MemorySegment[THREAD_BLOCKS];
        private int count;
        private int chunks;

        Shared(final long blockBytes) {
            this.blockBytes = blockBytes;
        }

        /** Moves up to half a thread stack of blocks into the empty {@code stack}; @return how many */
        int refill(final MemorySegment[] stack) {
            lock.lock();
            try {
                if (count == 0 && !carve()) {
                    return 0;
                }
                final int n = Math.min(count, THREAD_BLOCKS / 2);
                System.arraycopy(free, count - n, stack, 0, n);
                Arrays.fill(free, count - n, count, null);
                count -= n;
                return n;
            } finally {
                lock.unlock();
            }
        }

        /** Moves the upper half of the full {@code stack} here; @return the stack's count after */
        int drain(final MemorySegment[] stack, final int full) {
            final int keep = full / 2;
            lock.lock();
            try {
                if (free.length < count + full - keep) {
                    free = Arrays.copyOf(free, Math.max(free.length * 2, count + full - keep));
                }
                System.arraycopy(stack, keep, free, count, full - keep);
                count += full - keep;
            } finally {
                lock.unlock();
            }
            Arrays.fill(stack, keep, full, null);
            return keep;
        }

        /** Carves one more chunk into free blocks; the lock is held. @return false at the bound or after close */
        private boolean carve() {
            if (chunks == CHUNKS_PER_CLASS) {
                return false;
            }
            final MemorySegment chunk;
            try {
                chunk = arena.allocate(CHUNK_BYTES, 4096);
            } catch (final IllegalStateException | OutOfMemoryError e) {
                return false; // the arena is closed, or no native memory: the caller mallocs (and fails)
            }
            chunks++;
            final int blocks = (int) (CHUNK_BYTES / blockBytes);
            if (free.length < count + blocks) {
                free = Arrays.copyOf(free, Math.max(free.length * 2, count + blocks));
            }
            for (int i = blocks - 1; i >= 0; i--) {
                free[count++] = chunk.asSlice(i * blockBytes, blockBytes);
            }
            return true;
        }
    }
}
