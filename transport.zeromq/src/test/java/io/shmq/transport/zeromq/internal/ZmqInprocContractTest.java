package io.shmq.transport.zeromq.internal;

import io.shmq.transport.api.Transport;
import io.shmq.transport.testkit.TestAddresses;
import io.shmq.transport.testkit.TransportContractTest;

/** The provider contract over {@code inproc://}: sockets of one factory (one JeroMQ context). */
class ZmqInprocContractTest extends TransportContractTest {
    @Override
    protected Transport transport() {
        return new ZmqTransport();
    }

    @Override
    protected String address(final String name) {
        return "inproc://" + name;
    }

    /** Inproc endpoints live in one JeroMQ context, that is one factory: other factories meet over tcp. */
    @Override
    protected String crossFactoryAddress(final String name) {
        return TestAddresses.freeTcp();
    }
}
