package io.shmq.bench;

import io.shmq.transport.api.DataAddressResolver;
import io.shmq.transport.api.Transport;
import io.shmq.transport.api.TransportKind;
import java.util.ServiceLoader;

/** Finds the providers on the class path through {@link ServiceLoader}, as a plain Java user does. */
final class Transports {
    private Transports() {
    }

    static Transport transport(final TransportKind kind) {
        return ServiceLoader.load(Transport.class).stream().map(ServiceLoader.Provider::get)
                .filter(t -> t.kind() == kind).findFirst()
                .orElseThrow(() -> new IllegalStateException("no Transport of kind " + kind + " on the class path"));
    }

    static DataAddressResolver resolver() {
        return ServiceLoader.load(DataAddressResolver.class).findFirst()
                .orElseThrow(() -> new IllegalStateException("no DataAddressResolver on the class path"));
    }
}
