package io.shmq.sidechannel;

import java.util.List;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.UInt2Vector;
import org.apache.arrow.vector.UInt8Vector;

/**
 * The typed vectors of a header table, in {@link HeaderTableSchema}'s order; shared by the writer and the table.
 *
 * @param size      column 0
 * @param hint      column 1
 * @param handle    column 2
 * @param shared    column 3
 * @param regionId  column 4
 * @param segmentId column 5
 * @param managed   column 6
 * @param user      columns 7 and on
 */
record HeaderColumns(UInt8Vector size, UInt8Vector hint, BigIntVector handle, BigIntVector shared,
                     UInt2Vector regionId, UInt2Vector segmentId, BitVector managed, BigIntVector[] user) {
    /**
     * @param vectors     the vectors of a schema already checked (or made) by {@link HeaderTableSchema}
     * @param userColumns the number of user columns
     * @return the typed view
     */
    static HeaderColumns of(final List<? extends FieldVector> vectors, final int userColumns) {
        final BigIntVector[] user = new BigIntVector[userColumns];
        for (int i = 0; i < userColumns; i++) {
            user[i] = (BigIntVector) vectors.get(HeaderTableSchema.FIRST_USER_COLUMN + i);
        }
        return new HeaderColumns((UInt8Vector) vectors.get(0), (UInt8Vector) vectors.get(1),
                (BigIntVector) vectors.get(2), (BigIntVector) vectors.get(3), (UInt2Vector) vectors.get(4),
                (UInt2Vector) vectors.get(5), (BitVector) vectors.get(6), user);
    }
}
