package io.shmq.transport.shmem.internal.session;

import io.shmq.transport.shmem.internal.os.FileHeaderLayout;
import io.shmq.transport.shmem.internal.os.ShmFiles;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * The management segment of a session ({@code shmq_<shmId>_mng}): header, session lock, counters, device
 * heartbeat slots, segment table and region table. Native byte order.
 *
 * <pre>
 *  0       +--------------------------------------------------------------+
 *          | magic u64 | version u32 (FileHeaderLayout) | removed u32          |
 *          | creatorPid u64 | segmentSize u64 | creatorToken u64            |
 *  40      | nameDigest u8[32] (SHA-256 of uid + session name)           |
 *  72      | padding to 128                                               |
 *  128     | lock u64 (robust lock word, see RobustLock) | padding to 256  |
 *  256     | eventCounter u64 | deviceCounter u64 | regionIdCounter u64    |
 *  280     | eventBell u32 (futex: +1 per event) | eventSleepers u32 (armed) |
 *  288     | holderCounter u32 (the last holder id handed out)            |
 *          | padding to 384                                               |
 *  384     | devices[64]  { pid u64, token u64, lastBeat u64,             |
 *          |                holder u32 (this join's holder id), pad u32 } |  32 B each
 *  2432    | segments[16] { state u32, id u32, size u64 }                 |  16 B each
 *  2688    | regions[256] { state u32, id u32, size u64, userFlags u64,   |
 *          |               creatorPid u64, instance u64, pathLength u32,  |
 *          |               pad u32, path u8[256] }                        | 304 B each
 *          +--------------------------------------------------------------+
 * </pre>
 * A slot {@code state} is {@link #FREE}, {@link #ACTIVE} or {@link #DESTROYED}. Every table mutation happens under
 * the session lock; readers outside the lock acquire-load {@code state} and {@code instance}.
 */
public final class ManagementLayout {
    /** "SHMQMNG1" as a little-endian long. */
    public static final long MAGIC = 0x31474E4D514D4853L;
    /** Major version; attaching refuses another one. */
    public static final int VERSION = 4;
    public static final int MAX_DEVICES = 64;
    static final int MAX_SEGMENTS = 16;
    static final int MAX_REGIONS = 256;
    static final int MAX_PATH = 256;

    static final int FREE = 0;
    static final int ACTIVE = 1;
    static final int DESTROYED = 2;

    public static final StructLayout DEVICE = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("pid"),
            ValueLayout.JAVA_LONG.withName("token"),
            ValueLayout.JAVA_LONG.withName("lastBeat"),
            ValueLayout.JAVA_INT.withName("holder"),
            MemoryLayout.paddingLayout(4));

    public static final StructLayout SEGMENT = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("state"),
            ValueLayout.JAVA_INT.withName("id"),
            ValueLayout.JAVA_LONG.withName("size"));

    public static final StructLayout REGION = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("state"),
            ValueLayout.JAVA_INT.withName("id"),
            ValueLayout.JAVA_LONG.withName("size"),
            ValueLayout.JAVA_LONG.withName("userFlags"),
            ValueLayout.JAVA_LONG.withName("creatorPid"),
            ValueLayout.JAVA_LONG.withName("instance"),
            ValueLayout.JAVA_INT.withName("pathLength"),
            MemoryLayout.paddingLayout(4),
            MemoryLayout.sequenceLayout(MAX_PATH, ValueLayout.JAVA_BYTE).withName("path"));

    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            FileHeaderLayout.MAGIC,
            FileHeaderLayout.VERSION,
            ValueLayout.JAVA_INT.withName("removed"),
            ValueLayout.JAVA_LONG.withName("creatorPid"),
            ValueLayout.JAVA_LONG.withName("segmentSize"),
            ValueLayout.JAVA_LONG.withName("creatorToken"),
            MemoryLayout.sequenceLayout(ShmFiles.DIGEST_BYTES, ValueLayout.JAVA_BYTE).withName("nameDigest"),
            MemoryLayout.paddingLayout(56),
            ValueLayout.JAVA_LONG.withName("lock"),
            MemoryLayout.paddingLayout(120),
            ValueLayout.JAVA_LONG.withName("eventCounter"),
            ValueLayout.JAVA_LONG.withName("deviceCounter"),
            ValueLayout.JAVA_LONG.withName("regionIdCounter"),
            ValueLayout.JAVA_INT.withName("eventBell"),
            ValueLayout.JAVA_INT.withName("eventSleepers"),
            ValueLayout.JAVA_INT.withName("holderCounter"),
            MemoryLayout.paddingLayout(92),
            MemoryLayout.sequenceLayout(MAX_DEVICES, DEVICE).withName("devices"),
            MemoryLayout.sequenceLayout(MAX_SEGMENTS, SEGMENT).withName("segments"),
            MemoryLayout.sequenceLayout(MAX_REGIONS, REGION).withName("regions"));

    public static final long BYTES = LAYOUT.byteSize();
    public static final long DEVICES_OFFSET = LAYOUT.byteOffset(groupElement("devices"));
    static final long SEGMENTS_OFFSET = LAYOUT.byteOffset(groupElement("segments"));
    static final long REGIONS_OFFSET = LAYOUT.byteOffset(groupElement("regions"));
    static final long REGION_PATH_OFFSET = REGION.byteOffset(groupElement("path"));
    static final long NAME_DIGEST_OFFSET = LAYOUT.byteOffset(groupElement("nameDigest"));

    /** The session lock's robust lock word: (segment, 0). */
    static final VarHandle LOCK_H = field("lock");
    static final VarHandle REMOVED_H = field("removed");
    public static final VarHandle CREATOR_PID_H = field("creatorPid");
    static final VarHandle SEGMENT_SIZE_H = field("segmentSize");
    public static final VarHandle CREATOR_TOKEN_H = field("creatorToken");
    static final VarHandle EVENT_COUNTER_H = field("eventCounter");
    static final VarHandle DEVICE_COUNTER_H = field("deviceCounter");
    static final VarHandle REGION_ID_COUNTER_H = field("regionIdCounter");
    static final VarHandle HOLDER_COUNTER_H = field("holderCounter");
    static final long EVENT_BELL_OFFSET = LAYOUT.byteOffset(groupElement("eventBell"));
    static final long EVENT_SLEEPERS_OFFSET = LAYOUT.byteOffset(groupElement("eventSleepers"));
    static final long LOCK_OFFSET = LAYOUT.byteOffset(groupElement("lock"));

    /** Element handles take (segment, baseOffset, index); pass the table's offset as base. */
    public static final VarHandle DEVICE_PID_H = DEVICE.arrayElementVarHandle(groupElement("pid"));
    static final VarHandle DEVICE_TOKEN_H = DEVICE.arrayElementVarHandle(groupElement("token"));
    public static final VarHandle DEVICE_BEAT_H = DEVICE.arrayElementVarHandle(groupElement("lastBeat"));
    static final VarHandle DEVICE_HOLDER_H = DEVICE.arrayElementVarHandle(groupElement("holder"));
    static final VarHandle SEGMENT_STATE_H = SEGMENT.arrayElementVarHandle(groupElement("state"));
    static final VarHandle SEGMENT_ID_H = SEGMENT.arrayElementVarHandle(groupElement("id"));
    static final VarHandle SEGMENT_SIZE_ENTRY_H = SEGMENT.arrayElementVarHandle(groupElement("size"));
    static final VarHandle REGION_STATE_H = REGION.arrayElementVarHandle(groupElement("state"));
    static final VarHandle REGION_ID_H = REGION.arrayElementVarHandle(groupElement("id"));
    static final VarHandle REGION_SIZE_H = REGION.arrayElementVarHandle(groupElement("size"));
    static final VarHandle REGION_FLAGS_H = REGION.arrayElementVarHandle(groupElement("userFlags"));
    static final VarHandle REGION_CREATOR_H = REGION.arrayElementVarHandle(groupElement("creatorPid"));
    static final VarHandle REGION_INSTANCE_H = REGION.arrayElementVarHandle(groupElement("instance"));
    static final VarHandle REGION_PATH_LENGTH_H = REGION.arrayElementVarHandle(groupElement("pathLength"));

    private ManagementLayout() {
    }

    private static VarHandle field(final String name) {
        return LAYOUT.varHandle(groupElement(name));
    }
}
