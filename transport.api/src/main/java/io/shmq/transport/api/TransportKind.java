package io.shmq.transport.api;

/** The kinds of transport. {@link #configName()} is the name used in configuration and service properties. */
public enum TransportKind {
    /** Zero-copy shared memory on the FFM API: only the 40-byte {@link MetaHeader} moves. */
    SHMEM("shmem"),
    /** ZeroMQ (JeroMQ): copies payloads, reaches other machines and any ZeroMQ peer. */
    ZEROMQ("zeromq");

    private final String configName;

    TransportKind(final String configName) {
        this.configName = configName;
    }

    /** @return the name used in configuration and in the {@value Transport#KIND_PROPERTY} service property */
    public String configName() {
        return configName;
    }

    /**
     * @param name a configuration name, case-insensitive: {@code shmem} or {@code zeromq}
     * @return the kind with that name
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static TransportKind fromConfigName(final String name) {
        return ConfigNames.lookup("transport kind", values(), TransportKind::configName, name);
    }

    @Override
    public String toString() {
        return configName;
    }
}
