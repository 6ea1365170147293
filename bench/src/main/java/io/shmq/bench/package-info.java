/**
 * shmq's benchmarks: JMH micro-benchmarks of the shared-memory core ({@link io.shmq.bench.MessageBenchmark}) and
 * the entry point {@link io.shmq.bench.BenchMain} that runs them and prints a table. Nothing here asserts a time.
 */
package io.shmq.bench;
