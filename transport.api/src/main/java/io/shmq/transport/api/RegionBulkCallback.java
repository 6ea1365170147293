package io.shmq.transport.api;

import java.util.List;
import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told, in batches (FairMQ batches up to 256), which blocks of an unmanaged region were released. Called on a
 * thread of the creating factory, never concurrently for one region.
 *
 * <p>{@code @ConsumerType}: implemented by users; adding a method would break them.
 */
@ConsumerType
@FunctionalInterface
public interface RegionBulkCallback {
    /** @param blocks the released blocks, at least one; the list is only valid during the call */
    void released(List<RegionBlock> blocks);
}
