package io.shmq.transport.api;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told, once per block, that the last message pointing into a block of an unmanaged region was released, in
 * whichever process released it. Called on a thread of the creating factory, never concurrently for one region.
 *
 * <p>{@code @ConsumerType}: implemented by users; adding a method would break them.
 */
@ConsumerType
@FunctionalInterface
public interface RegionCallback {
    /** @param block the released block */
    void released(RegionBlock block);
}
