/**
 * The libzmq provider's implementation, private to the bundle.
 *
 * <p>{@link io.shmq.transport.libzmq.internal.LibZmq} holds every downcall (libzmq and the few libc calls);
 * {@link io.shmq.transport.libzmq.internal.LibzmqTransport} is the service, enabled by
 * {@link io.shmq.transport.libzmq.internal.LibzmqProbe} only when the library loads; each
 * {@link io.shmq.transport.libzmq.internal.LibzmqFactory} owns one libzmq context and everything it made. Payloads
 * live in native memory ({@code aligned_alloc}, handed to libzmq with {@code free} as the deallocator, so a send
 * copies nothing); a received payload is the {@code zmq_msg_t}'s own data, viewed in place until the message closes.
 */
package io.shmq.transport.libzmq.internal;
