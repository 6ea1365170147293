/**
 * The shared-memory provider, private to the bundle: {@code ShmemTransport} and {@code ShmemResolver} (the two
 * services), {@code ShmemFactory} (one device's view of a session), {@code Session} (the management segment and
 * its robust lock), {@code ManagedSegment} with {@code BlockAllocator} (the shared allocator), {@code ShmemMessage},
 * unmanaged regions ({@code LocalRegion} on the creator's side, {@code AttachedRegion} elsewhere, {@code AckRing}
 * for releases), sockets ({@code ShmemSocket} on an {@code Endpoint} of {@code SocketRing}s, {@code ShmemPoller}),
 * the binary layouts ({@code *Layout}) and the few libc calls ({@code Native}, futex included).
 *
 * <p>Byte order of every shared structure is the host's native order: the files never leave the host.
 */
package io.shmq.transport.shmem.internal;
