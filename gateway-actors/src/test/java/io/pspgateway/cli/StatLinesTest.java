package io.pspgateway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pspgateway.dataplane.DataplaneCounters;
import io.pspgateway.dataplane.DropReason;
import io.pspgateway.dataplane.HoldReason;
import io.pspgateway.dataplane.SlowPathCounters;
import io.pspgateway.dataplane.port.OffloadCounters;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** --stat-print's data plane lines: the original's, and every drop and hold by reason beside them. */
class StatLinesTest {
    private static List<String> lines(Map<DropReason, Long> drops, Map<HoldReason, Long> held) {
        return lines(drops, held, SlowPathCounters.NONE);
    }

    private static List<String> lines(Map<DropReason, Long> drops, Map<HoldReason, Long> held, SlowPathCounters slowPath) {
        DataplaneCounters c = new DataplaneCounters(5, 500, 1, 0, 2, 7, 700, 0, drops, held, 0, OffloadCounters.NONE, slowPath);
        return GatewayRunner.StatPrinter.counterLines(c).lines().toList();
    }

    @Test
    void everyDropAndHoldIsPrintedByReasonInTheReasonsOrder() {
        List<String> lines = lines(Map.of(DropReason.INGRESS_ACL_MISS, 4L, DropReason.EGRESS_TOO_BIG, 3L, DropReason.INGRESS_AUTH_FAILED, 1L),
                Map.of(HoldReason.MISS, 9L));
        assertEquals(List.of("Egress encrypt: 7 hits [9 misses]", "Ingress decrypt: 5 hits", "syndrome - ICV Fail: 1 hits",
                "syndrome - Bad Trailer: 0 hits", "Ingress ACL: 4 misses", "Drops: EGRESS_TOO_BIG 3, INGRESS_AUTH_FAILED 1, INGRESS_ACL_MISS 4",
                "Held: MISS 9"), lines);
    }

    @Test
    void aNicsSlowPathGetsALineOfItsOwn() {
        List<String> lines = lines(Map.of(), Map.of(HoldReason.MISS, 3L), new SlowPathCounters(6, 2, 1, 3));
        assertEquals("Slow path: 6 packets from the NIC, 2 ARP and 1 neighbour solicitations answered, 3 held packets re-injected",
                lines.getLast());
    }

    @Test
    void withNothingDroppedOrHeldOnlyTheOriginalsLinesArePrinted() {
        assertEquals(5, lines(Map.of(), Map.of()).size());
    }
}
