/**
 * The side channel's devices, private to the bundle: {@link io.shmq.sidechannel.internal.CacheTask} (allocates
 * payloads, keeps them alive, publishes their tables, releases a batch when every consumer acknowledged it or on a
 * timeout), {@link io.shmq.sidechannel.internal.ConsumerTask} (resolves every row in place and checks it), their DS
 * components, the runtime scenario ({@code ./shmq run --scenario sidechannel}) and a plain-Java entry point.
 */
package io.shmq.sidechannel.internal;
