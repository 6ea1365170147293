package io.shmq.transport.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told about unmanaged regions appearing and disappearing in the session. On subscription it first receives a
 * {@link RegionEvent#CREATED} for every region that already exists. Called on a thread of the factory.
 *
 * <p>{@code @ConsumerType}: implemented by users; adding a method would break them.
 */
@ConsumerType
@FunctionalInterface
public interface RegionEventListener {
    /** @param info the region and what happened to it */
    void onRegionEvent(RegionInfo info);
}
