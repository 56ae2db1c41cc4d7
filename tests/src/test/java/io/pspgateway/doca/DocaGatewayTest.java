package io.pspgateway.doca;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.pspgateway.control.IngressGrants;
import io.pspgateway.control.LocalCluster;
import io.pspgateway.dataplane.DataplaneOps;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.doca.DocaBackend;
import io.pspgateway.dataplane.doca.DocaPipeline;
import io.pspgateway.dataplane.doca.DocaUnavailableException;
import io.pspgateway.dataplane.doca.dpdk.DpdkPort;
import io.pspgateway.dataplane.doca.dpdk.PacketBurst;
import io.pspgateway.dataplane.doca.dpdk.TestEal;
import io.pspgateway.dataplane.soft.SoftDataplaneSettings;
import io.pspgateway.psp.InnerPackets;
import io.pspgateway.psp.PspMode;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A gateway whose data plane is the whole doca backend (the fake DOCA libraries, a DPDK ring pair
 * standing in for the PF) beside a soft gateway: the NIC's miss comes up through DPDK, reaches
 * the miss handler, a tunnel is set up through the control path (gRPC to the peer, minting, the
 * encrypt entry in DOCA Flow), and the held packet goes back to the NIC tagged for the encrypt
 * pipes.
 */
class DocaGatewayTest {
    private static final byte[] VF_MAC = {0x02, 0, 0, 0, 0, 0x0A};
    private static final byte[] NEXT_HOP = {0x02, 0, 0, 0, 0, 0x0B};

    private static Path fakeDoca() {
        Path dir = Path.of(System.getProperty("pspgw.test.fake-doca", "../dataplane-native/target/fake-doca"));
        if (!Files.isRegularFile(dir.resolve("libdoca_flow.so"))) {
            if ("true".equals(System.getenv("CI"))) {
                Assertions.fail("the fake DOCA libraries were not built into " + dir);
            }
            System.err.println("SKIPPED: no fake DOCA libraries in " + dir + " (no C compiler when dataplane-native was built)");
            Assumptions.abort("no fake DOCA libraries");
        }
        return dir;
    }

    @Test
    void aMissFromTheNicSetsUpATunnelThroughTheControlPathAndItsPacketGoesBackForTheEncryptPipes() throws Exception {
        Path fake = fakeDoca();
        int[] ports = TestEal.ringPair("gateway", 3);
        AtomicReference<DocaBackend> doca = new AtomicReference<>();
        LocalCluster.Decorator docaForGatewayZero = new LocalCluster.Decorator() {
            @Override
            public DataplaneOps dataplane(int gateway, DataplaneOps soft) {
                if (gateway != 0) {
                    return soft;
                }
                try {
                    doca.set(DocaBackend.open(new DocaBackend.Settings(fake, TestEal.shimPath(), TestEal.ARGUMENTS, "0000:03:00.0", "[0]",
                            ports[0], 2, 64, Duration.ofMillis(1), PspMode.TUNNEL, 8, true, 0, false, false, 4, Optional.of(VF_MAC),
                            Optional.of(NEXT_HOP))));
                } catch (DocaUnavailableException e) {
                    throw new AssertionError(e);
                }
                return doca.get().ops();
            }
        };
        try (DpdkPort nic = DpdkPort.open(TestEal.get(), ports[1], new DpdkPort.Settings(3, 3, 256, 1023, 2176, false));
             PacketBurst burst = new PacketBurst(4, 2048)) {
            try (LocalCluster c = LocalCluster.startDecorated(2, 4, docaForGatewayZero, i -> SoftDataplaneSettings.defaults(),
                    ConfigFactory.empty())) {
                InetAddress from = c.get(0).vip(1);
                InetAddress to = c.get(1).vip(1);
                byte[] frame = InnerPackets.ethernet(InnerPackets.udp(from, to, 7));
                burst.put(0, frame, 0);
                assertEquals(1, nic.send(0, burst, 1), "the NIC's miss, to RSS queue 0");

                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                int n = 0;
                while (n == 0) {
                    assertTrue(System.nanoTime() < deadline, "the held packet did not come back: " + c.get(0).node().stats());
                    n = nic.receive(2, burst);
                    if (n == 0) {
                        Thread.sleep(5);
                    }
                }
                assertEquals(1, n);
                assertArrayEquals(frame, burst.packet(0), "the packet as the VF sent it");
                assertEquals(DocaPipeline.TO_ENCRYPT_TAG, burst.metadata(0), "tagged for the egress root's entries to the encrypt pipes");

                OptionalInt spi = doca.get().inspection().encryptEntrySpi(FlowKey.of(from, to));
                assertTrue(spi.isPresent(), "the encrypt entry is in DOCA Flow");
                List<IngressGrants.Grant> grants = c.get(1).node().grants();
                assertEquals(1, grants.size(), "the peer admits one SPI: " + grants);
                assertEquals(spi.getAsInt(), grants.getFirst().spi(), "the SPI the peer granted is the one the NIC encrypts with");
                assertEquals(1, c.get(0).node().stats().delivered(), "the miss handler re-injected the packet");
            }
        } finally {
            if (doca.get() != null) {
                doca.get().close();
            }
        }
    }
}
