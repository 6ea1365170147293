package io.shmq.transport.libzmq.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The tests' check that libzmq is on the machine. In CI (the {@code CI} environment variable set, as {@code .ci/run}
 * and every CI service do) a missing library fails the test: CI installs it. Elsewhere the test is skipped with a
 * message that says how to install it.
 */
final class Libzmq {
    private Libzmq() {
    }

    static void require() {
        final String message = "libzmq.so.5 is not available (" + LibZmq.unavailableReason()
                + "): apt-get install libzmq5";
        if (System.getenv("CI") != null) {
            assertTrue(LibZmq.available(), message);
        } else {
            if (!LibZmq.available()) {
                System.err.println("SKIPPED: " + message);
            }
            assumeTrue(LibZmq.available(), message);
        }
    }
}
