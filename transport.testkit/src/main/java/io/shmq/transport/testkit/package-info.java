/**
 * The provider contract suite: {@link io.shmq.transport.testkit.TransportContractTest} states through the API alone
 * what every transport must do (messages, sockets of every pattern, multipart, timeouts, interrupt, poller,
 * counters, ownership on send, errors on misuse). Each provider's tests subclass it and name the addresses to use.
 *
 * <p>Helpers the zeromq providers' tests share: a checkable message stream
 * ({@link io.shmq.transport.testkit.StreamSpec}), free test addresses
 * ({@link io.shmq.transport.testkit.TestAddresses}), and the two-JVM stream test ({@link io.shmq.transport.testkit.TwoJvmStream} in this JVM,
 * {@link io.shmq.transport.testkit.StreamSender} in the child).
 */
package io.shmq.transport.testkit;
