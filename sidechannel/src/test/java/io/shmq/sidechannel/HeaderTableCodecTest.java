package io.shmq.sidechannel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.shmq.transport.api.MetaHeader;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The table codec: round trips, and every way a table can miss the schema is named. */
class HeaderTableCodecTest {
    private static final HeaderTableSchema SCHEMA = HeaderTableSchema.of("key", "checksum");

    @Test
    void shouldRoundTripHeadersAndUserColumnsWithTheBatchMetadata() {
        final List<MetaHeader> headers = List.of(MetaHeader.managed(64, 4096, 0),
                new MetaHeader(Long.MAX_VALUE, -1L, Long.MAX_VALUE, MetaHeader.NOT_SHARED, 0, MetaHeader.MAX_ID, true),
                MetaHeader.region(1 << 20, 123, MetaHeader.MAX_ID, 0xFFFF_FFFF_FFFFL),
                MetaHeader.managed(0, 0, 0));
        try (HeaderTableWriter writer = new HeaderTableWriter(SCHEMA, "cache-1", 2);
             HeaderTableReader reader = new HeaderTableReader(SCHEMA)) {
            for (int round = 0; round < 3; round++) {
                writer.clear();
                for (int i = 0; i < headers.size(); i++) {
                    writer.add(headers.get(i), 1000L * round + i, -i - round);
                }
                final byte[] bytes = writer.encode(77 + round);
                try (HeaderTable table = reader.read(MemorySegment.ofArray(bytes))) {
                    assertEquals(77 + round, table.batchId());
                    assertEquals("cache-1", table.producer());
                    assertEquals(headers.size(), table.rows());
                    assertEquals(bytes.length, table.encodedBytes());
                    for (int i = 0; i < headers.size(); i++) {
                        assertEquals(headers.get(i), table.meta(i));
                        assertEquals(1000L * round + i, table.user(SCHEMA.userColumn("key"), i));
                        assertEquals(-i - round, table.user(SCHEMA.userColumn("checksum"), i));
                    }
                }
            }
        }
    }

    @Test
    void shouldRoundTripAnEmptyBatchAndManyRows() {
        try (HeaderTableWriter writer = new HeaderTableWriter(SCHEMA, "p", 16);
             HeaderTableReader reader = new HeaderTableReader(SCHEMA)) {
            try (HeaderTable table = reader.read(MemorySegment.ofArray(writer.encode(1)))) {
                assertEquals(0, table.rows());
            }
            for (int i = 0; i < 10_000; i++) {
                writer.add(MetaHeader.managed(i, 16L * i, 0), i, i * 31L);
            }
            try (HeaderTable table = reader.read(MemorySegment.ofArray(writer.encode(2)))) {
                assertEquals(10_000, table.rows());
                assertEquals(MetaHeader.managed(9_999, 16L * 9_999, 0), table.meta(9_999));
                assertEquals(9_999 * 31L, table.user(1, 9_999));
            }
        }
    }

    @Test
    void shouldRejectUserValuesThatDoNotMatchTheSchemaAndUnknownUserColumns() {
        try (HeaderTableWriter writer = new HeaderTableWriter(SCHEMA, "p", 1)) {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> writer.add(MetaHeader.managed(1, 0, 0), 1L));
            assertTrue(e.getMessage().contains("values=1"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> SCHEMA.userColumn("colour"));
        assertThrows(IllegalArgumentException.class, () -> HeaderTableSchema.of("size"));
        assertThrows(IllegalArgumentException.class, () -> HeaderTableSchema.of("key", "key"));
    }

    /** Each column of the expected schema in turn gets a wrong type, a wrong name and nullability. */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7, 8})
    void shouldNameTheColumnThatHasTheWrongTypeNameOrNullability(final int column) {
        final List<Field> good = SCHEMA.fields();
        final String name = good.get(column).getName();
        final ArrowType wrongType = good.get(column).getType() instanceof ArrowType.Bool
                ? new ArrowType.Int(8, true) : new ArrowType.Utf8();
        assertMismatch(replace(good, column, new Field(name, FieldType.notNullable(wrongType), null)),
                "column mismatch: column=" + name + ", index=" + column + ", expected="
                        + HeaderTableSchema.describe(good.get(column)) + ", found=");
        assertMismatch(replace(good, column, new Field(name + "_x", good.get(column).getFieldType(), null)),
                "column mismatch: column=" + name + ", index=" + column);
        assertMismatch(replace(good, column, new Field(name, FieldType.nullable(good.get(column).getType()), null)),
                " nullable");
    }

    @Test
    void shouldNameAMissingAndAnExtraColumn() {
        final List<Field> good = SCHEMA.fields();
        assertMismatch(good.subList(0, 8), "missing column: column=checksum, index=8, expected=int64 not null");
        final List<Field> more = new ArrayList<>(good);
        more.add(new Field("colour", FieldType.notNullable(new ArrowType.Int(64, true)), null));
        assertMismatch(more, "extra column: column=colour, index=9");
        assertMismatch(good.subList(0, 7), "missing column: column=key, index=7");
    }

    @Test
    void shouldRejectMissingBatchMetadataBytesThatAreNoStreamAndAStreamWithoutABatch() {
        try (HeaderTableReader reader = new HeaderTableReader(SCHEMA)) {
            final HeaderTableException noMeta = assertThrows(HeaderTableException.class,
                    () -> reader.read(MemorySegment.ofArray(stream(new Schema(SCHEMA.fields()), true))));
            assertTrue(noMeta.getMessage().startsWith("missing metadata: key=shmq.batch"), noMeta.getMessage());
            final HeaderTableException garbage = assertThrows(HeaderTableException.class,
                    () -> reader.read(MemorySegment.ofArray(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9})));
            assertTrue(garbage.getMessage().startsWith("not an Arrow IPC stream: bytes=9"), garbage.getMessage());
            final HeaderTableException noBatch = assertThrows(HeaderTableException.class,
                    () -> reader.read(MemorySegment.ofArray(stream(SCHEMA.arrowSchema(5, "p"), false))));
            assertTrue(noBatch.getMessage().startsWith("table has no record batch"), noBatch.getMessage());
        }
    }

    @Test
    void shouldRefuseARowWhoseSizeIsAboveTheLargestMetaHeaderSizeWhenTheRowIsRead() throws Exception {
        final byte[] bytes = oneRow(true);
        try (HeaderTableReader reader = new HeaderTableReader(SCHEMA);
             HeaderTable table = reader.read(MemorySegment.ofArray(bytes))) {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> table.meta(0));
            assertTrue(e.getMessage().contains("size=-1"), e.getMessage());
            assertEquals(0, table.user(0, 0));
        }
    }

    @Test
    void shouldRefuseATableWithNullsInItsNotNullColumnsNamingTheColumn() throws Exception {
        final byte[] bytes = oneRow(false);
        try (HeaderTableReader reader = new HeaderTableReader(SCHEMA)) {
            final HeaderTableException e = assertThrows(HeaderTableException.class,
                    () -> reader.read(MemorySegment.ofArray(bytes)));
            assertEquals("null values in a not-null column: column=hint, nulls=1, rows=1", e.getMessage());
        }
    }

    /** @return one row whose size is 2^64 - 1; every other value 0, or null when {@code filled} is false */
    private static byte[] oneRow(final boolean filled) throws Exception {
        final Schema schema = SCHEMA.arrowSchema(3, "p");
        try (BufferAllocator allocator = new RootAllocator();
             VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
            root.allocateNew();
            ((org.apache.arrow.vector.UInt8Vector) root.getVector("size")).set(0, -1L);
            for (final FieldVector v : root.getFieldVectors()) {
                if (filled && v instanceof org.apache.arrow.vector.BaseFixedWidthVector f && f.isNull(0)) {
                    org.apache.arrow.vector.BitVectorHelper.setBit(f.getValidityBuffer(), 0);
                }
                v.setValueCount(1);
            }
            root.setRowCount(1);
            final ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (ArrowStreamWriter writer = new ArrowStreamWriter(root, null, Channels.newChannel(out))) {
                writer.start();
                writer.writeBatch();
                writer.end();
            }
            return out.toByteArray();
        }
    }

    private static List<Field> replace(final List<Field> fields, final int index, final Field field) {
        final List<Field> copy = new ArrayList<>(fields);
        copy.set(index, field);
        return copy;
    }

    private static void assertMismatch(final List<Field> fields, final String expectedMessagePart) {
        final byte[] bytes = stream(new Schema(fields, Map.of(HeaderTableSchema.BATCH_KEY, "9")), true);
        try (HeaderTableReader reader = new HeaderTableReader(SCHEMA)) {
            final HeaderTableException e = assertThrows(HeaderTableException.class,
                    () -> reader.read(MemorySegment.ofArray(bytes)));
            assertTrue(e.getMessage().contains(expectedMessagePart), e.getMessage() + " lacks " + expectedMessagePart);
        }
    }

    /** @return an IPC stream of the schema with one row of zeros (or no batch) */
    static byte[] stream(final Schema schema, final boolean withBatch) {
        final Function<BufferAllocator, byte[]> write = allocator -> {
            try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
                root.allocateNew();
                for (final FieldVector v : root.getFieldVectors()) {
                    v.setValueCount(1);
                }
                root.setRowCount(1);
                final ByteArrayOutputStream out = new ByteArrayOutputStream();
                try (ArrowStreamWriter writer = new ArrowStreamWriter(root, null, Channels.newChannel(out))) {
                    writer.start();
                    if (withBatch) {
                        writer.writeBatch();
                    }
                    writer.end();
                }
                return out.toByteArray();
            } catch (final java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        try (BufferAllocator allocator = new RootAllocator()) {
            return write.apply(allocator);
        }
    }
}
