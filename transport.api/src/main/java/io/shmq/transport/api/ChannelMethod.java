package io.shmq.transport.api;

/** Whether a channel's socket binds or connects. */
public enum ChannelMethod {
    /** The socket listens on the address. */
    BIND,
    /** The socket connects to the address. */
    CONNECT
}
