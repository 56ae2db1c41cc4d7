package io.pspgateway.dataplane.doca;

import io.pspgateway.dataplane.DropReason;
import io.pspgateway.dataplane.HeldPacket;
import io.pspgateway.dataplane.HoldReason;
import io.pspgateway.dataplane.MissQueue;
import io.pspgateway.dataplane.SlowPathCounters;
import java.util.Map;

/**
 * Where the packets the NIC sends to the CPU come up, and held packets go back: the doca
 * backend's DPDK queues ({@code dpdk.DpdkSlowPath}) on a NIC, {@link MemorySlowPath} beside it for
 * tests of the control path alone. {@link DocaDataplane} uses one and does not own it: the
 * backend stops it before DOCA Flow and closes its port after.
 */
public interface SlowPath {
    /**
     * What the slow path has done since start.
     *
     * @param traffic what came up, was answered and went back
     * @param held    packets put on the miss queue, by reason
     * @param drops   packets dropped, by reason
     */
    record Counters(SlowPathCounters traffic, Map<HoldReason, Long> held, Map<DropReason, Long> drops) {
        public Counters {
            held = Map.copyOf(held);
            drops = Map.copyOf(drops);
        }
    }

    /** The queue it fills with misses and sampled copies; the miss poller drains it. */
    MissQueue missQueue();

    /** Puts a held packet back in front of the NIC's egress pipes; one it cannot put back is counted, never thrown. Any thread. */
    void reinject(HeldPacket packet);

    Counters counters();
}
