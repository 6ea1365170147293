package io.shmq.transport.shmem.internal.mapping;

import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.SharedMemoryException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Multipart descriptors written by a hostile process: random bytes, and valid descriptors with flipped bits, a
 * count past the block and truncated blocks. {@link MultipartLayout#read} answers each with the parts or
 * {@link SharedMemoryException}, nothing else. 1e4 inputs in the default run, 1e6 in {@code ./shmq stress}.
 */
class MultipartLayoutFuzzTest {
    @Test
    void shouldReadTenThousandHostileDescriptorsOrThrowSharedMemoryException() {
        fuzz(10_000);
    }

    @Test
    @Tag("stress")
    void shouldReadAMillionHostileDescriptorsOrThrowSharedMemoryException() {
        fuzz(1_000_000);
    }

    private static void fuzz(final int count) {
        final SplittableRandom random = new SplittableRandom(1201);
        int read = 0;
        int refused = 0;
        try (Arena arena = Arena.ofConfined()) {
            final MemorySegment block = arena.allocate(MultipartLayout.bytes(8), 16);
            for (int n = 0; n < count; n++) {
                final int parts = random.nextInt(1, 9);
                final List<MetaHeader> headers = new ArrayList<>();
                for (int i = 0; i < parts; i++) {
                    headers.add(MetaHeader.managed(random.nextLong(0, 1 << 20), 4096 + 16L * random.nextInt(1000),
                            0));
                }
                block.fill((byte) 0);
                MultipartLayout.write(block, headers);
                switch (random.nextInt(4)) {
                    case 0 -> {
                        final long offset = random.nextLong(block.byteSize());
                        block.set(ValueLayout.JAVA_BYTE, offset, (byte) (block.get(ValueLayout.JAVA_BYTE, offset)
                                ^ (1 << random.nextInt(8))));
                    }
                    case 1 -> block.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, random.nextLong());
                    case 2 -> {
                        for (long i = 0; i < block.byteSize(); i++) {
                            block.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
                        }
                    }
                    default -> {
                        // valid
                    }
                }
                final MemorySegment view = block.asSlice(0, random.nextInt(4) == 0
                        ? random.nextLong(block.byteSize() + 1) : block.byteSize());
                try {
                    final List<MetaHeader> out = MultipartLayout.read(view);
                    assertTrue(!out.isEmpty() && out.size() <= 8);
                    read++;
                } catch (SharedMemoryException expected) {
                    refused++;
                }
            }
        }
        assertEquals(count, read + refused);
        assertTrue(read > 0 && refused > 0, "read=" + read + ", refused=" + refused);
    }
}
