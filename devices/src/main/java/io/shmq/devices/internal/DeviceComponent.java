package io.shmq.devices.internal;

import io.shmq.devices.ChannelSyntax;
import io.shmq.devices.Device;
import io.shmq.devices.DeviceConfig;
import io.shmq.devices.DeviceRunner;
import io.shmq.devices.DeviceStatus;
import io.shmq.devices.DeviceTask;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The DS side of a device: one instance per Configuration Admin factory configuration. It references every
 * {@link Transport} (dynamic, greedy, multiple: the runner picks per kind the best by {@code service.ranking}, so
 * the filter by {@value Transport#KIND_PROPERTY} is the channel's {@code transport}; a {@code transport.target}
 * property narrows it further, as DS allows) and hands them to its {@link DeviceRunner}. Unbinding a transport in
 * use returns once the device closed its channels, before the provider deactivates.
 */
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
     * @param options    the typed configuration
     * @param properties the raw configuration ({@code service.pid} for the default id)
     */
    @Activate
    protected void activate(final DeviceOptions options, final Map<String, Object> properties) {
        final String id = options.id().isBlank() ? String.valueOf(properties.get("service.pid")) : options.id();
        final TransportKind kind = TransportKind.fromConfigName(options.transport());
        final String[] raw = options.channel$_$config() == null ? new String[0] : options.channel$_$config();
        final List<String> entries = Arrays.stream(raw).flatMap(v -> Arrays.stream(v.strip().split("\\s+")))
                .filter(v -> !v.isEmpty()).toList();
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("missing key: key=channel-config, id=" + id);
        }
        final DeviceConfig config = new DeviceConfig(id, options.session(), kind,
                ChannelSyntax.parse(entries, kind), Map.of("msg-size", String.valueOf(options.msg$_$size()),
                "max-iterations", String.valueOf(options.max$_$iterations()), "msg-rate",
                String.valueOf(options.msg$_$rate()), "multipart", String.valueOf(options.multipart())));
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
