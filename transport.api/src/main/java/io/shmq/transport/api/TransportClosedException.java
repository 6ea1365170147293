package io.shmq.transport.api;

import java.io.Serial;

/**
 * The factory, socket, region or message was closed, or a segment resolved earlier was used after the
 * factory that mapped it closed. Thrown instead of crashing the JVM.
 */
public class TransportClosedException extends TransportException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** @param message what was asked and what was found */
    public TransportClosedException(final String message) {
        super(message);
    }

    /**
     * @param message what was asked and what was found
     * @param cause   the underlying failure
     */
    public TransportClosedException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
