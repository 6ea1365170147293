/**
 * The side channel's table codec: a batch of {@link io.shmq.transport.api.MetaHeader}s with user columns as one
 * Apache Arrow record batch, carried as one Arrow IPC stream (schema, one batch, end) in one shmq message.
 *
 * <p>{@link io.shmq.sidechannel.HeaderTableSchema} names the columns (the seven MetaHeader fields, then the user's
 * int64 columns), {@link io.shmq.sidechannel.HeaderTableWriter} encodes a batch,
 * {@link io.shmq.sidechannel.HeaderTableReader} decodes one into a {@link io.shmq.sidechannel.HeaderTable} after
 * checking its schema; a table that does not match throws {@link io.shmq.sidechannel.HeaderTableException} naming
 * the column, what was expected and what was found. Arrow types do not appear in this API, so Arrow stays private
 * to the bundle.
 */
@Export
@Version("1.0.0")
package io.shmq.sidechannel;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
