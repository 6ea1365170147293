/**
 * The ground floor: what the provider needs from the operating system, and nothing of shmq's own structures. Session
 * files and their names ({@code ShmFiles}), the header protocol every shared file starts with
 * ({@code FileHeaderLayout}: magic, version written last as the ready flag, one check that tells "not ready" from
 * "incompatible"), process identity (pid + start time), the robust lock, the libc downcalls ({@code Native}:
 * fallocate, mlock, getuid, futex), the one idle strategy of every wait loop and the timeout of a blocking call
 * ({@code Deadline}, its clock started at the first wait). Imports nothing of the provider.
 */
package io.shmq.transport.shmem.internal.os;
