package io.shmq.transport.libzmq.internal;

import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * Enables the {@link LibzmqTransport} component when {@code libzmq.so.5} links, and otherwise logs one WARNING and
 * leaves it disabled: an immediate component that offers no service, activated once per bundle start. This keeps a
 * machine without libzmq free of a service that cannot work and of activation errors repeated on every lookup; the
 * JeroMQ provider then serves kind zeromq alone.
 */
@Component(immediate = true, service = {})
public final class LibzmqProbe {
    /** For DS. */
    public LibzmqProbe() {
    }

    /** DS: checks the library, enables the transport when it is there. */
    @Activate
    void activate(final ComponentContext context) {
        if (LibZmq.warnIfUnavailable()) {
            System.getLogger(LibzmqProbe.class.getName()).log(System.Logger.Level.INFO, "shmq zeromq provider on "
                    + "libzmq " + LibZmq.version() + " (" + LibZmq.library() + "): registering transport.kind=zeromq, "
                    + LibzmqTransport.IMPLEMENTATION_PROPERTY + "=libzmq, service.ranking=" + LibzmqTransport.RANKING);
            context.enableComponent(LibzmqTransport.COMPONENT_NAME);
        }
    }
}
