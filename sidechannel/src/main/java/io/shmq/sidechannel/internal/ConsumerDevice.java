package io.shmq.sidechannel.internal;

import io.shmq.devices.Device;
import io.shmq.devices.DeviceComponent;
import io.shmq.devices.DeviceConfig;
import io.shmq.devices.DeviceTask;
import io.shmq.transport.api.DataAddressResolver;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The consumer device: one instance per factory configuration of PID {@value #PID} (see {@link ConsumerTask}). The
 * resolver comes from the service registry; its reference is static, so SCR restarts the device with the
 * shared-memory bundle (the resolver's provider).
 */
@Component(name = ConsumerDevice.PID, service = Device.class, configurationPolicy = ConfigurationPolicy.REQUIRE,
        immediate = true, property = Device.TYPE_PROPERTY + "=" + ConsumerDevice.TYPE)
@Designate(ocd = SideChannelOptions.class, factory = true)
public final class ConsumerDevice extends DeviceComponent {
    /** The factory PID. */
    public static final String PID = "io.shmq.sidechannel.consumer";
    /** The device type. */
    public static final String TYPE = "consumer";

    @Reference
    private DataAddressResolver resolver;

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    protected DeviceTask createTask(final DeviceConfig config) {
        return new ConsumerTask(config, resolver);
    }
}
