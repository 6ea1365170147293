package io.shmq.runtime.example;

import io.shmq.devices.Channel;
import io.shmq.devices.DeviceComponent;
import io.shmq.devices.DeviceConfig;
import io.shmq.devices.DeviceContext;
import io.shmq.devices.DeviceTask;
import io.shmq.transport.api.Message;
import java.util.List;
import java.util.Map;

/**
 * A user's device, packed by {@code RuntimeIT} into a bundle of its own with a hand-written component description
 * and dropped into the runtime's deploy folder: it counts what arrives on its channel {@code in}.
 */
public final class CounterDevice extends DeviceComponent {
    @Override
    public String type() {
        return "counter";
    }

    @Override
    protected DeviceTask createTask(final DeviceConfig config) {
        return new DeviceTask() {
            private volatile long counted;

            @Override
            public void init(final DeviceContext context) {
                context.onData("in", false);
            }

            @Override
            public boolean handleData(final DeviceContext context, final Channel channel, final List<Message> parts) {
                counted++;
                return true;
            }

            @Override
            public Map<String, Long> counters() {
                return Map.of("counted", counted);
            }
        };
    }
}
