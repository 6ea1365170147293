package io.shmq.sidechannel.internal;

import io.shmq.devices.Device;
import io.shmq.devices.DeviceState;
import io.shmq.devices.DeviceStatus;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code ./shmq run --scenario sidechannel}: the side channel across two Felix processes. In this runtime it
 * configures the cache device (tables pushed on {@code --transport}, acknowledgements on shared memory) and starts
 * a second runtime ({@code --scenario sidechannel-consumer}, same jar, flags and session) whose consumer device
 * resolves every row in place. With {@code --count N} (rows) both end by themselves: the consumer when it has read
 * N rows, this one when every table is released, every region callback came and the consumer exited; the exit
 * status is 0 when every row resolved with its checksum right, no table was dropped and the callbacks match. A
 * consumer runtime that exits with another status first (killed, failed) ends this one with status 1; a consumer
 * runtime whose first runtime is gone (killed) ends with status 1 too, within about a second, instead of waiting
 * {@value #STALL_MS} ms for a table. Reads the runtime's framework properties {@code shmq.run.*}; does nothing for
 * any other scenario.
 */
@Component(immediate = true)
public final class SideChannelScenario {
    /** How long the run may go without progress before it is given up. */
    static final long STALL_MS = 30_000;
    /** How long a failed exit of the consumer runtime waits for this one's stop (Ctrl-C ends both) to come first. */
    static final long CONSUMER_EXIT_GRACE_MS = 1_000;
    private static final String EXIT_PROPERTY = "shmq.runtime.exit";
    private static final String TABLES_PROPERTY = "shmq.sidechannel.tables";
    /** The first runtime's pid, given to the consumer runtime it starts: the consumer ends when that one is gone. */
    private static final String PRODUCER_PID_PROPERTY = "shmq.sidechannel.producer-pid";

    private final BundleContext context;
    private final ConfigurationAdmin admin;
    private final Map<String, Device> devices = new ConcurrentHashMap<>();
    private final String scenario;
    private final Thread watcher;
    private volatile Process child;
    private volatile boolean ended;
    private volatile DeviceStatus lastStatus;

    /**
     * @param context the bundle's context (framework properties, framework stop)
     * @param admin   Configuration Admin, for the device configurations
     */
    @Activate
    public SideChannelScenario(final BundleContext context, @Reference final ConfigurationAdmin admin) {
        this.context = context;
        this.admin = admin;
        this.scenario = property("scenario", "pipeline");
        this.watcher = new Thread(this::run, "shmq-sidechannel-scenario");
        this.watcher.setDaemon(true);
        if (scenario.startsWith("sidechannel")) {
            watcher.start();
        }
    }

    /** @param device a device service */
    @Reference(service = Device.class, cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addDevice(final Device device) {
        devices.put(device.id(), device);
    }

    void removeDevice(final Device device) {
        devices.values().remove(device);
    }

    private String property(final String name, final String defaultValue) {
        final String v = context.getProperty("shmq.run." + name);
        return v == null || v.isEmpty() ? defaultValue : v;
    }

    private void run() {
        int status = 1;
        try {
            status = scenario.equals("sidechannel-consumer") ? runConsumer() : runCache();
            ended = true;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (final IOException | RuntimeException e) {
            System.out.println("shmq side channel: failed: " + e);
        }
        if (!Boolean.parseBoolean(property("shell", "false")) && Long.parseLong(property("count", "0")) > 0
                || status != 0) {
            System.setProperty(EXIT_PROPERTY, String.valueOf(status));
            try {
                context.getBundle(0).stop();
            } catch (final BundleException | IllegalStateException ignored) {
                // the framework is stopping already
            }
        }
    }

    private String session() {
        return property("session", "shmq-run-" + property("pid", "0"));
    }

    private int rateLogging() {
        return Integer.parseInt(property("rate-logging", "1"));
    }

    private int runCache() throws IOException, InterruptedException {
        final String transport = property("transport", "shmem");
        final long count = Long.parseLong(property("count", "0"));
        final long maxSize = Math.max(16, 4 * Long.parseLong(property("msg-size", "1024")));
        final String session = session();
        final String tables = transport.equals("shmem") ? "shm://" + session + "-tables" : freeTcp();
        final String log = ",rateLogging=" + rateLogging();
        System.out.println(String.format(Locale.ROOT, "shmq runtime: side channel: cache (this process) -> Arrow "
                + "tables over %s -> consumer (a second runtime), rows=%s, payloads 16..%d B, managed and region, "
                + "session=%s", transport, count == 0 ? "unlimited (Ctrl-C stops)" : count, maxSize, session));
        final List<String> channels = List.of("name=tables,type=push,method=bind,transport=" + transport + log
                + ",address=" + tables, "name=acks,type=pull,method=bind,transport=shmem" + log + ",address=shm://"
                + session + "-acks");
        channels.forEach(c -> System.out.println("  cache        " + c));
        final Dictionary<String, Object> p = device("cache", channels);
        p.put("rows", count);
        p.put("max-size", maxSize);
        admin.createFactoryConfiguration(CacheDevice.PID, "?").update(p);
        child = startConsumer(tables);
        System.out.println("  consumer     pid=" + child.pid() + " (second runtime)");
        final long start = System.nanoTime();
        long last = -1;
        long lastChange = System.nanoTime();
        while (true) {
            Thread.sleep(100);
            final Device cache = devices.get("cache");
            if (cache == null) {
                continue;
            }
            final DeviceStatus s = cache.status();
            lastStatus = s;
            if (s.state() == DeviceState.ERROR) {
                System.out.println("shmq side channel: cache failed: " + s.lastError());
                return 1;
            }
            final Map<String, Long> c = s.counters();
            if (!child.isAlive() && child.exitValue() != 0) {
                // Killed, or failed: no row will be acknowledged again (the forced drops of the ack timeout would
                // look like progress for ever). A Ctrl-C reaches both runtimes: this one's stop interrupts the
                // wait first and prints its own summary.
                Thread.sleep(CONSUMER_EXIT_GRACE_MS);
                System.out.println("shmq side channel: the consumer runtime (pid " + child.pid() + ") exited with "
                        + "status " + child.exitValue() + " before the run ended: " + new TreeMap<>(c));
                return 1;
            }
            final long released = c.getOrDefault("acked-tables", 0L) + c.getOrDefault("forced-tables", 0L);
            if (count > 0 && c.getOrDefault("published-rows", 0L) >= count && s.state() == DeviceState.READY
                    && released >= c.getOrDefault("published-tables", 0L) && !child.isAlive()) {
                return summary(s, child.exitValue(), start);
            }
            if (released != last) {
                last = released;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > STALL_MS * 1_000_000L) {
                System.out.println("shmq side channel: no table released for " + STALL_MS + " ms: " + c);
                return 1;
            }
        }
    }

    private int summary(final DeviceStatus cache, final int consumerExit, final long start) {
        final Map<String, Long> c = cache.counters();
        final boolean callbacks = c.get("region-callbacks").equals(c.get("region-rows"))
                && c.get("callback-duplicates") == 0 && c.get("missing-callbacks") == 0;
        final boolean ok = consumerExit == 0 && c.get("forced-tables") == 0 && callbacks;
        System.out.println(String.format(Locale.ROOT, "summary (%s):%n  cache     %s%n  cache: rows=%d (managed=%d, "
                        + "region=%d), payload bytes=%d, tables=%d (%d B of tables, %.1f B per row), acknowledged=%d, "
                        + "dropped=%d, region callbacks=%d of %d%n  consumer: exit status %d; wall time %.3f s",
                ok ? "done" : "failed", new TreeMap<>(c), c.get("published-rows"), c.get("managed-rows"),
                c.get("region-rows"), c.get("payload-bytes"), c.get("published-tables"), c.get("table-bytes"),
                c.get("table-bytes") / (double) Math.max(1, c.get("published-rows")), c.get("acked-tables"),
                c.get("forced-tables"), c.get("region-callbacks"), c.get("region-rows"), consumerExit,
                (System.nanoTime() - start) / 1e9));
        return ok ? 0 : 1;
    }

    private int runConsumer() throws IOException, InterruptedException {
        final String transport = property("transport", "shmem");
        final long count = Long.parseLong(property("count", "0"));
        final String session = session();
        final String tables = System.getProperty(TABLES_PROPERTY, "shm://" + session + "-tables");
        final String log = ",rateLogging=" + rateLogging();
        final Dictionary<String, Object> p = device("consumer", List.of("name=tables,type=pull,method=connect,"
                + "transport=" + transport + log + ",address=" + tables, "name=acks,type=push,method=connect,"
                + "transport=shmem" + log + ",address=shm://" + session + "-acks"));
        p.put("max-rows", count);
        admin.createFactoryConfiguration(ConsumerDevice.PID, "?").update(p);
        final String producerPid = System.getProperty(PRODUCER_PID_PROPERTY);
        // Taken now, with its start time: a handle never mistakes a later process of the same pid for it.
        final ProcessHandle producer = producerPid == null ? null
                : ProcessHandle.of(Long.parseLong(producerPid)).orElse(null);
        long last = -1;
        long lastChange = System.nanoTime();
        while (true) {
            Thread.sleep(100);
            final Device consumer = devices.get("consumer");
            if (producerPid != null && (producer == null || !producer.isAlive())) {
                System.out.println("[consumer] the first runtime (pid " + producerPid + ") is gone: "
                        + (consumer == null ? "{}" : consumer.status().counters()));
                return 1;
            }
            if (consumer == null) {
                continue;
            }
            final DeviceStatus s = consumer.status();
            lastStatus = s;
            final Map<String, Long> c = s.counters();
            if (s.state() == DeviceState.ERROR) {
                System.out.println("[consumer] failed: " + s.lastError());
                return 1;
            }
            final long rows = c.getOrDefault("rows", 0L);
            if (count > 0 && rows >= count && s.state() == DeviceState.READY) {
                final double seconds = c.get("nanos") / 1e9;
                final boolean ok = c.get("ok") == rows && c.get("bad-tables") == 0;
                System.out.println(String.format(Locale.ROOT, "[consumer] summary (%s): rows=%d resolved, ok=%d, "
                                + "bad=%d, bad tables=%d, %.0f rows/s, %d bytes read in place (not copied, %.2f MB/s), "
                                + "first to last table %.3f s", ok ? "done" : "failed", rows, c.get("ok"), c.get("bad"),
                        c.get("bad-tables"), seconds > 0 ? rows / seconds : 0.0, c.get("bytes-in-place"),
                        seconds > 0 ? c.get("bytes-in-place") / seconds / 1e6 : 0.0, seconds));
                return ok ? 0 : 1;
            }
            if (rows != last) {
                last = rows;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > STALL_MS * 1_000_000L) {
                System.out.println("[consumer] no table for " + STALL_MS + " ms: " + c);
                return 1;
            }
        }
    }

    private Dictionary<String, Object> device(final String id, final List<String> channels) {
        final Dictionary<String, Object> p = new Hashtable<>();
        p.put("id", id);
        p.put("session", session());
        p.put("transport", property("transport", "shmem"));
        p.put("channel-config", channels.toArray(String[]::new));
        return p;
    }

    /** The second runtime: the same java, jar and flags, the same session and count. */
    private Process startConsumer(final String tables) throws IOException {
        final List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "--enable-native-access=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-D" + TABLES_PROPERTY + "=" + tables,
                "-D" + PRODUCER_PID_PROPERTY + "=" + ProcessHandle.current().pid(), "-jar",
                System.getProperty("java.class.path"), "--scenario", "sidechannel-consumer", "--session", session(),
                "--transport", property("transport", "shmem"), "--count", property("count", "0"), "--rate-logging",
                String.valueOf(rateLogging())));
        return new ProcessBuilder(command).inheritIO().start();
    }

    private static String freeTcp() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "tcp://127.0.0.1:" + s.getLocalPort();
        }
    }

    /**
     * Stopped before the run ended (Ctrl-C, SIGTERM, {@code stop 0}): prints this runtime's device counters, then
     * ends the second runtime if it still runs (Ctrl-C reaches it too when it shares the terminal).
     */
    @Deactivate
    void deactivate() throws InterruptedException {
        watcher.interrupt();
        if (scenario.startsWith("sidechannel") && !ended) {
            // The devices of this bundle may be gone already: the counters as the watcher last saw them.
            final DeviceStatus s = lastStatus;
            System.out.println((scenario.equals("sidechannel-consumer") ? "[consumer] " : "") + "summary (stopped): "
                    + (s == null ? "no device up yet" : s.id() + " " + s.state() + " " + new TreeMap<>(s.counters())));
        }
        final Process p = child;
        if (p != null && p.isAlive()) {
            p.destroy();
            if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }
}
