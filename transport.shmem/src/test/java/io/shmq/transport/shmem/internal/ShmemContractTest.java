package io.shmq.transport.shmem.internal;

import io.shmq.transport.api.Transport;
import io.shmq.transport.testkit.TransportContractTest;

/**
 * The provider contract against the shared-memory sockets, over {@code ipc://name} (an endpoint named inside the
 * test's session). Every test of the suite runs unchanged; none is overridden.
 */
class ShmemContractTest extends TransportContractTest {
    @Override
    protected Transport transport() {
        return new ShmemTransport();
    }

    @Override
    protected String address(final String name) {
        return "ipc://" + name;
    }
}
