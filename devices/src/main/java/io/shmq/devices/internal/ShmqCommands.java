package io.shmq.devices.internal;

import io.shmq.devices.ChannelRate;
import io.shmq.devices.Device;
import io.shmq.devices.DeviceStatus;
import io.shmq.transport.api.DataAddressResolver;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportKind;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * Gogo commands of scope {@code shmq}: {@code transports}, {@code devices}, {@code devstart}, {@code devstop},
 * {@code devreset} and {@code bench}. Output goes to {@code System.out}, which Gogo routes to the session. The
 * device commands are not called start and stop: those would shadow the framework's own {@code start} and
 * {@code stop} (of bundles) for users who type them without a scope.
 */
@Component(service = Object.class, property = {"osgi.command.scope=shmq", "osgi.command.function=transports",
        "osgi.command.function=devices", "osgi.command.function=devstart", "osgi.command.function=devstop",
        "osgi.command.function=devreset", "osgi.command.function=bench"})
public final class ShmqCommands {
    private final Map<Transport, Map<String, Object>> transports = new ConcurrentHashMap<>();
    private final List<Device> devices = new CopyOnWriteArrayList<>();
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile DataAddressResolver resolver;

    /** @param transport a transport @param properties its service properties */
    @Reference(service = Transport.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addTransport(final Transport transport, final Map<String, Object> properties) {
        transports.put(transport, properties);
    }

    void removeTransport(final Transport transport) {
        transports.remove(transport);
    }

    @Reference(service = Device.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addDevice(final Device device) {
        devices.add(device);
    }

    void removeDevice(final Device device) {
        devices.remove(device);
    }

    /** {@code shmq:transports}: one line per transport service (kind, ranking, bundle), then the resolver. */
    public void transports() {
        final PrintStream out = System.out;
        out.printf("%-8s %7s %10s %6s%n", "kind", "ranking", "service.id", "bundle");
        transports.entrySet().stream().sorted(Comparator.comparing((Map.Entry<Transport, Map<String, Object>> e)
                        -> e.getKey().kind()).thenComparing(e -> String.valueOf(e.getValue().get("service.id"))))
                .forEach(e -> out.printf("%-8s %7s %10s %6s%n", e.getKey().kind(),
                        e.getValue().getOrDefault("service.ranking", 0), e.getValue().get("service.id"),
                        e.getValue().get("service.bundleid")));
        out.println("resolver: " + (resolver == null ? "none" : "present"));
    }

    /** {@code shmq:devices}: one line per device (id, type, state, outages, errors, counters), then its rates. */
    public void devices() {
        final PrintStream out = System.out;
        out.printf("%-20s %-10s %-11s %7s %6s  %s%n", "id", "type", "state", "outages", "errors", "counters");
        final List<DeviceStatus> all = new ArrayList<>();
        for (final Device d : devices) {
            try {
                all.add(d.status());
            } catch (final IllegalStateException e) {
                out.println("(a device went away: " + e.getMessage() + ")");
            }
        }
        all.sort(Comparator.comparing(DeviceStatus::id));
        for (final DeviceStatus s : all) {
            out.printf("%-20s %-10s %-11s %7d %6d  %s%n", s.id(), s.type(), s.state(), s.outages(),
                    s.unexpectedErrors(), new java.util.TreeMap<>(s.counters()));
            for (final ChannelRate r : s.rates()) {
                out.println("    " + r.line());
            }
        }
    }

    /** @param id a device id: {@code shmq:devstart ID} runs it (again) */
    public void devstart(final String id) {
        device(id).start();
        System.out.println("started: id=" + id);
    }

    /** @param id a device id: {@code shmq:devstop ID} stops it (RUNNING to READY) */
    public void devstop(final String id) {
        device(id).stop();
        System.out.println("stopped: id=" + id);
    }

    /** @param id a device id: {@code shmq:devreset ID} resets it (to IDLE) */
    public void devreset(final String id) {
        device(id).reset();
        System.out.println("reset: id=" + id);
    }

    /**
     * {@code shmq:bench}: 100000 messages of 1024 bytes over shared memory.
     *
     * @throws InterruptedException when interrupted
     */
    public void bench() throws InterruptedException {
        bench(100_000, 1024, "shmem");
    }

    /** @param count messages @throws InterruptedException when interrupted */
    public void bench(final long count) throws InterruptedException {
        bench(count, 1024, "shmem");
    }

    /** @param count messages @param size bytes each @throws InterruptedException when interrupted */
    public void bench(final long count, final long size) throws InterruptedException {
        bench(count, size, "shmem");
    }

    /**
     * {@code shmq:bench COUNT SIZE TRANSPORT}: a sampler and a sink in this framework, push/pull.
     *
     * @param count     messages
     * @param size      bytes each
     * @param transport {@code shmem} or {@code zeromq}
     * @throws InterruptedException when interrupted
     */
    public void bench(final long count, final long size, final String transport) throws InterruptedException {
        final TransportKind kind = TransportKind.fromConfigName(transport);
        final Transport t = transports.keySet().stream().filter(x -> x.kind() == kind).findFirst()
                .orElseThrow(() -> new IllegalStateException("no transport of kind=" + kind + " registered"));
        System.out.println(Bench.run(t, count, size));
    }

    private Device device(final String id) {
        return devices.stream().filter(d -> id.equals(safeId(d))).findFirst().orElseThrow(() ->
                new IllegalArgumentException("no such device: id=" + id + ", devices="
                        + devices.stream().map(ShmqCommands::safeId).toList()));
    }

    private static String safeId(final Device d) {
        try {
            return d.id();
        } catch (final IllegalStateException e) {
            return "?";
        }
    }
}
