/**
 * Sessions: the management segment ({@code ManagementLayout}), one factory's membership and the session lock
 * ({@code Session}: create or join, device slots and heartbeats, segment and region tables, leave), and the monitor
 * that lists sessions and removes stale ones ({@code SessionMonitor}, also {@code ./shmq sessions}). Imports
 * {@code os} and {@code segment}.
 */
package io.shmq.transport.shmem.internal.session;
