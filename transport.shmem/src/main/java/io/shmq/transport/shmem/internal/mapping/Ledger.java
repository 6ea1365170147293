package io.shmq.transport.shmem.internal.mapping;

import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.shmem.internal.os.FileHeaderLayout;
import io.shmq.transport.shmem.internal.os.ProcessIdentity;
import io.shmq.transport.shmem.internal.os.ShmFiles;
import io.shmq.transport.shmem.internal.segment.BlockCache;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.shmq.transport.shmem.internal.mapping.LedgerLayout.ENTRIES_OFFSET;
import static io.shmq.transport.shmem.internal.mapping.LedgerLayout.ENTRY;

/**
 * This factory's ledger file ({@link LedgerLayout}): {@link OpenMessages} writes an entry when a message takes a
 * payload and clears it when the message gives it up, each under the lock of the message's stripe, so the
 * entries of a stripe are only ever written by one thread at a time. Each stripe owns a range of
 * {@link #STRIPE_ENTRIES} entries; the file is sparse and reserved ({@code posix_fallocate}) as a stripe's range
 * fills, so a full tmpfs costs a message its entry (it is then not reclaimed after a crash), never a SIGBUS.
 */
final class Ledger {
    /** Entries per stripe: a thread may hold this many payloads at once before further ones go unrecorded. */
    static final int STRIPE_ENTRIES = 1 << 16;
    /** Entries reserved at once in a stripe's range. */
    private static final int RESERVE_ENTRIES = 1024;
    private static final System.Logger LOG = System.getLogger(Ledger.class.getName());

    private final Path file;
    private final Arena arena;
    private final MemorySegment memory;
    private final Object inode;
    private volatile boolean warned;

    private Ledger(final Path file, final Arena arena, final MemorySegment memory) {
        this.file = file;
        this.arena = arena;
        this.memory = memory;
        this.inode = ShmFiles.inode(file);
    }


    /** Creates the ledger of device slot {@code slot} for {@code stripes} stripes (the file must not exist). */
    static Ledger create(final Path file, final int slot, final int stripes) {
        final int capacity = stripes * STRIPE_ENTRIES;
        final Arena arena = Arena.ofShared();
        try {
            Files.deleteIfExists(file); // only a file of this very slot, whose process was proven dead
            final MemorySegment memory = ShmFiles.createMapped(file, LedgerLayout.bytes(capacity), ENTRIES_OFFSET,
                    arena);
            FileHeaderLayout.format(memory, LedgerLayout.MAGIC);
            LedgerLayout.DEVICE_SLOT_H.set(memory, 0L, slot);
            LedgerLayout.PID_H.set(memory, 0L, ProcessIdentity.PID);
            LedgerLayout.TOKEN_H.set(memory, 0L, ProcessIdentity.TOKEN);
            LedgerLayout.CAPACITY_H.set(memory, 0L, capacity);
            FileHeaderLayout.signalReady(memory, LedgerLayout.VERSION);
            return new Ledger(file, arena, memory);
        } catch (IOException | RuntimeException e) {
            arena.close();
            if (e instanceof SharedMemoryException s) {
                throw s;
            }
            throw new SharedMemoryException("cannot create ledger " + file + ": " + e, e);
        }
    }

    /**
     * Reserves the file blocks of entries {@code [from, from + RESERVE_ENTRIES)}; the stripe's lock is held.
     *
     * @return whether they are reserved (false: the file system is full; the entries stay unused)
     */
    boolean reserve(final int from) {
        try {
            ShmFiles.reserve(file, ENTRIES_OFFSET + from * ENTRY.byteSize(), RESERVE_ENTRIES * ENTRY.byteSize());
            return true;
        } catch (SharedMemoryException e) {
            if (!warned) {
                warned = true;
                LOG.log(System.Logger.Level.WARNING, "ledger " + file + " cannot grow (" + e.getMessage()
                        + "): payloads taken from now on are not reclaimed if this process dies");
            }
            return false;
        }
    }

    static int reserveStep() {
        return RESERVE_ENTRIES;
    }

    /**
     * @return stripe {@code stripe}'s block caches for segment {@code segmentId} (formatted empty); their owner tag
     * mixes this process's pid and start token with the stripe, so that no other live process's stripe, nor one of a
     * later process in the same device slot, has the same (but with probability 2^-28)
     */
    BlockCache cache(final int stripe, final int segmentId) {
        final long mixed = (ProcessIdentity.PID * 0x9E3779B97F4A7C15L) ^ (ProcessIdentity.TOKEN * 0xC2B2AE3D27D4EB4FL);
        int owner = (int) (mixed ^ (mixed >>> 32)) << 4 | stripe;
        if ((owner & ~15) == 0) {
            owner |= 16;
        }
        return new BlockCache(memory, LedgerLayout.cachesOf(stripe), owner, segmentId);
    }

    /** Records a managed block reference at {@code index}. */
    void managed(final int index, final int segmentId, final long block, final long size, final long generation) {
        write(index, LedgerLayout.MANAGED, segmentId, block, size, generation, -1L);
    }

    /** Records a region range reference at {@code index}. */
    void region(final int index, final int regionId, final long offset, final long size, final long hint,
                final long shared) {
        write(index, LedgerLayout.REGION, regionId, offset, size, hint, shared);
    }

    private void write(final int index, final int state, final int id, final long handle, final long size,
                       final long hint, final long shared) {
        final long entry = LedgerLayout.entry(index);
        LedgerLayout.HANDLE_H.set(memory, entry, handle);
        LedgerLayout.SIZE_H.set(memory, entry, size);
        LedgerLayout.HINT_H.set(memory, entry, hint);
        LedgerLayout.SHARED_H.set(memory, entry, shared);
        // The state last, with the id in the same release store: a reader that sees the state sees the entry.
        LedgerLayout.STATE_ID_H.setRelease(memory, LedgerLayout.stateIdOffset(index), LedgerLayout.stateId(state, id));
    }

    /**
     * Notes in managed entry {@code index} the in-flight holder id its block is about to be handed over with (a send),
     * or -1 again when the send failed: a survivor of this process may take the block back from that id too.
     */
    void handover(final int index, final long inFlight) {
        LedgerLayout.SHARED_H.setRelease(memory, LedgerLayout.entry(index), inFlight);
    }

    /**
     * Marks managed entry {@code index} as the descriptor of a multipart unit being taken with the in-flight holder id
     * {@code inFlight} (see {@link LedgerLayout#UNIT}), before the descriptor's holder word is taken.
     */
    void unit(final int index, final long inFlight) {
        LedgerLayout.SHARED_H.setRelease(memory, LedgerLayout.entry(index), LedgerLayout.UNIT | inFlight);
    }

    /** Sets the payload size a managed entry {@code index} records (its block is given to another message). */
    void resize(final int index, final long size) {
        LedgerLayout.SIZE_H.set(memory, LedgerLayout.entry(index), size);
    }

    /** Clears entry {@code index}. */
    void clear(final int index) {
        LedgerLayout.STATE_H.setRelease(memory, LedgerLayout.entry(index), LedgerLayout.FREE);
    }

    /**
     * Unmaps and deletes the file; every entry must be clear (the factory released its messages). A file at the path
     * that is not this one (the session was removed by force and a successor's factory took the same slot) stays.
     */
    void close() {
        arena.close();
        try {
            if (inode != null && inode.equals(ShmFiles.inode(file))) {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot delete ledger " + file + ": " + e);
        }
    }

    /** One recorded reference of a dead factory. */
    record Entry(int state, int id, long handle, long size, long hint, long shared) {
        boolean managed() {
            return state == LedgerLayout.MANAGED;
        }

        /** @return whether this managed entry is a unit's descriptor ({@link LedgerLayout#UNIT}) */
        boolean unit() {
            return managed() && shared >= 0 && (shared & LedgerLayout.UNIT) != 0;
        }
    }

    /** What a dead factory's ledger file holds. */
    interface EntryVisitor {
        void visit(Entry entry);
    }

    /**
     * Reads a dead factory's ledger file: first the recorded entries, then the block caches of its stripes (every
     * entry, stale ones too). In this order: a block the dead process was allocating from its cache cannot be taken
     * by another process, through the list the cache returns it to, before its entry (which names the generation the
     * next allocation gives it) has been looked at.
     *
     * @return how many entries it visited
     * @throws SharedMemoryException when the file is not a ledger of this version
     */
    static int read(final Path file, final BlockCache.Visitor caches, final EntryVisitor visitor) {
        try (Arena arena = Arena.ofConfined();
             FileChannel channel = FileChannel.open(file, java.nio.file.StandardOpenOption.READ,
                     java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            ShmFiles.checkOwner(file);
            final long size = channel.size();
            if (size < ENTRIES_OFFSET) {
                throw FileHeaderLayout.incompatible(file, "size", "at least " + ENTRIES_OFFSET, Long.toString(size));
            }
            final MemorySegment memory = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            FileHeaderLayout.checkReady(memory, file, LedgerLayout.MAGIC, LedgerLayout.VERSION);
            final long capacity = Math.min((int) LedgerLayout.CAPACITY_H.get(memory, 0L) & 0xFFFFFFFFL,
                    (size - ENTRIES_OFFSET) / ENTRY.byteSize());
            int visited = 0;
            for (long i = 0; i < capacity; i++) {
                final long entry = LedgerLayout.entry(i);
                final int state = (int) LedgerLayout.STATE_H.getAcquire(memory, entry);
                if (state == LedgerLayout.MANAGED || state == LedgerLayout.REGION) {
                    visitor.visit(new Entry(state, (int) LedgerLayout.ID_H.get(memory, entry),
                            (long) LedgerLayout.HANDLE_H.get(memory, entry),
                            (long) LedgerLayout.SIZE_H.get(memory, entry),
                            (long) LedgerLayout.HINT_H.get(memory, entry),
                            (long) LedgerLayout.SHARED_H.get(memory, entry)));
                    visited++;
                }
            }
            for (int stripe = 0; stripe < LedgerLayout.STRIPES; stripe++) {
                BlockCache.read(memory, LedgerLayout.cachesOf(stripe), caches);
            }
            return visited;
        } catch (IOException e) {
            throw new SharedMemoryException("cannot read ledger " + file + ": " + e, e);
        }
    }
}
