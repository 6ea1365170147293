/**
 * The one ring protocol ({@code SequencedRing}: claim, publish, poll with a sequence per record, and the skip of a
 * stuck record, written once; {@code RingLayout}: the cursors and the record prefix every ring shares) and its two
 * rings, which differ only in their record: {@code SocketRing} (MetaHeaders of a socket endpoint, with futex words)
 * and {@code AckRing} (a region's acknowledgements). Imports {@code os} only.
 */
package io.shmq.transport.shmem.internal.ring;
