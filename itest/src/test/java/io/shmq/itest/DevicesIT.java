package io.shmq.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.options;

import io.shmq.devices.Device;
import io.shmq.devices.DeviceState;
import io.shmq.transport.api.DataAddressResolver;
import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.MetaHeader;
import io.shmq.transport.api.SharedMemoryException;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportFactory;
import io.shmq.transport.api.TransportKind;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import javax.inject.Inject;
import org.apache.felix.service.command.CommandProcessor;
import org.junit.After;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The devices bundle in Felix: it sees both transports and the resolver, devices come and go with their factory
 * configurations, and the Gogo commands of scope {@code shmq} print what they promise.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DevicesIT {
    private final String tag = UUID.randomUUID().toString().substring(0, 8);
    private final String session = "devit-" + tag;

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

    @After
    public void removeConfigurationsAndFiles() throws Exception {
        final Configuration[] left = admin.listConfigurations("(session=" + session + ")");
        if (left != null) {
            for (final Configuration c : left) {
                c.delete();
            }
        }
        final long deadline = System.nanoTime() + ProductSupport.WAIT_MS * 1_000_000L;
        while (ProductSupport.sessionFiles(session) > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        final long files = ProductSupport.sessionFiles(session);
        ProductSupport.deleteSessionFiles(session);
        assertEquals("files of session " + session + " left after its devices went away", 0, files);
    }

    @Test
    public void shouldFindBothTransportsAndTheResolverFromTheDevicesBundleAndRejectAZeromqFactory()
            throws Exception {
        final Bundle devices = Arrays.stream(context.getBundles())
                .filter(b -> "io.shmq.devices".equals(b.getSymbolicName())).findFirst().orElseThrow();
        assertEquals(Bundle.ACTIVE, devices.getState());
        final BundleContext dc = devices.getBundleContext();
        final Collection<ServiceReference<Transport>> refs = dc.getServiceReferences(Transport.class, null);
        final Set<String> kinds = new HashSet<>();
        for (final ServiceReference<Transport> ref : refs) {
            assertTrue("the devices bundle is wired to the API package the provider uses",
                    ref.isAssignableTo(devices, Transport.class.getName()));
            kinds.add(String.valueOf(ref.getProperty(Transport.KIND_PROPERTY)));
        }
        assertEquals(Set.of("shmem", "zeromq"), kinds);
        final ServiceReference<DataAddressResolver> rr = dc.getServiceReference(DataAddressResolver.class);
        assertNotNull("resolver seen from the devices bundle", rr);
        final Transport zeromq = dc.getService(dc.getServiceReferences(Transport.class, "(transport.kind=zeromq)")
                .iterator().next());
        final Transport shmem = dc.getService(dc.getServiceReferences(Transport.class, "(transport.kind=shmem)")
                .iterator().next());
        final DataAddressResolver resolver = dc.getService(rr);
        try (TransportFactory producer = shmem.createFactory(FactoryConfig.of("devit-p", session));
             TransportFactory consumer = shmem.createFactory(FactoryConfig.of("devit-c", session));
             TransportFactory other = zeromq.createFactory(FactoryConfig.of("devit-z", session));
             Message message = producer.createMessage(MemorySegment.ofArray(new byte[] {'O', 'K'}))) {
            final MetaHeader header = ((SharedMemoryMessage) message).meta();
            assertArrayEquals(new byte[] {'O', 'K'}, resolver.resolve(consumer, header)
                    .toArray(ValueLayout.JAVA_BYTE));
            assertEquals(TransportKind.ZEROMQ, other.kind());
            assertThrows(SharedMemoryException.class, () -> resolver.resolve(other, header));
        } finally {
            dc.ungetService(rr);
        }
    }

    @Test
    public void shouldCreateADeviceFromAFactoryConfigurationAndRemoveItWhenTheConfigurationIsDeleted()
            throws Exception {
        final String id = "sink-" + tag;
        final Configuration c = ProductSupport.device(admin, "io.shmq.devices.sink", id, session, "shmem",
                "name=data2,type=pull,method=connect,address=shm://cm-" + tag);
        final Device sink = ProductSupport.awaitDevice(context, id);
        assertEquals("sink", sink.type());
        waitForState(sink, DeviceState.RUNNING);
        c.delete();
        ProductSupport.awaitNoDevice(context, id);
    }

    @Test
    public void shouldRunTheGogoCommandsAndPrintWhatTheyPromise() throws Exception {
        final String sampler = "sampler-" + tag;
        final String sink = "sink-" + tag;
        ProductSupport.device(admin, "io.shmq.devices.sampler", sampler, session, "shmem",
                "name=data1,type=push,method=bind,rateLogging=0,address=shm://g-" + tag);
        ProductSupport.device(admin, "io.shmq.devices.sink", sink, session, "shmem",
                "name=data2,type=pull,method=connect,rateLogging=0,address=shm://g-" + tag);
        final Device sinkDevice = ProductSupport.awaitDevice(context, sink);
        ProductSupport.waitAtLeast("sink received", () -> ProductSupport.counter(sinkDevice, "received"), 100);

        final String transports = run("shmq:transports");
        assertTrue(transports, transports.contains("kind") && transports.contains("ranking")
                && transports.contains("bundle"));
        assertTrue(transports, transports.lines().anyMatch(l -> l.startsWith("shmem")));
        assertTrue(transports, transports.lines().anyMatch(l -> l.startsWith("zeromq")));
        assertTrue(transports, transports.contains("resolver: present"));

        final String devices = run("shmq:devices");
        assertTrue(devices, devices.lines().anyMatch(l -> l.startsWith(sampler) && l.contains("sampler")
                && l.contains("RUNNING")));
        assertTrue(devices, devices.lines().anyMatch(l -> l.startsWith(sink) && l.contains("RUNNING")
                && l.contains("received=")));
        assertTrue(devices, devices.contains("data2[0]: in: ") && devices.contains("msg/s"));

        assertTrue(run("shmq:devstop " + sink).contains("stopped: id=" + sink));
        waitForState(sinkDevice, DeviceState.READY);
        assertTrue(run("shmq:devices").lines().anyMatch(l -> l.startsWith(sink) && l.contains("READY")));
        assertTrue(run("shmq:devstart " + sink).contains("started: id=" + sink));
        waitForState(sinkDevice, DeviceState.RUNNING);
        assertTrue(run("shmq:devreset " + sink).contains("reset: id=" + sink));
        waitForState(sinkDevice, DeviceState.IDLE);
        assertTrue(run("shmq:devices").lines().anyMatch(l -> l.startsWith(sink) && l.contains("IDLE")));

        final String shmemBench = run("shmq:bench 20000 256 shmem");
        assertTrue(shmemBench, shmemBench.contains("bench: transport=shmem msg-size=256 B messages=20000 errors=0"));
        final String zeromqBench = run("shmq:bench 2000 256 zeromq");
        assertTrue(zeromqBench, zeromqBench.contains("bench: transport=zeromq msg-size=256 B messages=2000 "
                + "errors=0"));
    }

    private String run(final String command) throws Exception {
        return ProductSupport.gogo(commands, command);
    }

    private static void waitForState(final Device device, final DeviceState state) throws Exception {
        final long deadline = System.nanoTime() + ProductSupport.WAIT_MS * 1_000_000L;
        while (device.status().state() != state) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("device id=" + device.id() + " not in state=" + state + " within "
                        + ProductSupport.WAIT_MS + " ms: " + device.status());
            }
            Thread.sleep(10);
        }
    }
}
