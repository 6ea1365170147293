package io.shmq.transport.shmem.internal.segment;

import io.shmq.transport.shmem.internal.os.ShmFiles;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The block caches' protocol on one segment: what a cache holds is accounted exactly, a dead stripe's cache comes
 * back exactly (stale and duplicate entries included), and a transfer a dead lock holder left half done is finished
 * or undone by the next holder's repair.
 */
class BlockCacheTest {
    private static final long SIZE = 4L << 20;
    private static final int OWNER = 0x5A5A0010;
    private Path file;
    private ManagedSegment segment;
    private Arena arena;
    private MemorySegment ledger;

    @BeforeEach
    void setUp() {
        file = ShmFiles.DEFAULT_DIRECTORY.resolve("shmq_test_blockcache_" + UUID.randomUUID());
        segment = ManagedSegment.create(file, 0, SIZE, 0x1234, "test");
        arena = Arena.ofConfined();
        ledger = arena.allocate(BlockCacheLayout.STRIPE.byteSize(), 64);
    }

    @AfterEach
    void tearDown() throws Exception {
        arena.close();
        segment.close();
        Files.deleteIfExists(file);
    }

    private long allocate(final BlockCache cache, final int cls) {
        final long block = segment.takeCached(cache, cls);
        assertNotEquals(0, block);
        segment.activateSmall(block, cls, ManagedSegment.userOffset(16), segment.nextGeneration(block));
        return block;
    }

    /** The handles at {@code cache(base, c)} and {@code block(base, c, i)} reach the fields the diagram names. */
    @Test
    void shouldPinTheCacheOffsets() {
        assertEquals(1000 + 3 * 512, BlockCacheLayout.cache(1000, 3));
        assertEquals(1000 + 3 * 512 + 16 + 5 * 4, BlockCacheLayout.block(1000, 3, 5));
        final BlockCache cache = new BlockCache(ledger, 0, OWNER, 7);
        cache.enter(2, 123, 0x1230);
        cache.setCount(2, 9);
        final long at = 2 * 512;
        assertEquals(OWNER, ledger.get(ValueLayout.JAVA_INT, at));
        assertEquals(9, ledger.get(ValueLayout.JAVA_INT, at + 4));
        assertEquals(BlockCache.capacity(2), ledger.get(ValueLayout.JAVA_INT, at + 8));
        assertEquals(7, ledger.get(ValueLayout.JAVA_INT, at + 12));
        assertEquals(0x123, ledger.get(ValueLayout.JAVA_INT, at + 16 + 123 * 4));
        assertEquals(0x1230, cache.block(2, 123));
        assertThrows(IndexOutOfBoundsException.class, () -> BlockCacheLayout.cache(1000, SegmentLayout.CLASSES));
        assertThrows(IndexOutOfBoundsException.class,
                () -> BlockCacheLayout.block(1000, 3, BlockCacheLayout.MAX_BLOCKS));
    }

    @Test
    void shouldAccountCachedBlocksExactlyAndGiveThemBackAtDrain() {
        final long start = segment.freeMemory();
        final BlockCache cache = new BlockCache(ledger, 0, OWNER, 0);
        final List<Long> blocks = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            blocks.add(allocate(cache, 0));
        }
        assertEquals(start - 1000 * 64, segment.freeMemory() + cache.cachedBytes(), "1000 live 64 B blocks");
        for (final long block : blocks) {
            assertTrue(segment.releaseCached(block, cache));
        }
        assertEquals(start, segment.freeMemory() + cache.cachedBytes());
        assertTrue(cache.cachedBytes() > 0 && cache.cachedBytes() <= BlockCache.CACHE_BYTES);
        segment.drainAll(cache);
        assertEquals(0, cache.cachedBytes());
        assertEquals(start, segment.freeMemory(), "every block back on the class list");
    }

    @Test
    void shouldReturnExactlyWhatADeadStripeCachedStaleAndDuplicateEntriesIncluded() {
        final long start = segment.freeMemory();
        final BlockCache cache = new BlockCache(ledger, 0, OWNER, 0);
        final long live = allocate(cache, 1); // refills the cache, keeps one block allocated
        final long other = allocate(cache, 1);
        segment.releaseCached(other, cache); // back into the cache, at the index it left: entries repeat
        final long cached = cache.cachedBytes();
        assertTrue(cached > 0);
        // What a survivor reads from the dead stripe's file: every entry, stale ones too, twice over.
        final List<Long> entries = new ArrayList<>();
        BlockCache.read(ledger, 0, (owner, cls, segmentId, blocks) -> {
            if (cls == 1) {
                assertEquals(OWNER, owner);
                for (final long block : blocks) {
                    entries.add(block);
                    entries.add(block);
                }
            }
        });
        entries.add(live); // an allocated block is never taken
        entries.add(12345L); // garbage is ignored
        final int back = segment.reclaimCached(OWNER, 1, entries.stream().mapToLong(Long::longValue).toArray());
        assertEquals(cached / 128, back);
        assertEquals(start - 128, segment.freeMemory(), "all but the live block");
        assertEquals(0, segment.reclaimCached(OWNER, 1, entries.stream().mapToLong(Long::longValue).toArray()),
                "a second reading returns nothing");
        final BlockCache next = new BlockCache(ledger, 0, OWNER + 1, 0);
        assertTrue(segment.releaseCached(live, next));
        segment.drainAll(next);
        assertEquals(start, segment.freeMemory());
    }

    @Test
    void shouldUndoARefillTheDeadLockHolderLeftBeforeItMovedTheList() {
        final long start = segment.freeMemory();
        final BlockCache warm = new BlockCache(ledger, 0, OWNER, 0);
        segment.drainAll(warm);
        allocateAndFree(warm); // the class list of class 0 now has blocks
        segment.drainAll(warm);
        final MemorySegment memory = segment.memory();
        final long head = (long) SegmentLayout.CLASS_HEAD_H.get(memory, SegmentLayout.CLASS_HEADS_OFFSET, 0L);
        // The dead holder tagged three blocks for itself and died before it moved the head.
        long block = head;
        for (int i = 0; i < 3; i++) {
            BlockLayout.TAG_H.set(memory, block, OWNER + 7);
            block = (long) BlockLayout.LINK_H.get(memory, block);
        }
        final long used = SIZE - SegmentLayout.HEAP_OFFSET - start;
        segment.beginTransfer(SegmentLayout.REFILL, 0, OWNER + 7, 3, head, block, used + 3 * 64);
        segment.repair();
        assertEquals(SegmentLayout.NONE, (int) SegmentLayout.T_OP_H.get(memory, 0L));
        assertEquals(head, (long) SegmentLayout.CLASS_HEAD_H.get(memory, SegmentLayout.CLASS_HEADS_OFFSET, 0L));
        assertEquals(0, (int) BlockLayout.TAG_H.get(memory, head), "untagged: listed, no cache's");
        assertEquals(start, segment.freeMemory(), "nothing moved");
    }

    @Test
    void shouldFinishADrainTheDeadLockHolderLeftHalfDone() {
        final long start = segment.freeMemory();
        final BlockCache cache = new BlockCache(ledger, 0, OWNER, 0);
        final long a = allocate(cache, 0);
        final long b = allocate(cache, 0);
        segment.releaseCached(a, cache);
        segment.releaseCached(b, cache);
        final long cachedBefore = cache.cachedBytes();
        // The dead holder linked a and b for the list, tagged one of them 0 and died before the head moved.
        final MemorySegment memory = segment.memory();
        final long head = (long) SegmentLayout.CLASS_HEAD_H.get(memory, SegmentLayout.CLASS_HEADS_OFFSET, 0L);
        BlockLayout.LINK_H.set(memory, b, a);
        BlockLayout.LINK_H.set(memory, a, head);
        final long used = SIZE - SegmentLayout.HEAP_OFFSET - segment.freeMemory();
        segment.beginTransfer(SegmentLayout.DRAIN, 0, OWNER, 2, b, head, used - 128);
        BlockLayout.TAG_H.set(memory, b, 0);
        segment.repair();
        assertEquals(b, (long) SegmentLayout.CLASS_HEAD_H.get(memory, SegmentLayout.CLASS_HEADS_OFFSET, 0L));
        assertEquals(0, (int) BlockLayout.TAG_H.get(memory, a));
        assertEquals(start - cachedBefore + 128, segment.freeMemory(), "both blocks on the list, counted free");
        // The dead cache still lists a and b: they are no longer its own, so its reclamation skips them.
        assertEquals(0, segment.reclaimCached(OWNER, 0, new long[] {a, b}));
    }

    @Test
    void shouldMarkFreeALargeBlockWhoseGiveBackTheDeadLockHolderLeftHalfDone() {
        final long start = segment.freeMemory();
        final long block = segment.allocate(100_000, 16);
        final MemorySegment memory = segment.memory();
        final long size = (long) BlockLayout.SIZE_FLAGS_H.get(memory, block) & ~BlockLayout.FLAGS;
        assertEquals(start - size, segment.freeMemory());
        // The dead holder recorded the give-back and died before the heap marked the block free.
        final long used = SIZE - SegmentLayout.HEAP_OFFSET - segment.freeMemory();
        segment.beginTransfer(SegmentLayout.GIVE, 0, 0, 0, block, 0L, used - size);
        segment.repair();
        assertEquals(start, segment.freeMemory(), "the used bytes follow the heap");
        assertTrue(((long) BlockLayout.SIZE_FLAGS_H.get(memory, block) & BlockLayout.FREE) != 0, "marked free");
        assertEquals(block, segment.allocate(100_000, 16), "and the heap gives it again");
    }

    @Test
    void shouldCountALargeBlockTheDeadLockHolderTookBeforeItCountedIt() {
        final long start = segment.freeMemory();
        final long block = segment.allocate(100_000, 16);
        final MemorySegment memory = segment.memory();
        final long size = (long) BlockLayout.SIZE_FLAGS_H.get(memory, block) & ~BlockLayout.FLAGS;
        // The dead holder's heap marked the block taken; the used bytes had not followed yet.
        final long used = SIZE - SegmentLayout.HEAP_OFFSET - segment.freeMemory();
        SegmentLayout.USED_BYTES_H.set(memory, 0L, used - size);
        segment.beginTransfer(SegmentLayout.TAKE, 0, 0, 0, block, 0L, used);
        segment.repair();
        assertEquals(start - size, segment.freeMemory());
        assertTrue(segment.release(block));
        assertEquals(start, segment.freeMemory());
    }

    private void allocateAndFree(final BlockCache cache) {
        final long block = allocate(cache, 0);
        segment.releaseCached(block, cache);
    }

}
