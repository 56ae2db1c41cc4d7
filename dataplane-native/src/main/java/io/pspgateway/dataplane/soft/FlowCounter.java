package io.pspgateway.dataplane.soft;

import io.pspgateway.dataplane.EntryCounters;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Packet and byte counters of one flow entry, updated by any packet thread without locks. An
 * ingress ACL entry is nothing but this; an {@link EgressEntry} adds its action.
 */
class FlowCounter {
    private static final VarHandle PACKETS;
    private static final VarHandle BYTES;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            PACKETS = l.findVarHandle(FlowCounter.class, "packets", long.class);
            BYTES = l.findVarHandle(FlowCounter.class, "bytes", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // updated through PACKETS
    private volatile long packets;
    @SuppressWarnings("unused") // updated through BYTES
    private volatile long bytes;

    final void count(int payloadBytes) {
        PACKETS.getAndAdd(this, 1L);
        BYTES.getAndAdd(this, (long) payloadBytes);
    }

    final EntryCounters counters() {
        return new EntryCounters(packets, bytes);
    }
}
