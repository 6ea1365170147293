package io.shmq.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Starts the other JVM of a two-JVM benchmark: the same java binary, the same class path and the same flags as this
 * JVM (so that a child of a child still has them), plus the flags a peer needs for itself.
 */
final class ChildJvm {
    /**
     * A system property of JVM flags for the child alone, after the inherited ones; when set, the parent's
     * {@code -XX:AOT...} flags are not inherited (each side of a two-JVM case has its own AOT cache:
     * {@code -XX:AOTCacheOutput=receiver.aot -Dshmq.bench.childJvm=-XX:AOTCacheOutput=sender.aot} to train, then
     * {@code -XX:AOTCache=...} for both).
     */
    static final String CHILD_FLAGS = "shmq.bench.childJvm";

    private ChildJvm() {
    }

    /**
     * @param extraFlags JVM flags for this child only (e.g. Aeron's), after the inherited ones
     * @param main       the class whose {@code main} the child runs
     * @param pipeOutput true to read the child's standard output through {@link Process#getInputStream()}; false to
     *                   let it print where this JVM prints
     * @param args       the child's arguments
     * @return the started child; its standard error goes where this JVM's goes
     * @throws java.io.IOException when the JVM cannot be started
     */
    static Process start(final List<String> extraFlags, final Class<?> main, final boolean pipeOutput,
                         final String... args) throws java.io.IOException {
        final Set<String> flags = new LinkedHashSet<>();
        flags.add("--enable-native-access=ALL-UNNAMED");
        final String own = System.getProperty(CHILD_FLAGS, "").trim();
        for (final String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // An AOT cache names one JVM's training: with flags of its own the child takes only those.
            if (own.isEmpty() || !flag.startsWith("-XX:AOT")) {
                flags.add(flag);
            }
        }
        if (!own.isEmpty()) {
            flags.addAll(List.of(own.split("\\s+")));
        }
        flags.addAll(extraFlags);
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(flags);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(List.of(args));
        final ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        if (!pipeOutput) {
            builder.redirectOutput(ProcessBuilder.Redirect.INHERIT);
        }
        return builder.start();
    }

    /**
     * Waits for the child and checks its exit code; a child that has not finished in time is killed.
     *
     * @param process the child
     * @param seconds how long to wait
     * @throws InterruptedException when interrupted
     */
    static void await(final Process process, final long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("the other JVM did not finish in " + seconds + " s: pid=" + process.pid());
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("the other JVM failed: pid=" + process.pid() + " exit="
                    + process.exitValue());
        }
    }
}
