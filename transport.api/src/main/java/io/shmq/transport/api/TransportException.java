package io.shmq.transport.api;

import java.io.Serial;

/**
 * Root of shmq's unchecked exceptions. Every message names what was asked and what was found, for example
 * {@code segmentId=999 unknown in session 3fa2c1b0}.
 */
public class TransportException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** @param message what was asked and what was found */
    public TransportException(final String message) {
        super(message);
    }

    /**
     * @param message what was asked and what was found
     * @param cause   the underlying failure
     */
    public TransportException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
