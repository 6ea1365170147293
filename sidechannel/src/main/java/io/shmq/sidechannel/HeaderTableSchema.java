package io.shmq.sidechannel;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The columns of a header table: first the seven {@link io.shmq.transport.api.MetaHeader} fields, all not null,
 * then the user's columns (int64, not null) in the order given.
 *
 * <pre>
 *   index  column      Arrow type       MetaHeader field
 *   0      size        uint64           size
 *   1      hint        uint64           hint
 *   2      handle      int64            handle
 *   3      shared      int64            shared
 *   4      region_id   uint16           regionId
 *   5      segment_id  uint16           segmentId
 *   6      managed     bool             managed
 *   7..    user        int64            (e.g. key, checksum)
 * </pre>
 *
 * The batch id travels in the schema's custom metadata under {@value #BATCH_KEY} (decimal), the producer's id under
 * {@value #PRODUCER_KEY}; they are not part of the check.
 *
 * @param userColumns the names of the user columns
 */
public record HeaderTableSchema(List<String> userColumns) {
    /** Custom metadata key of the batch id. */
    public static final String BATCH_KEY = "shmq.batch";
    /** Custom metadata key of the producer id. */
    public static final String PRODUCER_KEY = "shmq.producer";
    /** The MetaHeader columns, in order. */
    public static final List<String> HEADER_COLUMNS = List.of("size", "hint", "handle", "shared", "region_id",
            "segment_id", "managed");
    /** Index of the first user column. */
    public static final int FIRST_USER_COLUMN = 7;

    private static final List<ArrowType> HEADER_TYPES = List.of(new ArrowType.Int(64, false),
            new ArrowType.Int(64, false), new ArrowType.Int(64, true), new ArrowType.Int(64, true),
            new ArrowType.Int(16, false), new ArrowType.Int(16, false), ArrowType.Bool.INSTANCE);
    private static final ArrowType USER_TYPE = new ArrowType.Int(64, true);

    /** Validates the names: not empty, unique, none of the header columns. */
    public HeaderTableSchema {
        userColumns = List.copyOf(userColumns);
        final Set<String> seen = new HashSet<>(HEADER_COLUMNS);
        for (final String name : userColumns) {
            if (name.isBlank()) {
                throw new IllegalArgumentException("blank user column name: userColumns=" + userColumns);
            }
            if (!seen.add(name)) {
                throw new IllegalArgumentException("user column name taken: column=" + name + ", taken="
                        + seen);
            }
        }
    }

    /**
     * @param userColumns the names of the user columns
     * @return the schema
     */
    public static HeaderTableSchema of(final String... userColumns) {
        return new HeaderTableSchema(List.of(userColumns));
    }

    /** @return the number of columns, header columns included */
    public int columnCount() {
        return FIRST_USER_COLUMN + userColumns.size();
    }

    /**
     * @param name a user column name
     * @return its index among the user columns (0 for the first user column)
     * @throws IllegalArgumentException when there is no such user column, naming it
     */
    public int userColumn(final String name) {
        final int i = userColumns.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("no such user column: column=" + name + ", userColumns="
                    + userColumns);
        }
        return i;
    }

    /** @return the Arrow fields, in order */
    List<Field> fields() {
        final List<Field> fields = new ArrayList<>(columnCount());
        for (int i = 0; i < HEADER_COLUMNS.size(); i++) {
            fields.add(new Field(HEADER_COLUMNS.get(i), FieldType.notNullable(HEADER_TYPES.get(i)), null));
        }
        for (final String name : userColumns) {
            fields.add(new Field(name, FieldType.notNullable(USER_TYPE), null));
        }
        return fields;
    }

    /**
     * @param batchId  the batch id
     * @param producer the producer id
     * @return the Arrow schema with the batch metadata
     */
    Schema arrowSchema(final long batchId, final String producer) {
        return new Schema(fields(), Map.of(BATCH_KEY, Long.toString(batchId), PRODUCER_KEY, producer));
    }

    /**
     * Checks a table's schema against this one, column by column.
     *
     * @param found the schema read from the stream
     * @throws HeaderTableException for the first column that differs in name, type or nullability, or a missing or
     *                              extra column, naming it
     */
    void check(final Schema found) {
        final List<Field> expected = fields();
        final List<Field> actual = found.getFields();
        final int n = Math.min(expected.size(), actual.size());
        for (int i = 0; i < n; i++) {
            final Field e = expected.get(i);
            final Field a = actual.get(i);
            if (!e.getName().equals(a.getName()) || !e.getType().equals(a.getType())
                    || e.isNullable() != a.isNullable() || !a.getChildren().isEmpty()) {
                throw new HeaderTableException("column mismatch: column=" + e.getName() + ", index=" + i
                        + ", expected=" + describe(e) + ", found=" + describe(a));
            }
        }
        if (actual.size() < expected.size()) {
            throw new HeaderTableException("missing column: column=" + expected.get(n).getName() + ", index=" + n
                    + ", expected=" + describe(expected.get(n)) + ", found=none (table has columns=" + names(actual)
                    + ")");
        }
        if (actual.size() > expected.size()) {
            throw new HeaderTableException("extra column: column=" + actual.get(n).getName() + ", index=" + n
                    + ", expected=none (schema has columns=" + names(expected) + "), found="
                    + describe(actual.get(n)));
        }
        final String batch = found.getCustomMetadata().get(BATCH_KEY);
        if (batch == null) {
            throw new HeaderTableException("missing metadata: key=" + BATCH_KEY + ", found="
                    + found.getCustomMetadata().keySet());
        }
        try {
            Long.parseLong(batch);
        } catch (final NumberFormatException e) {
            throw new HeaderTableException("bad metadata: key=" + BATCH_KEY + ", value=" + batch, e);
        }
    }

    private static List<String> names(final List<Field> fields) {
        return fields.stream().map(Field::getName).toList();
    }

    /** @return e.g. {@code uint64 not null}, {@code utf8 nullable} */
    static String describe(final Field field) {
        final String type = switch (field.getType()) {
            case ArrowType.Int i -> (i.getIsSigned() ? "int" : "uint") + i.getBitWidth();
            case ArrowType.Bool b -> "bool";
            case ArrowType t -> t.toString().toLowerCase(java.util.Locale.ROOT);
        };
        return type + (field.isNullable() ? " nullable" : " not null")
                + (field.getChildren().isEmpty() ? "" : " with children=" + names(field.getChildren()));
    }
}
