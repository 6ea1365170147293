package io.shmq.transport.libzmq.internal;

import io.shmq.transport.api.Transport;
import io.shmq.transport.testkit.TestAddresses;
import io.shmq.transport.testkit.TransportContractTest;
import org.junit.jupiter.api.BeforeAll;

/** The provider contract on libzmq over {@code inproc://}: sockets of one factory (one libzmq context). */
class LibzmqInprocContractTest extends TransportContractTest {
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
        return "inproc://" + name;
    }

    /** Inproc endpoints live in one libzmq context, that is one factory: other factories meet over tcp. */
    @Override
    protected String crossFactoryAddress(final String name) {
        return TestAddresses.freeTcp();
    }
}
