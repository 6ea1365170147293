/**
 * The side channel on Apache Arrow: MetaHeaders of payloads that a cache device keeps alive travel as Arrow tables
 * over any shmq channel, and consumer devices resolve every row in place through the
 * {@link io.shmq.transport.api.DataAddressResolver}. Exports the table codec package only; Arrow stays inside.
 * Arrow's memory module needs {@code --add-opens=java.base/java.nio=org.apache.arrow.memory.core} on the module
 * path ({@code --add-opens=java.base/java.nio=ALL-UNNAMED} on the class path and in OSGi).
 */
module io.shmq.sidechannel {
    requires transitive io.shmq.transport.api;
    requires io.shmq.devices;
    requires org.apache.arrow.vector;
    requires org.apache.arrow.memory.core;
    // Arrow's allocator looks for its allocation manager reflectively: without this the module is not resolved.
    requires org.apache.arrow.memory.unsafe;
    requires static osgi.annotation;
    requires static org.osgi.service.component.annotations;
    requires static org.osgi.service.metatype.annotations;
    requires static osgi.core;
    requires static org.osgi.service.cm;

    exports io.shmq.sidechannel;

    uses io.shmq.transport.api.Transport;
    uses io.shmq.transport.api.DataAddressResolver;
}
