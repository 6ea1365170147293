package io.shmq.devices.internal;

import io.shmq.devices.Device;
import io.shmq.devices.DeviceComponent;
import io.shmq.devices.DeviceConfig;
import io.shmq.devices.DeviceTask;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.Designate;

/** The sink device: one instance per factory configuration of PID {@value #PID} (see {@link SinkTask}). */
@Component(name = SinkDevice.PID, service = Device.class, configurationPolicy = ConfigurationPolicy.REQUIRE,
        immediate = true, property = Device.TYPE_PROPERTY + "=sink")
@Designate(ocd = DeviceOptions.class, factory = true)
public final class SinkDevice extends DeviceComponent {
    /** The factory PID. */
    public static final String PID = "io.shmq.devices.sink";

    @Override
    public String type() {
        return "sink";
    }

    @Override
    protected DeviceTask createTask(final DeviceConfig config) {
        return new SinkTask(config);
    }
}
