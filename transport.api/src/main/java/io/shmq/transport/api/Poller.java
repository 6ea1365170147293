package io.shmq.transport.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Waits for input or output readiness on several sockets of one factory. Sockets are addressed by their index in
 * the list given to {@link TransportFactory#createPoller(java.util.List)}.
 *
 * <p>{@code @ProviderType}: implemented by transport providers only.
 */
@ProviderType
public interface Poller extends AutoCloseable {
    /**
     * @param timeoutMs {@link Socket#INFINITE}, 0 or a positive number of milliseconds
     * @return the number of sockets with an event, 0 on timeout, or {@link Socket#INTERRUPTED}
     */
    int poll(long timeoutMs);

    /**
     * @param index a socket's index
     * @return whether the last poll found a message to receive on it
     * @throws IndexOutOfBoundsException for a bad index
     */
    boolean checkInput(int index);

    /**
     * @param index a socket's index
     * @return whether the last poll found that it can send without blocking
     * @throws IndexOutOfBoundsException for a bad index
     */
    boolean checkOutput(int index);

    /** Releases the poller; the sockets stay open. Idempotent. */
    @Override
    void close();
}
