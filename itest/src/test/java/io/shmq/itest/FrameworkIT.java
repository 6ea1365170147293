package io.shmq.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.mavenBundle;
import static org.ops4j.pax.exam.CoreOptions.options;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import javax.inject.Inject;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Version;
import org.osgi.framework.namespace.PackageNamespace;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * Boots Apache Felix with Felix SCR and the built shmq bundles, and checks that every bundle resolves and starts,
 * that the API exports its package at 1.1.0, that the providers export nothing, and that the zeromq providers'
 * shared bundle exports its one package as internal, to the providers only.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FrameworkIT {
    static final String API = "io.shmq.transport.api";
    static final List<String> SHMQ_BUNDLES = List.of(API, "io.shmq.transport.shmem", "io.shmq.transport.zeromq");
    /** The zeromq providers' shared code: an internal bundle, not a provider. */
    static final String ZEROMQ_COMMON = "io.shmq.transport.zeromq.common";

    @Inject
    private BundleContext context;

    /** @return the framework's content: SCR and its API, JeroMQ, and the bundles built by this reactor */
    @Configuration
    public Option[] config() {
        return baseOptions();
    }

    static Option[] baseOptions() {
        final String dir = System.getProperty("bundles.dir");
        return options(
                systemProperty("org.osgi.framework.storage.clean").value("onFirstInit"),
                mavenBundle("org.osgi", "org.osgi.util.function").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.util.promise").versionAsInProject(),
                mavenBundle("org.osgi", "org.osgi.service.component").versionAsInProject(),
                mavenBundle("org.apache.felix", "org.apache.felix.scr").versionAsInProject(),
                mavenBundle("org.zeromq", "jeromq").versionAsInProject(),
                bundle(new File(dir, "transport.api.jar").toURI().toString()),
                bundle(new File(dir, "transport.shmem.jar").toURI().toString()),
                bundle(new File(dir, "transport.zeromq.common.jar").toURI().toString()),
                bundle(new File(dir, "transport.zeromq.jar").toURI().toString()),
                junitBundles());
    }

    @Test
    public void shouldResolveAndStartEveryBundle() {
        final List<String> notActive = new ArrayList<>();
        for (final Bundle bundle : context.getBundles()) {
            final int types = bundle.adapt(BundleRevision.class).getTypes();
            final boolean fragment = (types & BundleRevision.TYPE_FRAGMENT) != 0;
            final int expected = fragment ? Bundle.RESOLVED : Bundle.ACTIVE;
            if (bundle.getState() != expected) {
                notActive.add(bundle.getSymbolicName() + " state=" + bundle.getState());
            }
        }
        assertTrue("bundles not resolved or not started: " + notActive, notActive.isEmpty());
    }

    @Test
    public void shouldStartEveryShmqBundle() {
        for (final String name : SHMQ_BUNDLES) {
            final Bundle bundle = find(name);
            assertEquals(name + " state", Bundle.ACTIVE, bundle.getState());
        }
    }

    @Test
    public void shouldExportTheApiPackageAtOneZeroZero() {
        final List<BundleCapability> exports = find(API).adapt(BundleRevision.class)
                .getDeclaredCapabilities(PackageNamespace.PACKAGE_NAMESPACE);
        assertEquals("exports of " + API, 1, exports.size());
        final BundleCapability export = exports.get(0);
        assertEquals(API, export.getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE));
        assertEquals(new Version(1, 1, 0), export.getAttributes().get(PackageNamespace.CAPABILITY_VERSION_ATTRIBUTE));
    }

    @Test
    public void shouldLetProvidersExportNothing() {
        for (final String name : SHMQ_BUNDLES.subList(1, SHMQ_BUNDLES.size())) {
            final List<BundleCapability> exports = find(name).adapt(BundleRevision.class)
                    .getDeclaredCapabilities(PackageNamespace.PACKAGE_NAMESPACE);
            assertTrue(name + " exports " + exports, exports.isEmpty());
        }
    }

    @Test
    public void shouldExportTheZeromqCommonPackageAsInternalWithAMandatoryAttribute() {
        final Bundle common = find(ZEROMQ_COMMON);
        assertEquals(ZEROMQ_COMMON + " state", Bundle.ACTIVE, common.getState());
        final List<BundleCapability> exports = common.adapt(BundleRevision.class)
                .getDeclaredCapabilities(PackageNamespace.PACKAGE_NAMESPACE);
        assertEquals("exports of " + ZEROMQ_COMMON, 1, exports.size());
        final BundleCapability export = exports.get(0);
        assertEquals(ZEROMQ_COMMON, export.getAttributes().get(PackageNamespace.PACKAGE_NAMESPACE));
        assertEquals(new Version(0, 1, 0), export.getAttributes().get(PackageNamespace.CAPABILITY_VERSION_ATTRIBUTE));
        assertEquals("true", export.getDirectives().get("x-internal"));
        assertEquals("shmq.internal", export.getDirectives().get(PackageNamespace.CAPABILITY_MANDATORY_DIRECTIVE));
        // Only the zeromq provider (libzmq's is in LibzmqIT) is wired to it; nothing else in the framework (the
        // probe bundles of the mandatory-attribute test are uninstalled, but keep their wires until a refresh).
        final List<String> importers = common.adapt(BundleWiring.class)
                .getProvidedWires(PackageNamespace.PACKAGE_NAMESPACE).stream()
                .filter(w -> w.getRequirer().getBundle().getState() != Bundle.UNINSTALLED)
                .map(w -> w.getRequirer().getSymbolicName()).distinct().toList();
        assertEquals("bundles wired to " + ZEROMQ_COMMON, List.of("io.shmq.transport.zeromq"), importers);
    }

    @Test
    public void shouldWireTheZeromqCommonPackageOnlyToBundlesThatAskWithTheMandatoryAttribute() throws Exception {
        assertFalse("a plain import of the internal package resolves",
                resolves("shmq.itest.plain", ZEROMQ_COMMON));
        assertTrue("an import with the mandatory attribute does not resolve",
                resolves("shmq.itest.internal", ZEROMQ_COMMON + ";shmq.internal=true"));
    }

    /** Installs a bundle that only imports {@code importPackage}, tries to resolve it, and uninstalls it. */
    private boolean resolves(final String symbolicName, final String importPackage) throws Exception {
        final Manifest manifest = new Manifest();
        final Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", symbolicName);
        main.putValue("Import-Package", importPackage);
        final ByteArrayOutputStream jar = new ByteArrayOutputStream();
        try (JarOutputStream out = new JarOutputStream(jar, manifest)) {
            out.flush();
        }
        final Bundle probe = context.installBundle(symbolicName, new ByteArrayInputStream(jar.toByteArray()));
        try {
            return context.getBundle(0).adapt(FrameworkWiring.class).resolveBundles(List.of(probe));
        } finally {
            probe.uninstall();
        }
    }

    private Bundle find(final String symbolicName) {
        return Arrays.stream(context.getBundles()).filter(b -> symbolicName.equals(b.getSymbolicName())).findFirst()
                .orElseThrow(() -> new AssertionError(symbolicName + " not installed; installed: "
                        + Arrays.stream(context.getBundles()).map(Bundle::getSymbolicName)
                        .collect(Collectors.joining(", "))));
    }
}
