/**
 * shmq's benchmarks: JMH micro-benchmarks of the shared-memory core ({@link io.shmq.bench.MessageBenchmark}), two-JVM
 * runs that print a table ({@link io.shmq.bench.SocketRun}, {@link io.shmq.bench.SideChannelRun},
 * {@link io.shmq.bench.ArrowRun}) and {@link io.shmq.bench.CompareRun}, shmq against Aeron, JeroMQ and FairMQ in fresh
 * JVMs; {@link io.shmq.bench.BenchMain} is the entry point. A two-JVM run is written once: {@code Peer} names the
 * systems, {@code Stream} and {@code RoundTrips} measure, {@code TwoJvm} and {@code ChildJvm} start the other JVM.
 * Nothing here asserts a time.
 */
package io.shmq.bench;
