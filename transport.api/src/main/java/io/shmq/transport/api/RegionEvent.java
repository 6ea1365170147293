package io.shmq.transport.api;

/** What happened to an unmanaged region, as reported to a {@link RegionEventListener}. */
public enum RegionEvent {
    /** The region was created (in this or another process of the session). */
    CREATED,
    /** The region was destroyed; headers that point into it no longer resolve. */
    DESTROYED,
    /** The region exists only in this process (the zeromq transport's plain off-heap regions). */
    LOCAL_ONLY
}
