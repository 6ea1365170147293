package io.shmq.sidechannel;

/**
 * A table that is not a header table of the expected schema, or bytes that are not an Arrow IPC stream. The message
 * names the column, what was expected and what was found, e.g. {@code column mismatch: column=size, index=0,
 * expected=uint64 not null, found=int64 not null}.
 */
public final class HeaderTableException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** @param message what does not match, as {@code name=value} pairs */
    public HeaderTableException(final String message) {
        super(message);
    }

    /**
     * @param message what does not match
     * @param cause   the Arrow or I/O failure behind it
     */
    public HeaderTableException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
