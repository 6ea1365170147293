package io.shmq.sidechannel;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamReader;

/**
 * Decodes header tables: one Arrow IPC stream per shmq message, read straight from the message's memory. Checks the
 * schema against the expected one before it loads the batch. Owns an Arrow allocator; close it after the tables it
 * read. Used by one thread at a time.
 */
public final class HeaderTableReader implements AutoCloseable {
    private final HeaderTableSchema schema;
    private final BufferAllocator allocator = new RootAllocator();

    /** @param schema the columns every table must have */
    public HeaderTableReader(final HeaderTableSchema schema) {
        this.schema = Objects.requireNonNull(schema, "schema");
    }

    /** @return the expected columns */
    public HeaderTableSchema schema() {
        return schema;
    }

    /**
     * @param bytes an encoded table, e.g. a message's {@code data()}
     * @return the table; close it when done
     * @throws HeaderTableException when the bytes are not an Arrow stream of exactly the expected columns with a
     *                              record batch without nulls, naming the column, what was expected and what was
     *                              found
     */
    public HeaderTable read(final MemorySegment bytes) {
        final ArrowStreamReader reader = new ArrowStreamReader(new SegmentChannel(bytes), allocator);
        try {
            final VectorSchemaRoot root;
            try {
                root = reader.getVectorSchemaRoot();
            } catch (final IOException | RuntimeException e) {
                throw new HeaderTableException("not an Arrow IPC stream: bytes=" + bytes.byteSize() + " (" + e
                        + ")", e);
            }
            schema.check(root.getSchema());
            final boolean loaded;
            try {
                loaded = reader.loadNextBatch();
            } catch (final IOException | RuntimeException e) {
                throw new HeaderTableException("cannot read the record batch: bytes=" + bytes.byteSize() + " (" + e
                        + ")", e);
            }
            if (!loaded) {
                throw new HeaderTableException("table has no record batch: bytes=" + bytes.byteSize());
            }
            // The schema says not null, but a writer need not honour it: a null would fail every get of its row.
            for (final FieldVector v : root.getFieldVectors()) {
                if (v.getNullCount() > 0) {
                    throw new HeaderTableException("null values in a not-null column: column=" + v.getName()
                            + ", nulls=" + v.getNullCount() + ", rows=" + root.getRowCount());
                }
            }
            return new HeaderTable(reader, root, schema.userColumns().size(), bytes.byteSize());
        } catch (final RuntimeException e) {
            closeQuietly(reader, e);
            throw e;
        }
    }

    private static void closeQuietly(final ArrowStreamReader reader, final RuntimeException failure) {
        try {
            reader.close();
        } catch (final IOException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /** Frees the allocator; every table read must be closed before. */
    @Override
    public void close() {
        allocator.close();
    }

    /** A channel over a memory segment: the stream is read where the message holds it, without a byte[] first. */
    private static final class SegmentChannel implements ReadableByteChannel {
        private final MemorySegment source;
        private long position;
        private boolean open = true;

        SegmentChannel(final MemorySegment source) {
            this.source = source;
        }

        @Override
        public int read(final ByteBuffer dst) {
            final long left = source.byteSize() - position;
            if (left <= 0) {
                return -1;
            }
            final int n = (int) Math.min(left, dst.remaining());
            MemorySegment.ofBuffer(dst).copyFrom(source.asSlice(position, n));
            dst.position(dst.position() + n);
            position += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }
}
