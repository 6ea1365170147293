/**
 * The code the two zeromq providers share (options, local regions, the socket call lock, socket and poller state, the pool of small payloads):
 * the same logic once instead of a copy in each. Not an API: the package is exported only to the two provider
 * modules; in OSGi it is an internal bundle whose export is marked {@code x-internal} and carries a mandatory
 * attribute that only the providers import with.
 */
// The qualified exports name modules that are not on the module path when this one is compiled alone.
@SuppressWarnings("module")
module io.shmq.transport.zeromq.common {
    // Its public types name API types (Socket, UnmanagedRegion, FactoryConfig).
    requires transitive io.shmq.transport.api;
    requires static osgi.annotation;

    exports io.shmq.transport.zeromq.common to io.shmq.transport.zeromq, io.shmq.transport.libzmq;
}
