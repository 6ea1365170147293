package io.shmq.sidechannel;

import io.shmq.transport.api.MetaHeader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * Collects a batch of MetaHeaders with their user values and encodes it as one Arrow IPC stream: the schema (with the
 * batch id and the producer id as custom metadata), one record batch, the end-of-stream marker. The bytes are what
 * one shmq message carries, over any transport. The vectors are reused from batch to batch; {@link #clear()} starts
 * the next one. Used by one thread at a time.
 */
public final class HeaderTableWriter implements AutoCloseable {
    private final HeaderTableSchema schema;
    private final String producer;
    private final BufferAllocator allocator = new RootAllocator();
    private final HeaderColumns columns;
    private final List<FieldVector> vectors;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 16);
    private int rows;

    /**
     * @param schema   the columns
     * @param producer the producer id, written into every table's metadata
     * @param capacity rows to allocate room for at first (the vectors grow beyond it)
     */
    public HeaderTableWriter(final HeaderTableSchema schema, final String producer, final int capacity) {
        this.schema = Objects.requireNonNull(schema, "schema");
        this.producer = Objects.requireNonNull(producer, "producer");
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive: capacity=" + capacity);
        }
        final List<Field> fields = schema.fields();
        vectors = new ArrayList<>(fields.size());
        for (final Field f : fields) {
            final FieldVector v = f.createVector(allocator);
            v.setInitialCapacity(capacity);
            v.allocateNew();
            vectors.add(v);
        }
        columns = HeaderColumns.of(vectors, schema.userColumns().size());
    }

    /** @return the columns */
    public HeaderTableSchema schema() {
        return schema;
    }

    /** @return the rows added since the last {@link #clear()} */
    public int rows() {
        return rows;
    }

    /**
     * Adds a row.
     *
     * @param meta       the header
     * @param userValues one value per user column, in the schema's order
     * @return the row index
     * @throws IllegalArgumentException when the number of user values does not match the schema
     */
    public int add(final MetaHeader meta, final long... userValues) {
        if (userValues.length != columns.user().length) {
            throw new IllegalArgumentException("user values do not match the schema: values=" + userValues.length
                    + ", userColumns=" + schema.userColumns());
        }
        final int row = add(meta);
        for (int i = 0; i < userValues.length; i++) {
            columns.user()[i].setSafe(row, userValues[i]);
        }
        return row;
    }

    /**
     * Adds a row whose user values are set with {@link #setUser}, or are 0.
     *
     * @param meta the header
     * @return the row index
     */
    public int add(final MetaHeader meta) {
        final int row = rows;
        columns.size().setSafe(row, meta.size());
        columns.hint().setSafe(row, meta.hint());
        columns.handle().setSafe(row, meta.handle());
        columns.shared().setSafe(row, meta.shared());
        columns.regionId().setSafe(row, meta.regionId());
        columns.segmentId().setSafe(row, meta.segmentId());
        columns.managed().setSafe(row, meta.managed() ? 1 : 0);
        for (final BigIntVector u : columns.user()) {
            u.setSafe(row, 0L);
        }
        rows = row + 1;
        return row;
    }

    /**
     * @param userColumn the user column's index ({@link HeaderTableSchema#userColumn})
     * @param row        a row added before
     * @param value      the value
     */
    public void setUser(final int userColumn, final int row, final long value) {
        Objects.checkIndex(row, rows);
        columns.user()[userColumn].setSafe(row, value);
    }

    /**
     * Encodes the rows added since the last {@link #clear()}.
     *
     * @param batchId the batch id, written into the table's metadata
     * @return the Arrow IPC stream
     */
    public byte[] encode(final long batchId) {
        for (final FieldVector v : vectors) {
            v.setValueCount(rows);
        }
        final VectorSchemaRoot root = new VectorSchemaRoot(schema.arrowSchema(batchId, producer), vectors, rows);
        out.reset();
        try (ArrowStreamWriter writer = new ArrowStreamWriter(root, null, Channels.newChannel(out))) {
            writer.start();
            writer.writeBatch();
            writer.end();
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot encode the table: batch=" + batchId + ", rows=" + rows, e);
        }
        return out.toByteArray();
    }

    /** Forgets the rows; the vectors keep their room. */
    public void clear() {
        rows = 0;
    }

    /** Frees the vectors. */
    @Override
    public void close() {
        vectors.forEach(FieldVector::close);
        allocator.close();
    }
}
