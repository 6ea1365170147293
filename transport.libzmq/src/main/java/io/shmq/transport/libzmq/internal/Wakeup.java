package io.shmq.transport.libzmq.internal;

import java.lang.foreign.MemorySegment;

/**
 * An eventfd that a blocked transfer or poll waits on next to its libzmq sockets (a raw file descriptor item of
 * {@code zmq_poll}): {@link #signal()} from any thread makes it readable and wakes the wait at once, and it stays
 * readable (level-triggered) until {@link #drain()}. libzmq sockets cannot be woken from another thread otherwise.
 *
 * <p>Synchronized: a signal from the factory's interrupt may race with the owner's close, and must never write to a
 * descriptor number that was closed and handed out again.
 */
final class Wakeup implements AutoCloseable {
    /** Two native words: the 1 that signal writes, then the word that drain reads into. */
    private final MemorySegment words;
    private int fd;

    Wakeup() {
        fd = LibZmq.eventfd();
        if (fd < 0) {
            throw new IllegalStateException("eventfd failed: fd=" + fd);
        }
        words = LibZmq.malloc(16).reinterpret(16);
        words.set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 1L);
    }

    /** @return the descriptor, for a poll item */
    synchronized int fd() {
        return fd;
    }

    synchronized void signal() {
        if (fd >= 0) {
            LibZmq.signal(fd, words);
        }
    }

    synchronized void drain() {
        if (fd >= 0) {
            LibZmq.drain(fd, words.asSlice(8));
        }
    }

    @Override
    public synchronized void close() {
        if (fd >= 0) {
            LibZmq.closeFd(fd);
            fd = -1;
            LibZmq.free(words);
        }
    }
}
