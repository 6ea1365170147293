package io.shmq.transport.api;

import java.lang.foreign.MemorySegment;
import org.osgi.annotation.versioning.ProviderType;

/**
 * A message: a payload buffer owned by the caller until it is sent or closed. Made by a {@link TransportFactory};
 * used by one thread at a time.
 *
 * <p>Ownership follows FairMQ: after a successful {@link Socket#send send} the sender no longer owns the payload
 * and the message is left empty (size 0), ready for {@link #rebuild}; a send that fails or times out leaves the
 * message as it was. Closing releases the payload (for shared memory: decrements its reference count; the process
 * that drops the last reference frees it). {@link #close()} is idempotent; any other method of a closed message
 * throws {@link TransportClosedException}.
 *
 * <p>Messages of a shared-memory factory are {@link SharedMemoryMessage}s and expose their {@link MetaHeader}.
 *
 * <p>{@code @ProviderType}: implemented by transport providers only.
 */
@ProviderType
public interface Message extends AutoCloseable {
    /**
     * The payload, exactly {@link #size()} bytes. A zero-size message has no data and returns
     * {@link MemorySegment#NULL}. The segment is valid until the message is closed, rebuilt or sent; for shared
     * memory, access after the factory closed throws {@link IllegalStateException} from the FFM API instead of
     * crashing the JVM.
     *
     * @return the payload
     */
    MemorySegment data();

    /** @return the payload size in bytes */
    long size();

    /**
     * Shrinks the message to {@code size} bytes without moving the payload (FairMQ's {@code SetUsedSize}).
     *
     * @param size the new size, at most {@link #size()}
     * @throws IllegalArgumentException when {@code size} is negative or larger than the current size
     */
    void setUsedSize(long size);

    /** Releases the payload and leaves an empty message. */
    void rebuild();

    /**
     * Releases the payload and allocates a new one of {@code size} bytes.
     *
     * @param size the new size in bytes
     * @throws MessageBadAllocException when no memory is available within the factory's retry policy
     */
    void rebuild(long size);

    /**
     * Releases the payload and allocates a new one of {@code size} bytes aligned to {@code alignment}.
     *
     * @param size      the new size in bytes
     * @param alignment a power of two, or 0 for the transport's default (at least 16 for shared memory)
     * @throws MessageBadAllocException when no memory is available within the factory's retry policy
     */
    void rebuild(long size, long alignment);

    /**
     * Makes a second message that shares this payload (for shared memory: increments the reference count; no byte
     * is copied). Both messages must be closed; the payload lives until the last is.
     *
     * @return a new message with the same payload
     */
    Message copy();

    /** @return the kind of the factory that made this message */
    TransportKind kind();

    /** Releases the payload. Idempotent. */
    @Override
    void close();
}
