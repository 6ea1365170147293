package io.shmq.devices;

/**
 * FairMQ's device states, as far as a shmq device passes through them. The transitions between them are
 * {@link DeviceTransition}s, checked by {@link DeviceStateMachine}.
 */
public enum DeviceState {
    /** Nothing is open; the device waits for its transports or for a command. */
    IDLE,
    /** {@code init} ran and the factories exist; no channel is open. */
    INITIALIZED,
    /** The channels that bind are bound. */
    BOUND,
    /** The channels that connect are connected: FairMQ's {@code DeviceReady}. */
    CONNECTED,
    /** Ready to run: FairMQ's {@code Ready} (after {@code InitTask}). */
    READY,
    /** {@code run}, {@code conditionalRun} or the data handlers are being called. */
    RUNNING,
    /** {@code reset} runs and the channels and factories are being closed. */
    RESET,
    /** The device ends; no transition leaves this state. */
    EXITING,
    /** A hook or a channel failed with something other than a transport outage; only reset or end leave it. */
    ERROR
}
