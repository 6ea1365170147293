package io.shmq.bench;

/**
 * What one run of a case measured: messages (or round trips) per second over the whole run, cold start included
 * (from the first send attempt to the last receive, as FairMQ's sink measures), and over its steady part (the second
 * half of the messages, or what follows a warm-up).
 *
 * @param count  messages or round trips in the whole run
 * @param whole  rate over the whole run, per second
 * @param steady rate over the steady part, per second
 */
record Rates(long count, double whole, double steady) {
}
