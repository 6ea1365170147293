package io.shmq.transport.api;

import java.io.Serial;

/**
 * A shared-memory operation failed: an unknown segment or region id, a handle or size outside its
 * segment, a factory that is not shared memory, a corrupt or foreign shared-memory file, a full file system.
 */
public class SharedMemoryException extends TransportException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** @param message what was asked and what was found */
    public SharedMemoryException(final String message) {
        super(message);
    }

    /**
     * @param message what was asked and what was found
     * @param cause   the underlying failure
     */
    public SharedMemoryException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
