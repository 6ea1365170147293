package io.shmq.transport.libzmq.internal;

import io.shmq.transport.api.Transport;
import io.shmq.transport.testkit.TestAddresses;
import io.shmq.transport.testkit.TransportContractTest;
import org.junit.jupiter.api.BeforeAll;

/** The provider contract on libzmq over {@code tcp://127.0.0.1} with a free port per address. */
class LibzmqTcpContractTest extends TransportContractTest {
    @BeforeAll
    static void requireLibzmq() {
        Libzmq.require();
    }

    @Override
    protected Transport transport() {
        return new LibzmqTransport();
    }

    @Override
    protected String address(final String name) {
        return TestAddresses.freeTcp();
    }
}
