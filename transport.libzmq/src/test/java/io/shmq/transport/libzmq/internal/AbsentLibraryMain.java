package io.shmq.transport.libzmq.internal;

import io.shmq.transport.api.FactoryConfig;
import io.shmq.transport.api.TransportException;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicInteger;
import org.osgi.service.component.ComponentContext;

/**
 * The child JVM of {@link LibzmqAbsentTest}, started with {@value LibZmq#LIBRARY_PROPERTY} naming a library that
 * does not exist: activates the probe twice (as two bundle starts would) with a component context that counts
 * {@code enableComponent} calls, then tries a factory. Prints {@code enabled=N} and the factory's error.
 */
public final class AbsentLibraryMain {
    private AbsentLibraryMain() {
    }

    /** @param args none */
    public static void main(final String[] args) {
        final AtomicInteger enabled = new AtomicInteger();
        final ComponentContext context = (ComponentContext) Proxy.newProxyInstance(
                AbsentLibraryMain.class.getClassLoader(), new Class<?>[] {ComponentContext.class},
                (proxy, method, arguments) -> {
                    if (method.getName().equals("enableComponent")) {
                        enabled.incrementAndGet();
                    }
                    return null;
                });
        new LibzmqProbe().activate(context);
        new LibzmqProbe().activate(context);
        System.out.println("enabled=" + enabled.get());
        try {
            new LibzmqTransport().createFactory(FactoryConfig.of("dev", "absent"));
            System.out.println("factory=created");
        } catch (final TransportException e) {
            System.out.println("factory=refused: " + e.getMessage());
        }
    }
}
