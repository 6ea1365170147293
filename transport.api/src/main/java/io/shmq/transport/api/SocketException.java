package io.shmq.transport.api;

import java.io.Serial;

/**
 * A socket could not be bound or connected (bad or unsupported address, address in use) or a socket
 * operation failed for a reason other than a timeout or an interruption.
 */
public class SocketException extends TransportException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** @param message what was asked and what was found */
    public SocketException(final String message) {
        super(message);
    }

    /**
     * @param message what was asked and what was found
     * @param cause   the underlying failure
     */
    public SocketException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
