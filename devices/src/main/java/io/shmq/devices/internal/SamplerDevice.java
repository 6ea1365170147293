package io.shmq.devices.internal;

import io.shmq.devices.Device;
import io.shmq.devices.DeviceComponent;
import io.shmq.devices.DeviceConfig;
import io.shmq.devices.DeviceTask;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.Designate;

/** The sampler device: one instance per factory configuration of PID {@value #PID} (see {@link SamplerTask}). */
@Component(name = SamplerDevice.PID, service = Device.class, configurationPolicy = ConfigurationPolicy.REQUIRE,
        immediate = true, property = Device.TYPE_PROPERTY + "=sampler")
@Designate(ocd = DeviceOptions.class, factory = true)
public final class SamplerDevice extends DeviceComponent {
    /** The factory PID. */
    public static final String PID = "io.shmq.devices.sampler";

    @Override
    public String type() {
        return "sampler";
    }

    @Override
    protected DeviceTask createTask(final DeviceConfig config) {
        return new SamplerTask(config);
    }
}
