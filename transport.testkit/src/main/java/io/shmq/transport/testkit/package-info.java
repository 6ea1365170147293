/**
 * The provider contract suite: {@link io.shmq.transport.testkit.TransportContractTest} states through the API alone
 * what every transport must do (messages, sockets of every pattern, multipart, timeouts, interrupt, poller,
 * counters, ownership on send, errors on misuse). Each provider's tests subclass it and name the addresses to use.
 */
package io.shmq.transport.testkit;
