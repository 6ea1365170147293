package io.shmq.transport.zeromq.internal;

import io.shmq.transport.api.Transport;
import io.shmq.transport.testkit.TransportContractTest;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The provider contract over {@code ipc://} with endpoints in a fresh temporary directory. */
class ZmqIpcContractTest extends TransportContractTest {
    @TempDir
    Path directory;

    @Override
    protected Transport transport() {
        return new ZmqTransport();
    }

    @Override
    protected String address(final String name) {
        return "ipc://" + directory.resolve(name);
    }
}
