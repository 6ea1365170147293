package io.shmq.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DeviceStateMachineTest {
    /** FairMQ's transitions, written out independently of the enum's own table. */
    private static final Map<DeviceTransition, Set<DeviceState>> LEGAL = Map.of(
            DeviceTransition.INIT_DEVICE, EnumSet.of(DeviceState.IDLE),
            DeviceTransition.BIND, EnumSet.of(DeviceState.INITIALIZED),
            DeviceTransition.CONNECT, EnumSet.of(DeviceState.BOUND),
            DeviceTransition.INIT_TASK, EnumSet.of(DeviceState.CONNECTED),
            DeviceTransition.RUN, EnumSet.of(DeviceState.READY),
            DeviceTransition.STOP, EnumSet.of(DeviceState.RUNNING),
            DeviceTransition.RESET_DEVICE, EnumSet.of(DeviceState.INITIALIZED, DeviceState.BOUND,
                    DeviceState.CONNECTED, DeviceState.READY, DeviceState.RUNNING, DeviceState.ERROR),
            DeviceTransition.RESET_DONE, EnumSet.of(DeviceState.RESET),
            DeviceTransition.END, EnumSet.of(DeviceState.IDLE, DeviceState.ERROR),
            DeviceTransition.ERROR_FOUND, EnumSet.complementOf(EnumSet.of(DeviceState.EXITING, DeviceState.ERROR)));

    @Test
    void shouldGoThroughFairMqsLifecycleAndTellTheListener() {
        final List<String> changes = new ArrayList<>();
        final DeviceStateMachine m = new DeviceStateMachine((from, to) -> changes.add(from + ">" + to));
        assertEquals(DeviceState.IDLE, m.state());
        for (final DeviceTransition t : List.of(DeviceTransition.INIT_DEVICE, DeviceTransition.BIND,
                DeviceTransition.CONNECT, DeviceTransition.INIT_TASK, DeviceTransition.RUN, DeviceTransition.STOP,
                DeviceTransition.RUN, DeviceTransition.STOP, DeviceTransition.RESET_DEVICE,
                DeviceTransition.RESET_DONE, DeviceTransition.END)) {
            m.apply(t);
        }
        assertEquals(DeviceState.EXITING, m.state());
        assertEquals(List.of("IDLE>INITIALIZED", "INITIALIZED>BOUND", "BOUND>CONNECTED", "CONNECTED>READY",
                "READY>RUNNING", "RUNNING>READY", "READY>RUNNING", "RUNNING>READY", "READY>RESET", "RESET>IDLE",
                "IDLE>EXITING"), changes);
    }

    @Test
    void shouldAllowExactlyFairMqsTransitionsFromEveryState() {
        for (final DeviceState from : DeviceState.values()) {
            for (final DeviceTransition t : DeviceTransition.values()) {
                final DeviceStateMachine m = machineIn(from);
                if (LEGAL.get(t).contains(from)) {
                    assertTrue(m.canApply(t), t + " from " + from);
                    assertEquals(t.target(), m.apply(t), t + " from " + from);
                } else {
                    assertFalse(m.canApply(t), t + " from " + from);
                    final IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.apply(t),
                            t + " from " + from);
                    assertEquals("illegal transition: transition=" + t + ", state=" + from, e.getMessage());
                    assertEquals(from, m.state(), "state unchanged after the refused " + t);
                }
            }
        }
    }

    @Test
    void shouldLetAnotherThreadWaitForAState() throws Exception {
        final DeviceStateMachine m = new DeviceStateMachine();
        assertFalse(m.await(DeviceState.INITIALIZED, 10, TimeUnit.MILLISECONDS));
        final Thread t = new Thread(() -> m.apply(DeviceTransition.INIT_DEVICE));
        t.start();
        assertTrue(m.await(DeviceState.INITIALIZED, 10, TimeUnit.SECONDS));
        t.join();
    }

    /** Reaches {@code state} through legal transitions only. */
    private static DeviceStateMachine machineIn(final DeviceState state) {
        final DeviceStateMachine m = new DeviceStateMachine();
        final List<DeviceTransition> path = switch (state) {
            case IDLE -> List.of();
            case INITIALIZED -> List.of(DeviceTransition.INIT_DEVICE);
            case BOUND -> List.of(DeviceTransition.INIT_DEVICE, DeviceTransition.BIND);
            case CONNECTED -> List.of(DeviceTransition.INIT_DEVICE, DeviceTransition.BIND, DeviceTransition.CONNECT);
            case READY -> List.of(DeviceTransition.INIT_DEVICE, DeviceTransition.BIND, DeviceTransition.CONNECT,
                    DeviceTransition.INIT_TASK);
            case RUNNING -> List.of(DeviceTransition.INIT_DEVICE, DeviceTransition.BIND, DeviceTransition.CONNECT,
                    DeviceTransition.INIT_TASK, DeviceTransition.RUN);
            case RESET -> List.of(DeviceTransition.INIT_DEVICE, DeviceTransition.RESET_DEVICE);
            case EXITING -> List.of(DeviceTransition.END);
            case ERROR -> List.of(DeviceTransition.ERROR_FOUND);
        };
        path.forEach(m::apply);
        assertEquals(state, m.state());
        return m;
    }
}
