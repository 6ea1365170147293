package io.shmq.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * The README's plain-Java example, exactly as the README has it: every fenced Java block whose first line is
 * {@code // file: PATH} is written to PATH, compiled against the built API jar, and run in a real second JVM, once on
 * the module path and once on the class path, with {@code ServiceLoader} and no OSGi. The program resolves a payload
 * through the {@code DataAddressResolver} and prints it.
 */
public class ReadmeExamplesIT {
    private static final Pattern BLOCK = Pattern.compile("```java\n// file: (\\S+)\n(.*?)```", Pattern.DOTALL);

    private Path work;
    private String session;

    @Before
    public void setUp() throws IOException {
        work = Files.createTempDirectory("shmq-readme");
        session = "readme" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    @After
    public void tearDown() throws Exception {
        try (Stream<Path> files = Files.walk(work)) {
            for (final Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
        // The example closes its factories, which removes its session's files; whatever is left of the two
        // sessions of this test (and only those) is reported and removed.
        final List<Path> left = new ArrayList<>();
        for (final String name : List.of(session, session + "cp")) {
            final String prefix = "shmq_" + shmId(name) + "_";
            try (Stream<Path> files = Files.list(ProductSupport.SHM_DIR)) {
                files.filter(f -> f.getFileName().toString().startsWith(prefix)).forEach(left::add);
            }
        }
        for (final Path file : left) {
            Files.deleteIfExists(file);
        }
        assertEquals("shared-memory files left by the example", List.of(), left);
    }

    /** The provider's rule for file names: the first 4 bytes of SHA-256(uid + session), in hex. */
    private static String shmId(final String name) throws Exception {
        final long uid = new com.sun.security.auth.module.UnixSystem().getUid();
        final byte[] digest = MessageDigest.getInstance("SHA-256").digest((uid + name)
                .getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest, 0, 4);
    }

    private static Map<String, String> examples() throws IOException {
        final String readme = Files.readString(Path.of(System.getProperty("user.dir")).getParent()
                .resolve("README.md"), StandardCharsets.UTF_8);
        final Map<String, String> files = new LinkedHashMap<>();
        final Matcher matcher = BLOCK.matcher(readme);
        while (matcher.find()) {
            files.put(matcher.group(1), "// file: " + matcher.group(1) + "\n" + matcher.group(2));
        }
        return files;
    }

    private static String bundle(final String name) {
        return new File(System.getProperty("bundles.dir"), name + ".jar").getAbsolutePath();
    }

    @Test
    public void theReadmePlainJavaExampleCompilesAndResolvesAPayloadOnTheModulePathAndTheClassPath()
            throws Exception {
        final Map<String, String> files = examples();
        assertTrue("README has the example's files: " + files.keySet(),
                files.containsKey("module-info.java") && files.containsKey("app/Main.java"));
        final Path src = Files.createDirectories(work.resolve("src"));
        final List<String> sources = new ArrayList<>();
        for (final var file : files.entrySet()) {
            final Path path = src.resolve(file.getKey());
            Files.createDirectories(path.getParent());
            Files.writeString(path, file.getValue(), StandardCharsets.UTF_8);
            sources.add(path.toString());
        }
        final Path classes = Files.createDirectories(work.resolve("classes"));
        final JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        final List<String> args = new ArrayList<>(List.of("--module-path", bundle("transport.api"), "-d",
                classes.toString()));
        args.addAll(sources);
        assertEquals("javac of the README example", 0, javac.run(null, null, null, args.toArray(String[]::new)));

        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final String modulePath = String.join(File.pathSeparator, bundle("transport.api"), bundle("transport.shmem"),
                classes.toString());
        assertEquals("resolved AB", run(List.of(java, "--enable-native-access=io.shmq.transport.shmem",
                "--module-path", modulePath, "-m", "app/app.Main", session)));
        // On the class path module-info is ignored: the same program through META-INF/services.
        Files.delete(classes.resolve("module-info.class"));
        assertEquals("resolved AB", run(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", modulePath,
                "app.Main", session + "cp")));
    }

    private String run(final List<String> command) throws Exception {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String out;
        try (var in = process.getInputStream()) {
            final boolean done = process.waitFor(60, TimeUnit.SECONDS);
            if (!done) {
                process.destroyForcibly();
            }
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue("the example ended within 60 s: " + out, done);
        }
        assertEquals("exit status of " + command + ":\n" + out, 0, process.exitValue());
        return out.strip();
    }
}
