package io.shmq.devices;

import io.shmq.transport.api.Transport;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.annotation.versioning.ConsumerType;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The DS side of a device, for device bundles to extend: one instance per Configuration Admin factory configuration
 * (its properties are read by {@link DeviceConfig#fromProperties}). It references every
 * {@link Transport} (dynamic, greedy, multiple: the runner picks per kind the best by {@code service.ranking}, so
 * the filter by {@value Transport#KIND_PROPERTY} is the channel's {@code transport}; a {@code transport.target}
 * property narrows it further, as DS allows) and hands them to its {@link DeviceRunner}. Unbinding a transport in
 * use returns once the device closed its channels, before the provider deactivates.
 *
 * <p>A subclass is a DS component ({@code @Component(configurationPolicy = REQUIRE, service = Device.class,
 * immediate = true)}) that names its type and makes its task. The DS annotations of this class's methods reach the
 * subclass's component description only if the subclass's bundle is built with bnd's
 * {@code -dsannotations-options: inherit}; a hand-written description names {@code activate}, {@code deactivate}
 * and the reference {@code transport} with {@code addTransport} / {@code removeTransport}.
 *
 * <p>{@code @ConsumerType}: device bundles extend it.
 */
@ConsumerType
public abstract class DeviceComponent implements Device {
    private final Map<Transport, Map<String, Object>> transports = new IdentityHashMap<>();
    private DeviceRunner runner;

    /** @return the device type, e.g. {@code sampler} */
    @Override
    public abstract String type();

    /**
     * @param config the device configuration
     * @return the task of this device type
     */
    protected abstract DeviceTask createTask(DeviceConfig config);

    /**
     * Parses the configuration and starts the device.
     *
     * @param properties the component's properties: its configuration
     * @throws IllegalArgumentException for a bad configuration, naming the key (the component does not activate)
     */
    @Activate
    protected void activate(final Map<String, Object> properties) {
        final DeviceConfig config = DeviceConfig.fromProperties(properties);
        final DeviceRunner created = new DeviceRunner(config, type(), createTask(config), System.out::println);
        final List<Map.Entry<Transport, Map<String, Object>>> offered;
        synchronized (this) {
            runner = created;
            offered = new ArrayList<>(transports.entrySet());
        }
        offered.forEach(e -> created.transportAdded(e.getKey(), e.getValue()));
        created.open();
    }

    /** Ends the device: its channels and factories close. */
    @Deactivate
    protected void deactivate() {
        final DeviceRunner r;
        synchronized (this) {
            r = runner;
            runner = null;
        }
        if (r != null) {
            r.close();
        }
    }

    /**
     * @param transport  a transport service
     * @param properties its service properties
     */
    @Reference(name = "transport", service = Transport.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    protected void addTransport(final Transport transport, final Map<String, Object> properties) {
        final DeviceRunner r;
        synchronized (this) {
            transports.put(transport, properties);
            r = runner;
        }
        if (r != null) {
            r.transportAdded(transport, properties);
        }
    }

    /** @param transport a transport service going away */
    protected void removeTransport(final Transport transport) {
        final DeviceRunner r;
        synchronized (this) {
            transports.remove(transport);
            r = runner;
        }
        if (r != null) {
            r.transportRemoved(transport);
        }
    }

    @Override
    public String id() {
        return current().id();
    }

    @Override
    public DeviceStatus status() {
        return current().status();
    }

    @Override
    public void start() {
        current().start();
    }

    @Override
    public void stop() {
        current().stop();
    }

    @Override
    public void reset() {
        current().reset();
    }

    private synchronized DeviceRunner current() {
        if (runner == null) {
            throw new IllegalStateException("device not active: type=" + type());
        }
        return runner;
    }
}
