/**
 * Private: the product component of the runtime bundle. {@link io.shmq.runtime.internal.Product} reads the options
 * the launcher put into the framework properties, creates the device configurations, prints the header, watches the
 * run and prints the summary.
 */
package io.shmq.runtime.internal;
