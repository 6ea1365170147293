package io.shmq.devices;

import java.util.EnumSet;
import java.util.Set;

/** FairMQ's transitions between {@link DeviceState}s, each with the states it may start from and where it leads. */
public enum DeviceTransition {
    /** FairMQ's {@code InitDevice}. */
    INIT_DEVICE(DeviceState.INITIALIZED, EnumSet.of(DeviceState.IDLE)),
    /** FairMQ's {@code Bind}. */
    BIND(DeviceState.BOUND, EnumSet.of(DeviceState.INITIALIZED)),
    /** FairMQ's {@code Connect}. */
    CONNECT(DeviceState.CONNECTED, EnumSet.of(DeviceState.BOUND)),
    /** FairMQ's {@code InitTask}. */
    INIT_TASK(DeviceState.READY, EnumSet.of(DeviceState.CONNECTED)),
    /** FairMQ's {@code Run}. */
    RUN(DeviceState.RUNNING, EnumSet.of(DeviceState.READY)),
    /** FairMQ's {@code Stop}: back to ready, channels stay open. */
    STOP(DeviceState.READY, EnumSet.of(DeviceState.RUNNING)),
    /** FairMQ's {@code ResetTask} and {@code ResetDevice} in one: close everything. */
    RESET_DEVICE(DeviceState.RESET, EnumSet.of(DeviceState.INITIALIZED, DeviceState.BOUND, DeviceState.CONNECTED,
            DeviceState.READY, DeviceState.RUNNING, DeviceState.ERROR)),
    /** The end of a reset: everything is closed. */
    RESET_DONE(DeviceState.IDLE, EnumSet.of(DeviceState.RESET)),
    /** FairMQ's {@code End}. */
    END(DeviceState.EXITING, EnumSet.of(DeviceState.IDLE, DeviceState.ERROR)),
    /** FairMQ's {@code ErrorFound}. */
    ERROR_FOUND(DeviceState.ERROR, EnumSet.complementOf(EnumSet.of(DeviceState.EXITING, DeviceState.ERROR)));

    private final DeviceState target;
    private final Set<DeviceState> sources;

    DeviceTransition(final DeviceState target, final Set<DeviceState> sources) {
        this.target = target;
        this.sources = sources;
    }

    /** @return the state this transition leads to */
    public DeviceState target() {
        return target;
    }

    /**
     * @param state a state
     * @return whether this transition may start from {@code state}
     */
    public boolean allowedFrom(final DeviceState state) {
        return sources.contains(state);
    }
}
