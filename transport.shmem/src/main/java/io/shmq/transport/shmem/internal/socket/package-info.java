/**
 * Sockets over MetaHeader rings in shared memory: a factory's sockets and pollers and what they share
 * ({@code Sockets}: mappings, interrupt flag, lingering deliveries), {@code ShmemSocket}, {@code ShmemPoller}, the
 * endpoint file a bound socket creates ({@code Endpoint}, {@code EndpointLayout}). Imports {@code os}, {@code ring} and {@code mapping}.
 */
package io.shmq.transport.shmem.internal.socket;
