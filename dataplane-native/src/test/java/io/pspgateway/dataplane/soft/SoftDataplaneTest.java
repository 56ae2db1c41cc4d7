package io.pspgateway.dataplane.soft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.dataplane.port.MemoryPort;
import org.junit.jupiter.api.Test;

/** What only the soft backend has: its packet threads. The contracts run in SoftDataplaneControlTest and SoftDataplanePacketTest. */
class SoftDataplaneTest {

    @Test
    void closeStopsEveryPacketThreadAndWipesTheSlots() {
        SoftDataplane dp = new SoftDataplane(SoftDataplaneSettings.defaults(), MemoryPort.link("host", "plain", 16)[1],
                MemoryPort.link("wire", "secure", 16)[1]);
        dp.start();
        dp.programKeySlot(0, io.pspgateway.psp.PspVersion.V0, new byte[16]);
        dp.close();
        assertEquals(0, dp.keySlotsInUse());
        assertTrue(Thread.getAllStackTraces().keySet().stream()
                        .noneMatch(t -> t.getName().startsWith("psp-egress") || t.getName().startsWith("psp-ingress")),
                "packet threads still running");
    }
}
