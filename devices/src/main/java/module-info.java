/**
 * FairMQ-style devices on the shmq transport API: named channels, FairMQ's states and hooks, rate logging, the
 * FairMQ channel syntax, the example devices (sampler, processor, sink) and the Gogo commands of scope {@code shmq}.
 * Exports the device API package only; the DS components live in a private package.
 */
module io.shmq.devices {
    requires transitive io.shmq.transport.api;
    requires static osgi.annotation;
    requires static org.osgi.service.component.annotations;
    requires static org.osgi.service.metatype.annotations;

    exports io.shmq.devices;
}
