package io.pspgateway.dataplane.doca;

import io.pspgateway.dataplane.HeldPacket;
import io.pspgateway.dataplane.HoldReason;
import io.pspgateway.dataplane.MissQueue;
import io.pspgateway.dataplane.SlowPathCounters;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An in-memory {@link SlowPath}: misses are what a test {@linkplain #miss offers}, re-injected
 * packets are kept in order for the test to read. Nothing reaches a NIC.
 */
public final class MemorySlowPath implements SlowPath {
    private final MissQueue misses;
    private final List<HeldPacket> reinjected = new ArrayList<>();
    private long held;

    public MemorySlowPath(int missQueueCapacity) {
        this.misses = new MissQueue(missQueueCapacity);
    }

    /** Offers {@code packet} to the miss queue as the NIC's queues would; false when it is full. */
    public synchronized boolean miss(HeldPacket packet) {
        boolean taken = misses.offer(packet);
        held += taken && packet.reason() == HoldReason.MISS ? 1 : 0;
        return taken;
    }

    /** The packets re-injected so far, oldest first. */
    public synchronized List<HeldPacket> reinjected() {
        return List.copyOf(reinjected);
    }

    @Override
    public MissQueue missQueue() {
        return misses;
    }

    @Override
    public synchronized void reinject(HeldPacket packet) {
        reinjected.add(packet);
    }

    @Override
    public synchronized Counters counters() {
        return new Counters(new SlowPathCounters(held, 0, 0, reinjected.size()), held == 0 ? Map.of() : Map.of(HoldReason.MISS, held),
                Map.of());
    }
}
