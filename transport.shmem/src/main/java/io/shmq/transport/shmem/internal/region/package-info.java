/**
 * Unmanaged regions: the regions a factory created ({@code Regions}: creation and destruction under the session
 * lock, acknowledgement delivery), one region on its creator's side ({@code LocalRegion}), a region as mapped in a
 * process ({@code RegionView}), and region events ({@code RegionEvents}). Imports {@code os}, {@code ring} and
 * {@code session}.
 */
package io.shmq.transport.shmem.internal.region;
