package io.shmq.runtime.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.osgi.framework.wiring.BundleRevision;

/**
 * Starts Apache Felix with every bundle stored under {@code bundles/} of this jar, in a framework storage folder
 * of its own (a temporary folder, deleted at exit). The product bundle {@code io.shmq.runtime} starts last (start
 * level 3, devices 2, the rest 1) and stops first, so it prints the summary while the devices still run. Ctrl-C
 * (SIGINT) stops the framework from a shutdown hook: devices close their channels and factories, the summary is
 * printed, no shared-memory file is left. Exit status: 0 when the run ended as asked, 1 when it failed, 2 for a
 * wrong option, 130 after SIGINT (the JVM's).
 */
public final class Main {
    /** The system property the product component sets to the exit status it wants. */
    public static final String EXIT_PROPERTY = "shmq.runtime.exit";
    private static final String PRODUCT = "io.shmq.runtime";
    private static final String DEVICES = "io.shmq.devices";
    private static final String SIDECHANNEL = "io.shmq.sidechannel";

    private Main() {
    }

    /**
     * @param args the options ({@link RunOptions#USAGE})
     * @throws Exception when the framework cannot be started
     */
    public static void main(final String[] args) throws Exception {
        final RunOptions options;
        try {
            options = RunOptions.parse(args);
        } catch (final IllegalArgumentException e) {
            System.err.println("shmq runtime: " + e.getMessage());
            System.err.print(RunOptions.USAGE);
            System.exit(2);
            return;
        }
        if (options.help()) {
            System.out.print(RunOptions.USAGE);
            return;
        }
        final Path storage = Files.createTempDirectory("shmq-runtime-");
        final Framework framework = ServiceLoader.load(FrameworkFactory.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path"))
                .newFramework(frameworkProperties(options, storage));
        final AtomicBoolean stopping = new AtomicBoolean();
        final Thread hook = new Thread(() -> {
            stopping.set(true);
            stop(framework);
            deleteTree(storage);
        }, "shmq-runtime-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        framework.init();
        installBundles(framework);
        framework.start();
        FrameworkEvent event;
        do {
            event = framework.waitForStop(0);
        } while (event.getType() == FrameworkEvent.STOPPED_UPDATE);
        if (stopping.get()) {
            return;
        }
        Runtime.getRuntime().removeShutdownHook(hook);
        deleteTree(storage);
        System.exit(Integer.getInteger(EXIT_PROPERTY, event.getType() == FrameworkEvent.ERROR ? 1 : 0));
    }

    private static Map<String, String> frameworkProperties(final RunOptions options, final Path storage) {
        final Map<String, String> p = new HashMap<>(options.frameworkProperties());
        p.put("org.osgi.framework.storage", storage.toString());
        p.put("org.osgi.framework.storage.clean", "onFirstInit");
        p.put("org.osgi.framework.startlevel.beginning", "3");
        // Bundles installed later (FileInstall, Gogo's install) are devices: they stop before the transports.
        p.put("felix.startlevel.bundle", "2");
        p.put("shmq.run.pid", String.valueOf(ProcessHandle.current().pid()));
        // Without --shell, Gogo must not read stdin: at EOF it would stop the framework.
        p.put("gosh.args", Boolean.parseBoolean(options.get("shell")) ? "" : "--nointeractive");
        // FileInstall's scratch folders go into the storage folder, which is deleted at exit.
        p.put("felix.fileinstall.tmpdir", storage.resolve("fileinstall").toString());
        final String deploy = options.get("deploy");
        final Path dir = Path.of(deploy.isEmpty() ? "deploy" : deploy).toAbsolutePath();
        if (!deploy.isEmpty() || Files.isDirectory(dir)) {
            try {
                Files.createDirectories(dir);
            } catch (final IOException e) {
                throw new UncheckedIOException("cannot create the deploy folder: deploy=" + dir, e);
            }
            p.put("felix.fileinstall.dir", dir.toString());
            p.put("felix.fileinstall.poll", "500");
            p.put("felix.fileinstall.noInitialDelay", "true");
            p.put("shmq.run.deploy", dir.toString());
        } else {
            // FileInstall would otherwise create and watch ./load.
            p.put("felix.fileinstall.dir", storage.resolve("no-deploy").toString());
            p.put("shmq.run.deploy", "");
        }
        return p;
    }

    private static void installBundles(final Framework framework) throws IOException, BundleException {
        final Path self;
        try {
            self = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (final URISyntaxException e) {
            throw new IllegalStateException("cannot locate the runtime jar", e);
        }
        final List<Bundle> installed = new ArrayList<>();
        try (JarFile jar = new JarFile(self.toFile())) {
            final List<JarEntry> entries = jar.stream()
                    .filter(e -> e.getName().startsWith("bundles/") && e.getName().endsWith(".jar"))
                    .sorted(Comparator.comparing(JarEntry::getName)).toList();
            for (final JarEntry entry : entries) {
                // A jar: URL as the location, so that Gogo's "update <id>" reads the bundle again from this jar.
                installed.add(framework.getBundleContext().installBundle("jar:" + self.toUri() + "!/"
                        + entry.getName()));
            }
        }
        for (final Bundle b : installed) {
            if ((b.adapt(BundleRevision.class).getTypes() & BundleRevision.TYPE_FRAGMENT) != 0) {
                continue;
            }
            b.adapt(BundleStartLevel.class).setStartLevel(startLevel(b.getSymbolicName()));
            b.start();
        }
    }

    /**
     * Framework services first (1), devices (2), the product last (3): bundles stop in the reverse order, so the
     * product prints its summary while devices run, and devices close their channels before the transports go.
     */
    private static int startLevel(final String symbolicName) {
        return switch (symbolicName) {
            case PRODUCT -> 3;
            case DEVICES, SIDECHANNEL -> 2;
            default -> 1;
        };
    }

    private static void stop(final Framework framework) {
        try {
            if ((framework.getState() & (Bundle.ACTIVE | Bundle.STARTING)) != 0) {
                framework.stop();
            }
            framework.waitForStop(30_000);
        } catch (final BundleException | InterruptedException e) {
            System.err.println("shmq runtime: stopping the framework failed: " + e);
        }
    }

    private static void deleteTree(final Path root) {
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (final IOException e) {
            System.err.println("shmq runtime: cannot delete the framework storage " + root + ": " + e);
        }
    }
}
