package io.shmq.sidechannel;

import io.shmq.transport.api.MetaHeader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;

/**
 * One decoded header table, its schema checked: row by row the MetaHeader and the user values, read from the Arrow
 * vectors (no row objects are built beyond the {@link MetaHeader} that {@link #meta} returns). Valid until closed;
 * used by one thread at a time.
 */
public final class HeaderTable implements AutoCloseable {
    private final ArrowStreamReader reader;
    private final long batchId;
    private final String producer;
    private final int rows;
    private final long encodedBytes;
    private final HeaderColumns columns;

    HeaderTable(final ArrowStreamReader reader, final VectorSchemaRoot root, final int userColumns,
                final long encodedBytes) {
        this.reader = reader;
        this.batchId = Long.parseLong(root.getSchema().getCustomMetadata().get(HeaderTableSchema.BATCH_KEY));
        this.producer = root.getSchema().getCustomMetadata().getOrDefault(HeaderTableSchema.PRODUCER_KEY, "");
        this.rows = root.getRowCount();
        this.encodedBytes = encodedBytes;
        this.columns = HeaderColumns.of(root.getFieldVectors(), userColumns);
    }

    /** @return the batch id from the table's metadata */
    public long batchId() {
        return batchId;
    }

    /** @return the producer id from the table's metadata */
    public String producer() {
        return producer;
    }

    /** @return the number of rows */
    public int rows() {
        return rows;
    }

    /** @return the size of the encoded table (the shmq message) in bytes */
    public long encodedBytes() {
        return encodedBytes;
    }

    /**
     * @param row a row index
     * @return the row's header
     * @throws IllegalArgumentException when the row is not a valid MetaHeader (e.g. a size above 2^63 - 1)
     */
    public MetaHeader meta(final int row) {
        final HeaderColumns v = columns;
        return new MetaHeader(v.size().get(row), v.hint().get(row), v.handle().get(row), v.shared().get(row),
                v.regionId().get(row), v.segmentId().get(row), v.managed().get(row) != 0);
    }

    /**
     * @param userColumn the user column's index ({@link HeaderTableSchema#userColumn})
     * @param row        a row index
     * @return the value
     */
    public long user(final int userColumn, final int row) {
        return columns.user()[userColumn].get(row);
    }

    /** Frees the table's buffers. */
    @Override
    public void close() {
        try {
            reader.close();
        } catch (final java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot close the table: batch=" + batchId, e);
        }
    }
}
