package io.shmq.itest;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

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
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.ops4j.pax.exam.util.Filter;

/**
 * The providers' services inside Felix: both transports registered with their {@code transport.kind}, the
 * side channel resolved through the registry's resolver, and the resolver's refusal of a zeromq factory.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ServicesIT {
    private static final byte[] AB = "AB".getBytes(StandardCharsets.US_ASCII);

    @Inject
    @Filter(value = "(transport.kind=shmem)", timeout = 10_000)
    private Transport shmem;

    @Inject
    @Filter(value = "(transport.kind=zeromq)", timeout = 10_000)
    private Transport zeromq;

    @Inject
    @Filter(timeout = 10_000)
    private DataAddressResolver resolver;

    /** @return the same framework content as {@link FrameworkIT} */
    @Configuration
    public Option[] config() {
        return FrameworkIT.baseOptions();
    }

    @Test
    public void shouldRegisterOneTransportPerKind() {
        assertEquals(TransportKind.SHMEM, shmem.kind());
        assertEquals(TransportKind.ZEROMQ, zeromq.kind());
    }

    @Test
    public void shouldResolveTheSideChannelThroughASecondFactory() {
        final String session = "itest-" + UUID.randomUUID().toString().substring(0, 8);
        try (TransportFactory producer = shmem.createFactory(FactoryConfig.of("producer", session));
             TransportFactory consumer = shmem.createFactory(FactoryConfig.of("consumer", session));
             Message message = producer.createMessage(MemorySegment.ofArray(AB))) {
            final MetaHeader header = ((SharedMemoryMessage) message).meta();
            final MemorySegment payload = resolver.resolve(consumer, MetaHeader.fromBytes(header.toBytes()));
            assertArrayEquals(AB, payload.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    public void shouldRejectAZeromqFactory() {
        final String session = "itest-" + UUID.randomUUID().toString().substring(0, 8);
        try (TransportFactory factory = zeromq.createFactory(FactoryConfig.of("zmq", session))) {
            final SharedMemoryException e = assertThrows(SharedMemoryException.class,
                    () -> resolver.resolve(factory, MetaHeader.managed(2, 0, 0)));
            assertTrue(e.getMessage(), e.getMessage().toLowerCase().contains("zeromq"));
        }
    }
}
