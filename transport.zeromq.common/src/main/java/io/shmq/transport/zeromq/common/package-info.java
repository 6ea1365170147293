/**
 * What the two zeromq providers ({@code io.shmq.transport.zeromq} on JeroMQ, {@code io.shmq.transport.libzmq} on
 * libzmq) share, once: the lock around a socket's JeroMQ or libzmq calls
 * ({@link io.shmq.transport.zeromq.common.CallLock}).
 *
 * <p>Internal: exported only to the two provider modules (JPMS) and, in OSGi, marked {@code x-internal} with a
 * mandatory attribute ({@code shmq.internal=true}) that only the providers import with. Version 0.x: no
 * compatibility promise beyond the providers built with it.
 */
@Version("0.1.0")
package io.shmq.transport.zeromq.common;

import org.osgi.annotation.versioning.Version;
