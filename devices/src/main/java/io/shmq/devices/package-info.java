/**
 * The shmq device API, in FairMQ's spirit.
 *
 * <p>A device is a {@link io.shmq.devices.DeviceTask} (the user's hooks: {@code init}, {@code run} /
 * {@code conditionalRun}, {@code handleData}, {@code reset}) driven by a {@link io.shmq.devices.DeviceRunner}
 * through FairMQ's states ({@link io.shmq.devices.DeviceState}, transitions checked by
 * {@link io.shmq.devices.DeviceStateMachine}). Its channels ({@link io.shmq.devices.ChannelSpec}, written as
 * {@link io.shmq.transport.api.ChannelConfig} or in FairMQ's syntax, parsed by
 * {@link io.shmq.devices.ChannelSyntax}) are opened on the transports the runner is given; when a transport goes
 * away the runner closes its channels, counts the outage and starts again once a transport of the same kind is back.
 * A running device is published as a {@link io.shmq.devices.Device} service; device bundles extend
 * {@link io.shmq.devices.DeviceComponent}, which makes one device per Configuration Admin factory configuration.
 */
@Export
@Version("1.0.0")
package io.shmq.devices;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
