package io.shmq.sidechannel.internal;

import io.shmq.devices.DeviceConfig;
import io.shmq.devices.DeviceRunner;
import io.shmq.devices.DeviceState;
import io.shmq.transport.api.DataAddressResolver;
import io.shmq.transport.api.Transport;
import java.util.HashMap;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * The cache or the consumer device in a plain JVM (class path or module path), without OSGi: transports and the
 * resolver come from {@link ServiceLoader}. Arguments: the device ({@code cache} or {@code consumer}), then
 * {@code key=value} configuration entries as in a factory configuration ({@code channel-config} may be given more
 * than once), and {@code timeout-ms} (default 60000), after which an unfinished run gives up. Prints the device's
 * lines, then {@code RESULT {counters}}; exits 0 when the task is done, 1 when it failed or timed out.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED -cp ... \
 *     io.shmq.sidechannel.internal.SideChannelMain consumer id=c1 session=s max-rows=100000 \
 *     channel-config=name=tables,type=pull,method=connect,address=shm://t \
 *     channel-config=name=acks,type=push,method=connect,address=shm://a
 * </pre>
 */
public final class SideChannelMain {
    private SideChannelMain() {
    }

    /**
     * @param args the device and its configuration
     * @throws InterruptedException when interrupted while waiting
     */
    public static void main(final String[] args) throws InterruptedException {
        if (args.length < 1 || !(args[0].equals(CacheDevice.TYPE) || args[0].equals(ConsumerDevice.TYPE))) {
            System.err.println("usage: SideChannelMain cache|consumer key=value... (channel-config=..., "
                    + "timeout-ms=N)");
            System.exit(2);
            return;
        }
        final Map<String, Object> properties = new HashMap<>();
        final java.util.List<String> channels = new java.util.ArrayList<>();
        long timeoutMs = 60_000;
        for (int i = 1; i < args.length; i++) {
            final int eq = args[i].indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("not key=value: argument=" + args[i]);
            }
            final String key = args[i].substring(0, eq);
            final String value = args[i].substring(eq + 1);
            switch (key) {
                case "channel-config" -> channels.add(value);
                case "timeout-ms" -> timeoutMs = Long.parseLong(value);
                default -> properties.put(key, value);
            }
        }
        properties.put("channel-config", channels.toArray(String[]::new));
        properties.putIfAbsent("service.pid", args[0]);
        final DeviceConfig config = DeviceConfig.fromProperties(properties);
        final BooleanSupplier done;
        final io.shmq.devices.DeviceTask task;
        if (args[0].equals(CacheDevice.TYPE)) {
            final CacheTask cache = new CacheTask(config);
            task = cache;
            done = cache::done;
        } else {
            final ConsumerTask consumer = new ConsumerTask(config, ServiceLoader.load(DataAddressResolver.class)
                    .findFirst().orElseThrow(() -> new IllegalStateException("no DataAddressResolver on the path")));
            task = consumer;
            done = consumer::done;
        }
        final DeviceRunner runner = new DeviceRunner(config, args[0], task, System.out::println);
        ServiceLoader.load(Transport.class).forEach(t -> runner.transportAdded(t, Map.of()));
        runner.open();
        final long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        boolean ok = true;
        while (!done.getAsBoolean()) {
            if (runner.status().state() == DeviceState.ERROR || System.nanoTime() > deadline) {
                ok = false;
                System.out.println("FAILED state=" + runner.status().state() + ", lastError="
                        + runner.status().lastError() + ", timeout-ms=" + timeoutMs);
                break;
            }
            Thread.sleep(20);
        }
        runner.close();
        System.out.println("RESULT " + new TreeMap<>(task.counters()));
        System.out.flush();
        System.exit(ok ? 0 : 1);
    }
}
