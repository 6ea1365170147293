package io.shmq.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import io.shmq.transport.api.DataAddressResolver;
import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Message;
import io.shmq.transport.api.SharedMemoryMessage;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportClosedException;
import io.shmq.transport.api.TransportFactory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.UUID;
import java.util.stream.Stream;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.util.tracker.ServiceTracker;

/**
 * A provider swapped at run time: stopping the shared-memory bundle closes the factories its service made (their
 * files go away, further use throws {@link TransportClosedException} instead of touching unmapped memory), and once
 * the bundle is started again a consumer finds the new service and works with it.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class SwapIT {
    private static final long WAIT_MS = 10_000;

    @Inject
    private BundleContext context;

    /** @return the same framework content as {@link FrameworkIT} */
    @Configuration
    public Option[] config() {
        return FrameworkIT.baseOptions();
    }

    @Test
    public void shouldCloseFactoriesOnStopAndServeANewTransportAfterRestart() throws Exception {
        final Bundle shmemBundle = Arrays.stream(context.getBundles())
                .filter(b -> "io.shmq.transport.shmem".equals(b.getSymbolicName())).findFirst().orElseThrow();
        final String session = "swap-" + UUID.randomUUID().toString().substring(0, 8);
        final ServiceTracker<Transport, Transport> transports = new ServiceTracker<>(context,
                context.createFilter("(&(objectClass=" + Transport.class.getName() + ")(transport.kind=shmem))"),
                null);
        final ServiceTracker<DataAddressResolver, DataAddressResolver> resolvers =
                new ServiceTracker<>(context, DataAddressResolver.class, null);
        transports.open();
        resolvers.open();
        try {
            final Transport before = transports.waitForService(WAIT_MS);
            assertNotNull("shmem transport before the stop", before);
            final TransportFactory factory = before.createFactory(FactoryConfig.of("consumer", session));
            factory.createMessage(16).close();
            final String shmId = shmId(session);
            assertTrue("files of session " + shmId + " while the factory is open", sessionFiles(shmId) > 0);

            shmemBundle.stop();

            assertThrows(TransportClosedException.class, () -> factory.createMessage(16));
            assertTrue("files of session " + shmId + " left after the bundle stopped", sessionFiles(shmId) == 0);

            shmemBundle.start();
            final Transport after = transports.waitForService(WAIT_MS);
            final DataAddressResolver resolver = resolvers.waitForService(WAIT_MS);
            assertNotNull("shmem transport after the restart", after);
            assertNotNull("resolver after the restart", resolver);
            assertNotSame("a new component instance after the restart", before, after);
            try (TransportFactory producer = after.createFactory(FactoryConfig.of("producer", session));
                 TransportFactory consumer = after.createFactory(FactoryConfig.of("consumer", session));
                 Message message = producer.createMessage(MemorySegment.ofArray(new byte[] {'O', 'K'}))) {
                final MemorySegment payload = resolver.resolve(consumer, ((SharedMemoryMessage) message).meta());
                assertArrayEquals(new byte[] {'O', 'K'}, payload.toArray(ValueLayout.JAVA_BYTE));
            }
        } finally {
            if (shmemBundle.getState() != Bundle.ACTIVE) {
                shmemBundle.start();
            }
            resolvers.close();
            transports.close();
        }
    }

    /**
     * The documented naming rule (README of transport.shmem): shmId = first 4 bytes of SHA-256(uid + session) as
     * hex; computed here independently of the provider, whose classes are private to its bundle.
     */
    private static String shmId(final String session) throws Exception {
        final String uid = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(line -> line.startsWith("Uid:")).findFirst().orElseThrow().split("\\s+")[1];
        final byte[] digest = MessageDigest.getInstance("SHA-256")
                .digest((uid + session).getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest, 0, 4);
    }

    private static long sessionFiles(final String shmId) throws Exception {
        try (Stream<Path> files = Files.list(ProductSupport.SHM_DIR)) {
            return files.filter(p -> p.getFileName().toString().startsWith("shmq_" + shmId + "_")).count();
        }
    }
}
