package io.shmq.transport.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Loopback addresses for tests, with ports chosen free at run time (one copy for every provider's tests). */
public final class TestAddresses {
    private TestAddresses() {
    }

    /**
     * A port the kernel just handed out and released. Another process could take it before the test binds it; on a
     * test machine's loopback that window is small, and a clash fails loudly with the address in the message.
     *
     * @return {@code tcp://127.0.0.1:port}
     */
    public static String freeTcp() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "tcp://127.0.0.1:" + socket.getLocalPort();
        } catch (final IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
    }
}
