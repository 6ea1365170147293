/**
 * The shared-memory provider's façade, private to the bundle: the two services ({@code ShmemTransport},
 * {@code ShmemResolver}), the factory ({@code ShmemFactory}: a door that hands each part what it needs), its options
 * ({@code ShmemOptions}) and its duty cycle ({@code DutyCycle}: heartbeat, acknowledgements, region events).
 *
 * <p>Below it, ground floor first, each package importing only the ones before it: {@code os}, {@code segment},
 * {@code ring}, {@code session}, {@code region}, {@code mapping}, {@code socket}. Byte order of every shared
 * structure is the host's native order (the files never leave the host), except the MetaHeaders, which keep
 * FairMQ's little-endian bytes.
 */
package io.shmq.transport.shmem.internal;
