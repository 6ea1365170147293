package io.shmq.transport.zeromq.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import zmq.Msg;
import zmq.msg.MsgAllocator;

/**
 * Off-heap memory for message payloads, freed by the garbage collector.
 *
 * <p>Why automatic arenas and not explicit frees: a payload handed to JeroMQ by a successful send is still read
 * later by an I/O thread (tcp, ipc) or by the receiving socket (inproc passes the very buffer), and the sender
 * cannot know when. A confined arena cannot be freed by that other thread, and a shared arena's {@code close()}
 * costs a handshake with every thread (far too much per message). An automatic arena has neither problem: the
 * memory is freed once nothing (message, JeroMQ frame, {@link ByteBuffer} view) refers to it. The cost is a cleaner
 * registration per payload and zero-filled memory; direct memory counts against {@code -XX:MaxDirectMemorySize},
 * and the JDK collects and retries before it throws {@link OutOfMemoryError}.
 *
 * <p>Measured on the 2-core build machine (JDK 25, a tight loop of one million allocations, third round): an
 * automatic arena costs about 2 µs per 1 KiB payload and 7 µs per 64 KiB; {@code Arena.ofShared()} plus
 * {@code close()} 25 to 36 µs; a confined arena 0.03 to 0.8 µs but it cannot be freed by another thread. End to
 * end, 64-byte messages through push/pull in one JVM ran at about 1.8 million messages/s over inproc and 1.0
 * million over tcp, so the allocation is not what limits small messages; a slab allocator for small payloads was
 * therefore left out.
 *
 * <p>Received frames use the same memory: {@link #ALLOCATOR} is installed on every JeroMQ socket, so the decoder
 * writes incoming payloads straight into off-heap memory, and {@code data()} of a received message is that memory.
 */
final class OffHeap {
    /** The default payload alignment: as the shared-memory transport's, so code that relies on it works on both. */
    static final long DEFAULT_ALIGNMENT = 16;

    /** JeroMQ allocator for received frames: every frame lands off-heap. */
    static final MsgAllocator ALLOCATOR = size -> size == 0 ? new Msg() : new Msg(allocate(size, 0).asByteBuffer());

    private OffHeap() {
    }

    /**
     * @param size      bytes, at least 1
     * @param alignment a power of two, or 0 for {@link #DEFAULT_ALIGNMENT}
     * @return zero-filled off-heap memory freed by the garbage collector
     */
    static MemorySegment allocate(final long size, final long alignment) {
        return Arena.ofAuto().allocate(size, alignment == 0 ? DEFAULT_ALIGNMENT : alignment);
    }

    /**
     * The payload of a frame as a segment of exactly {@code msg.size()} bytes, off-heap. A frame whose buffer is on
     * the heap (JeroMQ makes some itself, e.g. empty frames) is copied off-heap.
     *
     * @param msg a received frame
     * @return its payload, or {@link MemorySegment#NULL} for an empty frame
     */
    static MemorySegment payload(final Msg msg) {
        final int size = msg.size();
        if (size == 0) {
            return MemorySegment.NULL;
        }
        final ByteBuffer buffer = msg.buf();
        buffer.clear();
        final MemorySegment view = MemorySegment.ofBuffer(buffer).asSlice(0, size);
        if (view.isNative()) {
            return view;
        }
        return allocate(size, 0).copyFrom(view);
    }
}
