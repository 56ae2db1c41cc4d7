package io.pspgateway.dataplane;

import io.pspgateway.dataplane.port.OffloadCounters;
import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of the data plane's global counters: the spec's statistics (byte counts exclude
 * the PSP header and ICV), every drop by reason, and the slow-path traffic by reason.
 *
 * @param rxPackets     packets decrypted, authenticated and delivered
 * @param rxBytes       their payload bytes
 * @param rxAuthFail    packets whose ICV did not match (spec: rx auth failures)
 * @param rxErrors      packets that could not be processed for lack of a key (spec: rx errors)
 * @param rxBad         malformed PSP packets (spec: rx bad)
 * @param txPackets     packets sealed and sent
 * @param txBytes       their payload bytes
 * @param txErrors      packets that could not be sealed or sent (spec: tx errors)
 * @param drops         every drop, by reason (reasons never seen are absent)
 * @param held          packets put on the miss queue, by reason
 * @param keyRotations  master key rotations since start
 * @param offloads      what the ports' offloads did ({@link OffloadCounters#NONE} where there are none)
 * @param slowPath      what a NIC's slow path did ({@link SlowPathCounters#NONE} where there is none)
 */
public record DataplaneCounters(long rxPackets, long rxBytes, long rxAuthFail, long rxErrors, long rxBad,
                                long txPackets, long txBytes, long txErrors, Map<DropReason, Long> drops,
                                Map<HoldReason, Long> held, long keyRotations, OffloadCounters offloads,
                                SlowPathCounters slowPath) {

    public DataplaneCounters {
        drops = Map.copyOf(drops);
        held = Map.copyOf(held);
    }

    /** Drops under {@code reason} (0 when none). */
    public long dropped(DropReason reason) {
        return drops.getOrDefault(reason, 0L);
    }

    /** Held packets under {@code reason} (0 when none). */
    public long held(HoldReason reason) {
        return held.getOrDefault(reason, 0L);
    }

    /** All drops, whatever the reason. */
    public long droppedTotal() {
        return drops.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Helper for builders: an EnumMap with only the non-zero counts. */
    public static <E extends Enum<E>> Map<E, Long> nonZero(Class<E> type, long[] byOrdinal) {
        Map<E, Long> m = new EnumMap<>(type);
        E[] all = type.getEnumConstants();
        for (int i = 0; i < all.length; i++) {
            if (byOrdinal[i] != 0) {
                m.put(all[i], byOrdinal[i]);
            }
        }
        return m;
    }
}
