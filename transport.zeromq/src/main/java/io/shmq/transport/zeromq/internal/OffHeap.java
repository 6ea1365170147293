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
 * million over tcp. A JFR profile of two JVMs at 64 B (the libzmq provider's benchmark) then put most of the
 * provider's time over plain JeroMQ into these per-payload arenas (cleaner registration, the cleaner thread, direct
 * memory accounting), on both sides. So payloads of up to {@link #SMALL} bytes are sliced from a per-thread slab of
 * {@link #SLAB_BYTES} (one automatic arena per slab, a bump pointer per payload). The price: a slab's memory stays
 * until every payload cut from it is unreachable, so a long-lived small message keeps up to 64 KiB alive.
 *
 * <p>Received frames use the same memory: {@link #ALLOCATOR} is installed on every JeroMQ socket, so the decoder
 * writes incoming payloads straight into off-heap memory, and {@code data()} of a received message is that memory.
 */
final class OffHeap {
    /** The default payload alignment: as the shared-memory transport's, so code that relies on it works on both. */
    static final long DEFAULT_ALIGNMENT = 16;

    /** Payloads up to this size are sliced from a per-thread slab instead of an automatic arena of their own. */
    static final long SMALL = 4096;
    /** Bytes of one slab: it is freed once none of its payloads is reachable any more. */
    static final long SLAB_BYTES = 64 * 1024;
    private static final long SLAB_ALIGNMENT = 64;
    private static final ThreadLocal<Slab> SLABS = ThreadLocal.withInitial(Slab::new);

    /**
     * JeroMQ allocator for received frames: a small frame (up to {@link #SMALL}) lands in a heap buffer, as plain
     * JeroMQ's, and the receive copies it into a pooled block; a larger one lands off-heap, where the message views it.
     */
    static final MsgAllocator ALLOCATOR = size -> size == 0 ? new Msg()
            : size <= SMALL ? new Msg(size) : new Msg(allocate(size, 0).asByteBuffer());

    private OffHeap() {
    }

    /**
     * @param size      bytes, at least 1
     * @param alignment a power of two, or 0 for {@link #DEFAULT_ALIGNMENT}
     * @return zero-filled off-heap memory freed by the garbage collector
     */
    static MemorySegment allocate(final long size, final long alignment) {
        final long align = alignment == 0 ? DEFAULT_ALIGNMENT : alignment;
        if (size > SMALL || align > SLAB_ALIGNMENT) {
            return Arena.ofAuto().allocate(size, align);
        }
        final Slab slab = SLABS.get();
        long offset = (slab.used + align - 1) & -align;
        if (slab.memory == null || offset + size > SLAB_BYTES) {
            slab.memory = Arena.ofAuto().allocate(SLAB_BYTES, SLAB_ALIGNMENT);
            offset = 0;
        }
        slab.used = offset + size;
        return slab.memory.asSlice(offset, size);
    }

    /** A thread's current slab: small payloads are sliced from it, never reused (so they are zero-filled). */
    private static final class Slab {
        private MemorySegment memory;
        private long used;
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
