package io.shmq.itest;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.mavenBundle;

import io.shmq.devices.Device;
import io.shmq.devices.DeviceStatus;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Dictionary;
import java.util.HexFormat;
import java.util.Hashtable;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/** What the product tests share: framework content beyond {@link FrameworkIT}, device configurations, waits. */
final class ProductSupport {
    /** The shared-memory directory the providers default to: $SHMQ_DIRECTORY (a CI run's own), else /dev/shm. */
    static final Path SHM_DIR = Path.of(System.getenv().getOrDefault("SHMQ_DIRECTORY", "").isBlank() ? "/dev/shm"
            : System.getenv("SHMQ_DIRECTORY"));
    static final long WAIT_MS = 30_000;

    private ProductSupport() {
    }

    /** @return Configuration Admin, the Gogo runtime and the devices bundle */
    static Option productBundles() {
        return composite(
                mavenBundle("org.apache.felix", "org.apache.felix.configadmin").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.gogo.runtime").versionAsInProject(),
                bundle(new File(System.getProperty("bundles.dir"), "devices.jar").toURI().toString()));
    }

    /**
     * @return a new factory configuration of {@code pid} (location "?": any bundle may use it), already updated
     */
    static Configuration device(final ConfigurationAdmin admin, final String pid, final String id,
                                final String session, final String transport, final String... channels)
            throws IOException {
        final Configuration c = admin.createFactoryConfiguration(pid, "?");
        final Dictionary<String, Object> p = new Hashtable<>();
        p.put("id", id);
        p.put("session", session);
        p.put("transport", transport);
        p.put("channel-config", channels);
        p.put("msg-size", 1024L);
        c.update(p);
        return c;
    }

    /** @return the device service with that id, waiting for it */
    static Device awaitDevice(final BundleContext context, final String id) throws Exception {
        final ServiceTracker<Device, Device> t = new ServiceTracker<>(context,
                context.createFilter("(&(objectClass=" + Device.class.getName() + ")(id=" + id + "))"), null);
        t.open();
        try {
            final Device d = t.waitForService(WAIT_MS);
            if (d == null) {
                throw new AssertionError("no device id=" + id + " within " + WAIT_MS + " ms");
            }
            return d;
        } finally {
            t.close();
        }
    }

    /** Waits until no device service with that id is registered. */
    static void awaitNoDevice(final BundleContext context, final String id) throws Exception {
        final String filter = "(&(objectClass=" + Device.class.getName() + ")(id=" + id + "))";
        final long deadline = System.nanoTime() + WAIT_MS * 1_000_000L;
        while (context.getServiceReferences((String) null, filter) != null) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("device id=" + id + " still registered after " + WAIT_MS + " ms");
            }
            Thread.sleep(20);
        }
    }

    static long counter(final Device device, final String name) {
        final DeviceStatus s = device.status();
        return s.counters().getOrDefault(name, 0L);
    }

    static void waitAtLeast(final String what, final LongSupplier value, final long atLeast) throws Exception {
        final long deadline = System.nanoTime() + WAIT_MS * 1_000_000L;
        while (value.getAsLong() < atLeast) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what + ": waited " + WAIT_MS + " ms for at least " + atLeast + ", got "
                        + value.getAsLong());
            }
            Thread.sleep(10);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** shmId = first 4 bytes of SHA-256(uid + session) as hex (transport.shmem/README.md). */
    static String shmId(final String session) throws Exception {
        final String uid = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(line -> line.startsWith("Uid:")).findFirst().orElseThrow().split("\\s+")[1];
        final byte[] digest = MessageDigest.getInstance("SHA-256")
                .digest((uid + session).getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest, 0, 4);
    }

    /** @return the files of that session in the shared-memory directory */
    static long sessionFiles(final String session) throws Exception {
        final String prefix = "shmq_" + shmId(session) + "_";
        try (Stream<Path> files = Files.list(SHM_DIR)) {
            return files.filter(p -> p.getFileName().toString().startsWith(prefix)).count();
        }
    }

    /** Deletes the files of that session only (after a failed test); never touches another session's. */
    static void deleteSessionFiles(final String session) throws Exception {
        final String prefix = "shmq_" + shmId(session) + "_";
        try (Stream<Path> files = Files.list(SHM_DIR)) {
            for (final Path p : files.filter(f -> f.getFileName().toString().startsWith(prefix)).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * Runs a Gogo command through the framework's {@code CommandProcessor}, as the shell does: what the command
     * prints and the value it returns (formatted as the shell would) come back as one text, also printed.
     */
    static String gogo(final CommandProcessor commands, final String command) throws Exception {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
             CommandSession s = commands.createSession(System.in, out, out)) {
            final Object result = s.execute(command);
            if (result != null) {
                out.println(s.format(result, 0));
            }
        }
        final String text = bytes.toString(StandardCharsets.UTF_8);
        System.out.println("g! " + command + "\n" + text);
        return text;
    }
}
