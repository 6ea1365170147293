package io.shmq.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.options;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.Socket;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportFactory;
import java.io.File;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import javax.inject.Inject;
import org.junit.Assume;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Both zeromq providers in one Felix: the libzmq provider registers next to the JeroMQ one with a higher
 * {@code service.ranking}, so the service a consumer gets for {@code (transport.kind=zeromq)} is libzmq's, and its
 * {@code ipc://} is a real Unix socket. Needs libzmq.so.5 on the machine: in CI (the {@code CI} variable set) its
 * absence fails the test, elsewhere it is skipped with a message.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class LibzmqIT {
    @Inject
    private BundleContext context;

    /** @return the base framework plus the libzmq provider */
    @Configuration
    public Option[] config() {
        final String dir = System.getProperty("bundles.dir");
        return options(composite(FrameworkIT.baseOptions()),
                bundle(new File(dir, "transport.libzmq.jar").toURI().toString()));
    }

    private ServiceReference<Transport> libzmqService() throws Exception {
        final ServiceTracker<Transport, Transport> tracker = new ServiceTracker<>(context,
                context.createFilter("(&(objectClass=" + Transport.class.getName()
                        + ")(transport.implementation=libzmq))"), null);
        tracker.open();
        try {
            tracker.waitForService(10_000);
            final ServiceReference<Transport> ref = tracker.getServiceReference();
            if (ref == null) {
                final String message = "no libzmq provider registered: is libzmq.so.5 installed? apt-get install "
                        + "libzmq5";
                if (System.getenv("CI") != null) {
                    throw new AssertionError(message);
                }
                System.err.println("SKIPPED: " + message);
                Assume.assumeTrue(message, false);
            }
            return ref;
        } finally {
            tracker.close();
        }
    }

    @Test
    public void shouldWireBothZeromqProvidersToTheOneCommonBundle() {
        // Resolution needs no libzmq.so.5: this holds on every machine.
        final Bundle common = Arrays.stream(context.getBundles())
                .filter(b -> FrameworkIT.ZEROMQ_COMMON.equals(b.getSymbolicName())).findFirst().orElseThrow();
        final Set<String> importers = common.adapt(BundleWiring.class)
                .getProvidedWires(PackageNamespace.PACKAGE_NAMESPACE).stream()
                .map(w -> w.getRequirer().getSymbolicName()).collect(Collectors.toSet());
        assertEquals("bundles wired to " + FrameworkIT.ZEROMQ_COMMON,
                Set.of("io.shmq.transport.zeromq", "io.shmq.transport.libzmq"), importers);
    }

    @Test
    public void shouldRankTheLibzmqProviderAboveJeromqForKindZeromq() throws Exception {
        final ServiceReference<Transport> libzmq = libzmqService();
        final Collection<ServiceReference<Transport>> zeromq = context.getServiceReferences(Transport.class,
                "(transport.kind=zeromq)");
        assertEquals("two zeromq providers: " + zeromq, 2, zeromq.size());
        assertTrue(zeromq.stream().anyMatch(r -> "jeromq".equals(r.getProperty("transport.implementation"))));
        final ServiceReference<Transport> bestZeromq = zeromq.stream().max(ServiceReference::compareTo).orElseThrow();
        assertEquals("the highest-ranked zeromq service", libzmq, bestZeromq);
        assertEquals(100, libzmq.getProperty("service.ranking"));
    }

    @Test
    public void shouldCarryMessagesOverARealIpcSocketFileInFelix() throws Exception {
        final ServiceReference<Transport> ref = libzmqService();
        final Transport transport = context.getService(ref);
        final Path dir = Files.createTempDirectory("libzmq-it");
        final Path file = dir.resolve("s");
        try (TransportFactory factory = transport.createFactory(FactoryConfig.of("it", "libzmq-"
                + UUID.randomUUID().toString().substring(0, 8)));
             Socket pull = factory.createSocket(SocketType.PULL, "in");
             Socket push = factory.createSocket(SocketType.PUSH, "out");
             Message message = factory.createMessage(8)) {
            pull.bind("ipc://" + file);
            assertTrue("socket file while bound", Files.exists(file));
            push.connect("ipc://" + file);
            message.data().set(ValueLayout.JAVA_LONG, 0, 4711L);
            assertEquals(8, push.send(message, 10_000));
            assertEquals(8, pull.receive(message, 10_000));
            assertEquals(4711L, message.data().get(ValueLayout.JAVA_LONG, 0));
        } finally {
            context.ungetService(ref);
        }
        assertFalse("socket file gone after close", Files.exists(file));
        Files.deleteIfExists(dir);
    }
}
