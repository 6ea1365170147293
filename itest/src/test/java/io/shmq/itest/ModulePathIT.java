package io.shmq.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import org.junit.Test;
import org.zeromq.ZMQ;

/**
 * The two zeromq providers and their shared module on a plain module path, without OSGi: the built jars resolve in
 * one layer with one class loader (which fails on a split package), the shared module exports its package to the
 * two providers only, {@code ServiceLoader} finds both providers, and a JeroMQ factory and socket work through the
 * shared classes across the module boundary.
 */
public class ModulePathIT {
    private static final String COMMON = "io.shmq.transport.zeromq.common";
    private static final String JEROMQ_PROVIDER = "io.shmq.transport.zeromq";
    private static final String LIBZMQ_PROVIDER = "io.shmq.transport.libzmq";

    private static Path bundle(final String name) {
        return new File(System.getProperty("bundles.dir"), name + ".jar").toPath();
    }

    private static ModuleLayer layer() throws Exception {
        final Path jeromq = Path.of(ZMQ.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        final ModuleFinder finder = ModuleFinder.of(bundle("transport.api"), bundle("transport.zeromq.common"),
                bundle("transport.zeromq"), bundle("transport.libzmq"), jeromq);
        final Configuration configuration = ModuleLayer.boot().configuration().resolveAndBind(finder,
                ModuleFinder.of(), Set.of(JEROMQ_PROVIDER, LIBZMQ_PROVIDER));
        // One loader for every module: defining two modules with the same package in it fails.
        return ModuleLayer.boot().defineModulesWithOneLoader(configuration, ClassLoader.getPlatformClassLoader());
    }

    @Test
    public void shouldExportTheCommonPackageToTheTwoProvidersOnly() throws Exception {
        final ModuleLayer layer = layer();
        final Module common = layer.findModule(COMMON).orElseThrow();
        final List<ModuleDescriptor.Exports> exports = List.copyOf(common.getDescriptor().exports());
        assertEquals("exports of " + COMMON + ": " + exports, 1, exports.size());
        assertEquals(COMMON, exports.get(0).source());
        assertEquals(Set.of(JEROMQ_PROVIDER, LIBZMQ_PROVIDER), exports.get(0).targets());
        assertFalse("exported to everyone", common.isExported(COMMON));
        assertTrue(common.isExported(COMMON, layer.findModule(JEROMQ_PROVIDER).orElseThrow()));
        assertTrue(common.isExported(COMMON, layer.findModule(LIBZMQ_PROVIDER).orElseThrow()));
        assertFalse(common.isExported(COMMON, layer.findModule("io.shmq.transport.api").orElseThrow()));
        for (final String provider : List.of(JEROMQ_PROVIDER, LIBZMQ_PROVIDER)) {
            assertTrue(provider + " exports nothing", layer.findModule(provider).orElseThrow().getDescriptor()
                    .exports().isEmpty());
        }
    }

    @Test
    public void shouldFindBothProvidersAndMakeAJeromqSocketThroughTheSharedClasses() throws Exception {
        final ModuleLayer layer = layer();
        final ClassLoader loader = layer.findLoader("io.shmq.transport.api");
        final Class<?> transportType = loader.loadClass("io.shmq.transport.api.Transport");
        final List<String> providers = ServiceLoader.load(layer, transportType).stream()
                .map(p -> p.type().getName()).sorted().toList();
        assertEquals(List.of("io.shmq.transport.libzmq.internal.LibzmqTransport",
                "io.shmq.transport.zeromq.internal.ZmqTransport"), providers);

        final Class<?> configType = loader.loadClass("io.shmq.transport.api.FactoryConfig");
        final Class<?> factoryType = loader.loadClass("io.shmq.transport.api.TransportFactory");
        final Class<?> socketType = loader.loadClass("io.shmq.transport.api.Socket");
        final Class<?> socketKind = loader.loadClass("io.shmq.transport.api.SocketType");
        // The provider's package is not exported: only ServiceLoader may make the transport.
        final Object transport = ServiceLoader.load(layer, transportType).stream()
                .filter(p -> p.type().getName().endsWith(".ZmqTransport")).findFirst().orElseThrow().get();
        final Object config = configType.getMethod("of", String.class, String.class).invoke(null, "mp",
                "module-path");
        final Object factory = transportType.getMethod("createFactory", configType).invoke(transport, config);
        try {
            final Object push = factoryType.getMethod("createSocket", socketKind, String.class).invoke(factory,
                    socketKind.getField("PUSH").get(null), "push");
            // ZeromqSocketBase (common module) calls back into ZmqSocket (provider module) under CallLock.
            final Method setHighWaterMark = socketType.getMethod("setSendHighWaterMark", int.class);
            setHighWaterMark.invoke(push, 10);
            assertEquals(10, socketType.getMethod("sendHighWaterMark").invoke(push));
            assertEquals(List.of(), factoryType.getMethod("regionInfo").invoke(factory));
            socketType.getMethod("close").invoke(push);
        } finally {
            factoryType.getMethod("close").invoke(factory);
        }
    }
}
