package io.shmq.devices;

import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * The current {@link DeviceState} of one device and the only way to change it: {@link #apply} accepts a
 * {@link DeviceTransition} only from the states FairMQ allows it from. Thread-safe; {@link #await} lets another
 * thread wait for a state.
 */
public final class DeviceStateMachine {
    private final BiConsumer<DeviceState, DeviceState> listener;
    private DeviceState state = DeviceState.IDLE;

    /** A state machine in {@link DeviceState#IDLE} that tells nobody of its changes. */
    public DeviceStateMachine() {
        this((from, to) -> { });
    }

    /** @param listener told of every change (old state, new state), under the machine's lock: keep it short */
    public DeviceStateMachine(final BiConsumer<DeviceState, DeviceState> listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** @return the current state */
    public synchronized DeviceState state() {
        return state;
    }

    /**
     * @param transition the transition to make
     * @return the new state
     * @throws IllegalStateException when the transition is not allowed from the current state, naming both
     */
    public synchronized DeviceState apply(final DeviceTransition transition) {
        if (!transition.allowedFrom(state)) {
            throw new IllegalStateException("illegal transition: transition=" + transition + ", state=" + state);
        }
        final DeviceState from = state;
        state = transition.target();
        listener.accept(from, state);
        notifyAll();
        return state;
    }

    /**
     * @param transition a transition
     * @return whether it is allowed from the current state
     */
    public synchronized boolean canApply(final DeviceTransition transition) {
        return transition.allowedFrom(state);
    }

    /**
     * @param wanted  the state to wait for
     * @param timeout how long to wait at most
     * @param unit    the unit of {@code timeout}
     * @return whether the machine was in {@code wanted} before the timeout
     * @throws InterruptedException when the waiting thread is interrupted
     */
    public synchronized boolean await(final DeviceState wanted, final long timeout, final TimeUnit unit)
            throws InterruptedException {
        final long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (state != wanted) {
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }
}
