package io.shmq.transport.zeromq.common;

/**
 * The closed flag of a zeromq socket or poller: a volatile read to check, set once under the object's monitor so
 * that of two threads closing at once (the owner and the factory) only one releases what the library holds.
 */
public abstract sealed class ZeromqCloseable permits ZeromqSocketBase, ZeromqPollerBase {
    private volatile boolean closed;

    ZeromqCloseable() {
    }

    /** @return whether it is closed (volatile load) */
    public final boolean isClosed() {
        return closed;
    }

    /**
     * Marks it closed.
     *
     * @return whether this call closed it, and so must release what it holds
     */
    protected final boolean markClosed() {
        synchronized (this) {
            if (closed) {
                return false;
            }
            closed = true;
            return true;
        }
    }
}
