/**
 * Private: the DS components of the devices bundle. {@link io.shmq.devices.DeviceComponent} turns a
 * Configuration Admin factory configuration ({@link io.shmq.devices.internal.DeviceOptions}) into a running
 * {@link io.shmq.devices.DeviceRunner}; the example devices {@link io.shmq.devices.internal.SamplerDevice},
 * {@link io.shmq.devices.internal.ProcessorDevice} and {@link io.shmq.devices.internal.SinkDevice} extend it;
 * {@link io.shmq.devices.internal.ShmqCommands} holds the Gogo commands of scope {@code shmq}.
 */
package io.shmq.devices.internal;
