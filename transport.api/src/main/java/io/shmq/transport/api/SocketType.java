package io.shmq.transport.api;

/** The socket patterns, as in FairMQ and ZeroMQ. {@link #configName()} is the name used in channel configuration. */
public enum SocketType {
    /** Sends to connected pull sockets, round robin. */
    PUSH("push"),
    /** Receives from push sockets, fair-queued. */
    PULL("pull"),
    /** Publishes every message to every subscriber; the shared-memory transport shares one payload among them. */
    PUB("pub"),
    /** Receives every message published by the pub sockets it is connected to. */
    SUB("sub"),
    /** Sends a request, then must receive the reply before the next request. */
    REQ("req"),
    /** Receives a request, then must send the reply. */
    REP("rep"),
    /** Exclusive two-way connection to one peer. */
    PAIR("pair");

    private final String configName;

    SocketType(final String configName) {
        this.configName = configName;
    }

    /** @return the lower-case name used in configuration */
    public String configName() {
        return configName;
    }

    /**
     * @param name a configuration name, case-insensitive
     * @return the type with that name
     * @throws IllegalArgumentException for an unknown name, listing the known ones
     */
    public static SocketType fromConfigName(final String name) {
        return ConfigNames.lookup("socket type", values(), SocketType::configName, name);
    }

    @Override
    public String toString() {
        return configName;
    }
}
