/**
 * Managed segments: the shared allocator ({@code ManagedSegment}: size classes on lock-free Treiber stacks, large
 * blocks by segregated fit under a robust lock, reference counts, recovery), its file header ({@code SegmentLayout})
 * and the header in front of every block ({@code BlockLayout}). Imports {@code os} only.
 */
package io.shmq.transport.shmem.internal.segment;
