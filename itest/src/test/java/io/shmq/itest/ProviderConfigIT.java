package io.shmq.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.options;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.UUID;
import java.util.stream.Stream;
import javax.inject.Inject;
import org.apache.felix.service.command.CommandProcessor;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The shared-memory provider's Configuration Admin PID in Felix: a changed session directory moves the factories
 * made afterwards there, without restarting the component (same service, earlier factories keep working), and the
 * provider's Gogo command lists the session in its new place.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ProviderConfigIT {
    private static final String PID = "io.shmq.transport.shmem";
    private final String tag = UUID.randomUUID().toString().substring(0, 8);
    private final String session = "cfgit-" + tag;
    private Path directory;

    @Inject
    private BundleContext context;
    @Inject
    private ConfigurationAdmin admin;
    @Inject
    private CommandProcessor commands;

    /** @return FrameworkIT's content plus Configuration Admin, the Gogo runtime and the devices bundle */
    @org.ops4j.pax.exam.Configuration
    public Option[] config() {
        return options(composite(FrameworkIT.baseOptions()), ProductSupport.productBundles());
    }

    @Before
    public void createDirectory() throws Exception {
        directory = Files.createDirectory(Path.of("/dev/shm", "cfgit-" + tag));
    }

    @After
    public void removeConfigurationAndDirectory() throws Exception {
        admin.getConfiguration(PID, "?").delete();
        try (Stream<Path> files = Files.walk(directory)) {
            for (final Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
        ProductSupport.deleteSessionFiles(session);
        ProductSupport.deleteSessionFiles(session + "-2");
    }

    @Test
    public void shouldMoveNewFactoriesToTheConfiguredDirectoryWithoutRestartingTheComponent() throws Exception {
        final ServiceReference<Transport> reference = context.getServiceReferences(Transport.class,
                "(transport.kind=shmem)").iterator().next();
        final Object serviceId = reference.getProperty("service.id");
        final Transport shmem = context.getService(reference);
        try (TransportFactory before = shmem.createFactory(FactoryConfig.of("before", session))) {
            assertEquals(ProductSupport.SHM_DIR.toString(), before.config().options().get("shmem.directory"));
            final Configuration configuration = admin.getConfiguration(PID, "?");
            final Dictionary<String, Object> properties = new Hashtable<>();
            properties.put("directory", directory.toString());
            properties.put("segment-size", 64L << 20);
            configuration.update(properties);

            final long deadline = System.nanoTime() + ProductSupport.WAIT_MS * 1_000_000L;
            while (!directory.toString().equals(reference.getProperty("directory"))) {
                assertTrue("the component took the configuration within " + ProductSupport.WAIT_MS + " ms",
                        System.nanoTime() < deadline);
                Thread.sleep(20);
            }
            assertEquals("the same service: applied by @Modified, not by a restart", serviceId,
                    context.getServiceReferences(Transport.class, "(transport.kind=shmem)").iterator().next()
                            .getProperty("service.id"));
            try (TransportFactory after = shmem.createFactory(FactoryConfig.of("after", session + "-2"));
                 Message message = before.createMessage(8)) {
                assertEquals(directory.toString(), after.config().options().get("shmem.directory"));
                assertEquals(64L << 20, after.config().segmentSize());
                try (Stream<Path> files = Files.list(directory)) {
                    assertTrue("the new factory's session files are in " + directory,
                            files.anyMatch(f -> f.getFileName().toString().endsWith("_mng")));
                }
                assertEquals("a factory made before the change keeps working", 8, message.size());
                final String listed = ProductSupport.gogo(commands, "shmq:sessions " + directory);
                assertTrue(listed, listed.contains(" live ") && listed.contains("  segment id=0 size=" + (64L << 20)));
            }
        } finally {
            context.ungetService(reference);
        }
    }
}
