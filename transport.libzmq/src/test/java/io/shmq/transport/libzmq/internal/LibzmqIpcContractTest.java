package io.shmq.transport.libzmq.internal;

import io.shmq.transport.api.Transport;
import io.shmq.transport.testkit.TransportContractTest;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provider contract on libzmq over real {@code ipc://} (Unix sockets) in a fresh temporary directory. The file
 * names are short numbers, not the test's names: a Unix socket path holds at most 107 bytes ({@code sun_path}).
 */
class LibzmqIpcContractTest extends TransportContractTest {
    private static final AtomicInteger NEXT = new AtomicInteger();

    @TempDir
    Path directory;

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
        return "ipc://" + directory.resolve("s" + NEXT.incrementAndGet());
    }
}
