package io.shmq.transport.zeromq.common;

import io.shmq.transport.api.Poller;
import io.shmq.transport.api.TransportClosedException;

/**
 * What every zeromq poller keeps, whichever library is underneath: its size, the closed flag, and the checks of a
 * poll's timeout and of a socket index. The poll itself, and which event each socket is polled for (input for the
 * types that receive, output for push and pub: {@link ZeromqSocketBase#canReceive}), are the provider's.
 */
public abstract non-sealed class ZeromqPollerBase extends ZeromqCloseable implements Poller {
    /** How many sockets the poller polls. */
    protected final int size;
    private final String factoryId;

    /**
     * @param factoryId the id of the factory that makes the poller, for error messages
     * @param size      how many sockets it polls
     */
    protected ZeromqPollerBase(final String factoryId, final int size) {
        this.factoryId = factoryId;
        this.size = size;
    }

    /**
     * Wakes a blocked poll, which then returns {@code INTERRUPTED}; called by the factory after it set its
     * interrupted flag. Nothing here: a poller that looks at the flag between slices needs no wake-up.
     */
    protected void interrupt() {
    }

    /** Lets polls block again after an interrupt; nothing here (see {@link #interrupt()}). */
    protected void resume() {
    }

    /** The checks before a poll: open, and a timeout of -1, 0 or more. */
    protected final void checkPoll(final long timeoutMs) {
        checkOpen();
        ZeromqSocketBase.checkTimeout(timeoutMs);
    }

    /**
     * @return {@code index}
     * @throws IndexOutOfBoundsException unless it names one of the sockets
     */
    protected final int checkIndex(final int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("socket index out of range: index=" + index + ", sockets=" + size);
        }
        return index;
    }

    /** @throws TransportClosedException if the poller is closed */
    protected final void checkOpen() {
        if (isClosed()) {
            throw new TransportClosedException("poller is closed: factory=" + factoryId);
        }
    }
}
