package io.shmq.runtime.internal;

import io.shmq.devices.Device;
import io.shmq.devices.DeviceState;
import io.shmq.devices.DeviceStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * The runtime's main job, inside the framework: from the {@code shmq.run.*} framework properties it creates one
 * device factory configuration per default device ({@link Topology}), prints a header, lists devices as they come
 * (including deployed ones), and with a message count waits until the sink has them, prints the summary and stops
 * the framework with the exit status in the system property {@code shmq.runtime.exit}. Stopped early (Ctrl-C), it
 * prints the summary when it deactivates, before the devices stop.
 */
@Component(immediate = true)
public final class Product {
    /** How long the run may go without the sink receiving anything before it is given up. */
    static final long STALL_MS = 30_000;
    private static final String EXIT_PROPERTY = "shmq.runtime.exit";

    private final BundleContext context;
    private final ConfigurationAdmin admin;
    private final Map<String, Device> devices = new ConcurrentHashMap<>();
    private final List<Configuration> created = new ArrayList<>();
    private final Thread watcher;
    private final String transport;
    private final long size;
    private final long count;
    private final int processors;
    private final boolean pipeline;
    private final boolean defaults;
    private final boolean shell;
    private final String session;
    private volatile long startNanos;
    private volatile boolean summarised;

    /**
     * @param context the runtime bundle's context (framework properties, framework stop)
     * @param admin   Configuration Admin, for the device configurations
     */
    @Activate
    public Product(final BundleContext context, @Reference final ConfigurationAdmin admin) {
        this.context = context;
        this.admin = admin;
        this.transport = property("transport", "shmem");
        this.size = Long.parseLong(property("msg-size", "1024"));
        this.count = Long.parseLong(property("count", "0"));
        this.processors = Integer.parseInt(property("processors", "1"));
        // Another scenario (--scenario sidechannel) brings its own devices and its own summary.
        this.pipeline = property("scenario", "pipeline").equals("pipeline");
        this.defaults = pipeline && !Boolean.parseBoolean(property("no-devices", "false"));
        this.shell = Boolean.parseBoolean(property("shell", "false"));
        final String s = property("session", "");
        this.session = s.isEmpty() ? "shmq-run-" + property("pid", "0") : s;
        this.watcher = new Thread(this::watch, "shmq-runtime-product");
        this.watcher.setDaemon(true);
        this.watcher.start();
    }

    /** @param device a device service (default or deployed) */
    @Reference(service = Device.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addDevice(final Device device) {
        devices.put(device.id(), device);
        System.out.println("device up: id=" + device.id() + " type=" + device.type());
    }

    void removeDevice(final Device device) {
        devices.values().remove(device);
    }

    private String property(final String name, final String defaultValue) {
        final String v = context.getProperty("shmq.run." + name);
        return v == null ? defaultValue : v;
    }

    private void watch() {
        try {
            if (!pipeline) {
                return;
            }
            if (!defaults) {
                System.out.println("shmq runtime: no default devices; deploy folder: "
                        + (property("deploy", "").isEmpty() ? "none" : property("deploy", "")));
                return;
            }
            final String rate = property("rate-logging", "");
            final int rateLogging = rate.isEmpty() ? (shell ? 0 : 1) : Integer.parseInt(rate);
            final Topology topology = Topology.of(transport, session, processors, rateLogging, size);
            printHeader(topology);
            startNanos = System.nanoTime();
            for (final Map.Entry<String, Topology.Device> e : topology.devices().entrySet()) {
                created.add(configure(e.getKey(), e.getValue()));
            }
            if (count > 0) {
                final int status = awaitCount();
                summary(status == 0 ? "done" : "failed");
                if (!shell) {
                    System.setProperty(EXIT_PROPERTY, String.valueOf(status));
                    context.getBundle(0).stop();
                }
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (final IOException | BundleException | RuntimeException e) {
            System.out.println("shmq runtime: failed: " + e);
            System.setProperty(EXIT_PROPERTY, "1");
            try {
                context.getBundle(0).stop();
            } catch (final BundleException | IllegalStateException ignored) {
                // the framework is stopping already
            }
        }
    }

    private void printHeader(final Topology topology) {
        final StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "shmq runtime: sampler -> %s -> sink over %s, msg-size=%d B, count=%s,"
                        + " msg-rate=%s, multipart=%s, session=%s%n", processors == 0 ? "(no processor)"
                        : "processor x" + processors, transport, size, count == 0 ? "unlimited (Ctrl-C stops)" : count,
                property("msg-rate", "0").equals("0") ? "unlimited" : property("msg-rate", "0") + "/s",
                property("multipart", "false"), session));
        topology.devices().forEach((id, d) -> d.channels().forEach(c -> b.append(String.format(Locale.ROOT,
                "  %-12s %s%n", id, c))));
        final String deploy = property("deploy", "");
        b.append("  deploy folder: ").append(deploy.isEmpty() ? "none" : deploy);
        System.out.println(b);
    }

    private Configuration configure(final String id, final Topology.Device device) throws IOException {
        final Configuration c = admin.createFactoryConfiguration(device.pid(), "?");
        final Dictionary<String, Object> p = new Hashtable<>();
        p.put("id", id);
        p.put("session", session);
        p.put("transport", transport);
        p.put("channel-config", device.channels().toArray(String[]::new));
        p.put("msg-size", size);
        p.put("max-iterations", count);
        p.put("msg-rate", Long.parseLong(property("msg-rate", "0")));
        p.put("multipart", Boolean.parseBoolean(property("multipart", "false")));
        c.update(p);
        return c;
    }

    /** @return the exit status: 0 when the sink got every message with no check error */
    private int awaitCount() throws InterruptedException {
        long last = -1;
        long lastChange = System.nanoTime();
        while (true) {
            Thread.sleep(100);
            final Device sink = devices.get("sink");
            if (sink == null) {
                continue;
            }
            final DeviceStatus s = sink.status();
            final long received = s.counters().getOrDefault("received", 0L);
            if (received >= count) {
                return s.counters().getOrDefault("errors", 0L) == 0 ? 0 : 1;
            }
            for (final Device d : devices.values()) {
                if (d.status().state() == DeviceState.ERROR) {
                    System.out.println("shmq runtime: device id=" + d.id() + " failed: " + d.status().lastError());
                    return 1;
                }
            }
            if (received != last) {
                last = received;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > STALL_MS * 1_000_000L) {
                System.out.println("shmq runtime: the sink received nothing for " + STALL_MS + " ms: received="
                        + received + " of count=" + count);
                return 1;
            }
        }
    }

    private synchronized void summary(final String how) {
        if (summarised || !defaults) {
            return;
        }
        summarised = true;
        final StringBuilder b = new StringBuilder("summary (" + how + "):\n");
        long outages = 0;
        long unexpected = 0;
        DeviceStatus sink = null;
        for (final String id : devices.keySet().stream().sorted().toList()) {
            final DeviceStatus s;
            try {
                s = devices.get(id).status();
            } catch (final IllegalStateException | NullPointerException e) {
                continue;
            }
            if (id.equals("sink")) {
                sink = s;
            }
            outages += s.outages();
            unexpected += s.unexpectedErrors();
            b.append(String.format(Locale.ROOT, "  %-12s %-9s %-8s %s%n", id, s.type(), s.state(),
                    new java.util.TreeMap<>(s.counters())));
        }
        if (sink != null) {
            final Map<String, Long> c = sink.counters();
            final long received = c.getOrDefault("received", 0L);
            final double seconds = c.getOrDefault("nanos", 0L) / 1e9;
            b.append(String.format(Locale.ROOT, "  sink: received=%d of %s, errors=%d, first to last message %.3f s,"
                            + " %.0f msg/s, %.2f MB/s; wall time %.3f s%n", received,
                    count == 0 ? "unlimited" : String.valueOf(count), c.getOrDefault("errors", 0L), seconds,
                    seconds > 0 ? (received - 1) / seconds : 0.0,
                    seconds > 0 ? c.getOrDefault("bytes", 0L) / seconds / 1e6 : 0.0,
                    (System.nanoTime() - startNanos) / 1e9));
        }
        b.append("  outages=").append(outages).append(", unexpected errors=").append(unexpected)
                .append(" (summed over the devices)");
        System.out.println(b);
    }

    /** Prints the summary if the run did not end by itself (Ctrl-C, framework stopped). */
    @Deactivate
    void deactivate() {
        watcher.interrupt();
        summary("stopped");
    }
}
