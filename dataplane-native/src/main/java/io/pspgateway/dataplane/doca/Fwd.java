package io.pspgateway.dataplane.doca;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;

/** Where a pipe or an entry sends a packet: {@code doca_flow_fwd} values, and the per-entry counter monitor. */
final class Fwd {
    private static final long TYPE = DocaAbi.FWD.byteOffset(groupElement("type"));
    private static final long PORT_ID = DocaAbi.FWD.byteOffset(groupElement("arm"), groupElement("port_id"));
    private static final long NEXT_PIPE = DocaAbi.FWD.byteOffset(groupElement("arm"), groupElement("next_pipe"));
    private static final long RSS_TYPE = DocaAbi.FWD.byteOffset(groupElement("arm"), groupElement("rss_arm"), groupElement("rss_type"));
    private static final long RSS = DocaAbi.FWD.byteOffset(groupElement("arm"), groupElement("rss_arm"), groupElement("rss"));
    private static final long OUTER_FLAGS = DocaAbi.RSS_CFG.byteOffset(groupElement("outer_flags"));
    private static final long QUEUES = DocaAbi.RSS_CFG.byteOffset(groupElement("queues_array"));
    private static final long NR_QUEUES = DocaAbi.RSS_CFG.byteOffset(groupElement("nr_queues"));
    private static final long COUNTER_TYPE = DocaAbi.MONITOR.byteOffset(groupElement("counter_type"));
    private static final long SHARED_MIRROR = DocaAbi.MONITOR.byteOffset(groupElement("shared_mirror_id"));

    /** No forwarding given: the pipe's own, or none. */
    static final MemorySegment NONE = MemorySegment.NULL;

    private Fwd() {
    }

    private static MemorySegment of(SegmentAllocator allocator, int type) {
        MemorySegment fwd = allocator.allocate(DocaAbi.FWD);
        fwd.set(JAVA_INT, TYPE, type);
        return fwd;
    }

    static MemorySegment port(SegmentAllocator allocator, short portId) {
        MemorySegment fwd = of(allocator, DocaAbi.DOCA_FLOW_FWD_PORT);
        fwd.set(JAVA_SHORT, PORT_ID, portId);
        return fwd;
    }

    /** To {@code pipe}; NULL in a template means "given per entry". */
    static MemorySegment pipe(SegmentAllocator allocator, MemorySegment pipe) {
        MemorySegment fwd = of(allocator, DocaAbi.DOCA_FLOW_FWD_PIPE);
        fwd.set(ADDRESS, NEXT_PIPE, pipe);
        return fwd;
    }

    static MemorySegment drop(SegmentAllocator allocator) {
        return of(allocator, DocaAbi.DOCA_FLOW_FWD_DROP);
    }

    /** Each entry names its own forwarding. */
    static MemorySegment changeable(SegmentAllocator allocator) {
        return of(allocator, DocaAbi.DOCA_FLOW_FWD_CHANGEABLE);
    }

    /** To the CPU: RSS over IPv4 and IPv6 across queues 0..queues-1. */
    static MemorySegment rss(SegmentAllocator allocator, int queues) {
        MemorySegment fwd = of(allocator, DocaAbi.DOCA_FLOW_FWD_RSS);
        fwd.set(JAVA_INT, RSS_TYPE, DocaAbi.DOCA_FLOW_RESOURCE_TYPE_NON_SHARED);
        MemorySegment ids = allocator.allocate(JAVA_SHORT, queues);
        for (int q = 0; q < queues; q++) {
            ids.setAtIndex(JAVA_SHORT, q, (short) q);
        }
        fwd.set(JAVA_INT, RSS + OUTER_FLAGS, DocaAbi.DOCA_FLOW_RSS_IPV4 | DocaAbi.DOCA_FLOW_RSS_IPV6);
        fwd.set(ADDRESS, RSS + QUEUES, ids);
        fwd.set(JAVA_INT, RSS + NR_QUEUES, queues);
        return fwd;
    }

    /** A monitor giving each entry its own packet and byte counter. */
    static MemorySegment counter(SegmentAllocator allocator) {
        MemorySegment monitor = allocator.allocate(DocaAbi.MONITOR);
        monitor.set(JAVA_INT, COUNTER_TYPE, DocaAbi.DOCA_FLOW_RESOURCE_TYPE_NON_SHARED);
        return monitor;
    }

    /** A counter and a copy of each packet to mirror {@code mirrorId} (all-ones in a template: given per entry). */
    static MemorySegment counterAndMirror(SegmentAllocator allocator, int mirrorId) {
        MemorySegment monitor = counter(allocator);
        monitor.set(JAVA_INT, SHARED_MIRROR, mirrorId);
        return monitor;
    }
}
