package io.shmq.transport.api;

import java.io.Serial;

/**
 * No memory could be allocated for a message within the factory's {@link AllocationRetryPolicy}:
 * the managed segment is full or too fragmented for the requested size and alignment.
 */
public class MessageBadAllocException extends TransportException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** @param message what was asked and what was found */
    public MessageBadAllocException(final String message) {
        super(message);
    }

    /**
     * @param message what was asked and what was found
     * @param cause   the underlying failure
     */
    public MessageBadAllocException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
