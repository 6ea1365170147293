/**
 * What the two zeromq providers ({@code io.shmq.transport.zeromq} on JeroMQ, {@code io.shmq.transport.libzmq} on
 * libzmq) share, once: the factory options ({@link ZeromqOptions}) and the component's factories
 * ({@link ZeromqFactories}), the local unmanaged regions and their events ({@link LocalRegions},
 * {@link LocalRegion}), the lock around a socket's JeroMQ or libzmq calls ({@link CallLock}), and the state every
 * zeromq factory, socket and poller keeps ({@link ZeromqFactoryBase}, {@link ZeromqSocketBase},
 * {@link ZeromqPollerBase}).
 *
 * <p>Not the per-message loops: each provider keeps its own send, receive and poll, which call only final methods
 * and fields here (statically bound, no extra object or indirection per message).
 *
 * <p>Internal: exported only to the two provider modules (JPMS) and, in OSGi, marked {@code x-internal} with a
 * mandatory attribute ({@code shmq.internal=true}) that only the providers import with. Version 0.x: no
 * compatibility promise beyond the providers built with it.
 */
@Version("0.1.0")
package io.shmq.transport.zeromq.common;

import org.osgi.annotation.versioning.Version;
