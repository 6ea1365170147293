package io.shmq.transport.zeromq.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.Transport;
import io.shmq.transport.testkit.TransportContractTest;
import io.shmq.transport.zeromq.common.ZeromqOptions;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provider contract over {@code ipc://} with endpoints in a fresh temporary directory, with JeroMQ's emulation
 * switched on ({@value ZeromqOptions#JEROMQ_IPC_EMULATION}): without it the provider refuses {@code ipc://}
 * ({@code ZmqTransportTest}).
 */
class ZmqIpcContractTest extends TransportContractTest {
    @TempDir
    Path directory;

    @Override
    protected Transport transport() {
        return new ZmqTransport();
    }

    @Override
    protected FactoryConfig config(final String id, final String session) {
        return FactoryConfig.builder(id).session(session).option(ZeromqOptions.JEROMQ_IPC_EMULATION, "true").build();
    }

    @Override
    protected String address(final String name) {
        return "ipc://" + directory.resolve(name);
    }
}
