package io.shmq.transport.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A listener's subscription to region events; closing it stops the events.
 *
 * <p>{@code @ProviderType}: implemented by transport providers only.
 */
@ProviderType
public interface RegionEventSubscription extends AutoCloseable {
    /** Stops the events; after it returns the listener is not called again. Idempotent. */
    @Override
    void close();
}
