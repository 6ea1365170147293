/**
 * The ZeroMQ provider's implementation, private to the bundle.
 *
 * <p>{@link io.shmq.transport.zeromq.internal.ZmqTransport} is the service; each
 * {@link io.shmq.transport.zeromq.internal.ZmqFactory} owns one JeroMQ context (its I/O threads) and every socket,
 * poller and region it made. Message payloads live off-heap in memory the garbage collector frees
 * ({@link io.shmq.transport.zeromq.internal.OffHeap} says why); a sent payload is handed to JeroMQ without a copy.
 */
package io.shmq.transport.zeromq.internal;
