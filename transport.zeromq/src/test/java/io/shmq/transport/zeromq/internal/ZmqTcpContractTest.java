package io.shmq.transport.zeromq.internal;

import io.shmq.transport.api.Transport;
import io.shmq.transport.testkit.TestAddresses;
import io.shmq.transport.testkit.TransportContractTest;

/** The provider contract over {@code tcp://127.0.0.1} with a free port per address. */
class ZmqTcpContractTest extends TransportContractTest {
    @Override
    protected Transport transport() {
        return new ZmqTransport();
    }

    @Override
    protected String address(final String name) {
        return TestAddresses.freeTcp();
    }
}
