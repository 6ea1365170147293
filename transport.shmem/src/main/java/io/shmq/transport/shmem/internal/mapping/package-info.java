/**
 * The session-mappings layer: what one factory has mapped of its session ({@code SessionMappings}: segment and region
 * caches, attach, resolve, the receive path, allocation with the retry policy) and the messages that point into it
 * ({@code ShmemMessage}, with the intrusive list of open messages {@code OpenMessages}, a pair that references each
 * other), and the multipart descriptor ({@code MultipartLayout}), which a survivor reads to reclaim a unit a dead
 * receiver was taking. Messages live here, below the sockets, because a receive adopts a header into the caller's message.
 * Imports {@code os}, {@code segment}, {@code session} and {@code region}.
 */
package io.shmq.transport.shmem.internal.mapping;
