package io.shmq.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shmq.transport.api.ChannelMethod;
import io.shmq.transport.api.SocketType;
import io.shmq.transport.api.TransportKind;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ChannelSyntaxTest {
    @Test
    void shouldParseEveryKeyOfAFairMqChannel() {
        final List<ChannelSpec> specs = ChannelSyntax.parse("name=data,type=push,method=bind,address=ipc://x,"
                + "transport=zeromq,sndBufSize=500,rcvBufSize=700,sndKernelSize=0,rcvKernelSize=0,linger=250,"
                + "rateLogging=3", TransportKind.SHMEM);
        assertEquals(1, specs.size());
        final ChannelSpec spec = specs.get(0);
        assertEquals("data", spec.name());
        assertEquals(0, spec.index());
        assertEquals("data[0]", spec.key());
        assertEquals("data[0]", spec.config().name());
        assertEquals(SocketType.PUSH, spec.config().type());
        assertEquals(ChannelMethod.BIND, spec.config().method());
        assertEquals("ipc://x", spec.config().address());
        assertEquals(TransportKind.ZEROMQ, spec.transport());
        assertEquals(500, spec.config().sendHighWaterMark());
        assertEquals(700, spec.config().receiveHighWaterMark());
        assertEquals(Duration.ofMillis(250), spec.config().linger());
        assertEquals(3, spec.rateLogging());
    }

    @Test
    void shouldUseTheDefaultsOfFairMqAndTheDevicesTransport() {
        final ChannelSpec spec = ChannelSyntax.parse("name=data,type=pull,method=connect,address=shm://d",
                TransportKind.SHMEM).get(0);
        assertEquals(TransportKind.SHMEM, spec.transport());
        assertEquals(1000, spec.config().sendHighWaterMark());
        assertEquals(1000, spec.config().receiveHighWaterMark());
        assertEquals(1, spec.rateLogging());
        assertEquals(ChannelMethod.CONNECT, spec.config().method());
    }

    @Test
    void shouldMakeOneSubChannelPerAddressSeparatedBySemicolons() {
        final List<ChannelSpec> specs = ChannelSyntax.parse("name=data,type=push,method=bind,"
                + "address=ipc://a;ipc://b;ipc://c", TransportKind.SHMEM);
        assertEquals(List.of("data[0]", "data[1]", "data[2]"), specs.stream().map(ChannelSpec::key).toList());
        assertEquals(List.of("ipc://a", "ipc://b", "ipc://c"),
                specs.stream().map(s -> s.config().address()).toList());
    }

    @Test
    void shouldAddSubChannelsForRepeatedEntriesOfOneName() {
        final List<ChannelSpec> specs = ChannelSyntax.parse(List.of(
                "name=data,type=pull,method=connect,address=shm://a",
                "name=ctl,type=pair,method=bind,address=shm://c",
                "name=data,type=pull,method=connect,address=shm://b"), TransportKind.SHMEM);
        assertEquals(List.of("data[0]", "data[1]", "ctl[0]"), specs.stream().map(ChannelSpec::key).toList());
        assertEquals("shm://b", specs.get(1).config().address());
    }

    @Test
    void shouldTakeTheMethodFromFairMqsAddressPrefixes() {
        final List<ChannelSpec> specs = ChannelSyntax.parse("name=data,type=pair,address=@tcp://*:5555;"
                + "+tcp://h:5556;>tcp://h:5557", TransportKind.ZEROMQ);
        assertEquals(List.of(ChannelMethod.BIND, ChannelMethod.CONNECT, ChannelMethod.CONNECT),
                specs.stream().map(s -> s.config().method()).toList());
        assertEquals("tcp://*:5555", specs.get(0).config().address());
        assertEquals("tcp://h:5557", specs.get(2).config().address());
    }

    @Test
    void shouldReadBackWhatItFormats() {
        final ChannelSpec spec = ChannelSyntax.parse("name=out,type=pub,method=bind,address=shm://p,linger=20,"
                + "rateLogging=0,sndBufSize=9", TransportKind.SHMEM).get(0);
        assertEquals(spec, ChannelSyntax.parse(ChannelSyntax.format(spec), TransportKind.ZEROMQ).get(0));
    }

    @ParameterizedTest(name = "{0} -> names {1}")
    @CsvSource(delimiter = '|', value = {
        "name=d,type=push,method=bind,address=shm://a,colour=red | key=colour",
        "name=d,type=push,method=bind,address=shm://a,portRangeMin=1 | key=portRangeMin",
        "type=push,method=bind,address=shm://a | key=name",
        "name=d,method=bind,address=shm://a | key=type",
        "name=d,type=push,address=shm://a | key=method",
        "name=d,type=push,method=bind | key=address",
        "name=d,type=shove,method=bind,address=shm://a | key=type",
        "name=d,type=push,method=listen,address=shm://a | key=method",
        "name=d,type=push,method=bind,address=shm://a,transport=carrier-pigeon | key=transport",
        "name=d,type=push,method=bind,address=shm://a,sndBufSize=many | key=sndBufSize",
        "name=d,type=push,method=bind,address=shm://a,sndBufSize=0 | key=sndBufSize",
        "name=d,type=push,method=bind,address=shm://a,rcvBufSize=-5 | key=rcvBufSize",
        "name=d,type=push,method=bind,address=shm://a,sndKernelSize=x | key=sndKernelSize",
        "name=d,type=push,method=bind,address=shm://a,rcvKernelSize=-1 | key=rcvKernelSize",
        "name=d,type=push,method=bind,address=shm://a,linger=-1 | key=linger",
        "name=d,type=push,method=bind,address=shm://a,rateLogging=1.5 | key=rateLogging",
        "name=d,type=push,method=bind,address=shm://a,name=e | key=name",
        "name=d,type=push,method=bind,address= | key=address",
        "name=d,type=push,method=bind,address=shm://a;; | key=address",
        "name=d,type=push,method=bind,address=shm://a,novalue | key='novalue'",
        "name=d,type=push,method=bind,address=shm://a,=x | key=''",
    })
    void shouldRejectBadSyntaxNamingTheKey(final String entry, final String expected) {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ChannelSyntax.parse(entry, TransportKind.SHMEM));
        assertTrue(e.getMessage().contains(expected), () -> "message '" + e.getMessage() + "' names " + expected);
    }

    @Test
    void shouldRejectAnEmptyEntry() {
        assertThrows(IllegalArgumentException.class, () -> ChannelSyntax.parse(" ", TransportKind.SHMEM));
    }

    @Test
    void shouldRejectASubChannelGivenTwiceInOneDevice() {
        final List<ChannelSpec> specs = ChannelSyntax.parse("name=d,type=push,method=bind,address=shm://a",
                TransportKind.SHMEM);
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DeviceConfig(
                "dev", "s", TransportKind.SHMEM, List.of(specs.get(0), specs.get(0)), java.util.Map.of()));
        assertTrue(e.getMessage().contains("channel=d[0]"), e.getMessage());
    }
}
