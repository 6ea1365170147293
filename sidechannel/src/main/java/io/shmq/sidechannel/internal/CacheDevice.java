package io.shmq.sidechannel.internal;

import io.shmq.devices.Device;
import io.shmq.devices.DeviceComponent;
import io.shmq.devices.DeviceConfig;
import io.shmq.devices.DeviceTask;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.Designate;

/** The cache device: one instance per factory configuration of PID {@value #PID} (see {@link CacheTask}). */
@Component(name = CacheDevice.PID, service = Device.class, configurationPolicy = ConfigurationPolicy.REQUIRE,
        immediate = true, property = Device.TYPE_PROPERTY + "=" + CacheDevice.TYPE)
@Designate(ocd = SideChannelOptions.class, factory = true)
public final class CacheDevice extends DeviceComponent {
    /** The factory PID. */
    public static final String PID = "io.shmq.sidechannel.cache";
    /** The device type. */
    public static final String TYPE = "cache";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    protected DeviceTask createTask(final DeviceConfig config) {
        return new CacheTask(config);
    }
}
