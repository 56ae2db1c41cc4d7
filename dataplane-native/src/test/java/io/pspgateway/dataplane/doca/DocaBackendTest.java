package io.pspgateway.dataplane.doca;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.dataplane.DataplaneOps;
import io.pspgateway.dataplane.EncryptEntry;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.HeldPacket;
import io.pspgateway.dataplane.HoldReason;
import io.pspgateway.dataplane.doca.dpdk.DpdkPort;
import io.pspgateway.dataplane.doca.dpdk.PacketBurst;
import io.pspgateway.dataplane.doca.dpdk.TestEal;
import io.pspgateway.psp.InnerPackets;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The whole doca backend on the fake DOCA libraries and a DPDK ring pair standing in for the PF:
 * the test sends on the pair's other port what the NIC would give the CPU and reads what the
 * backend sends back.
 */
class DocaBackendTest {
    private static final byte[] VF_MAC = {0x02, 0, 0, 0, 0, 0x0A};
    private static final byte[] PEER_MAC = {0x02, 0, 0, 0, 0, 0x0B};

    private static DocaBackend.Settings settings(FakeDoca fake, int pfPort) {
        return new DocaBackend.Settings(fake.dir(), TestEal.shimPath(), TestEal.ARGUMENTS, "0000:03:00.0", "[0]", pfPort, 2, 64,
                Duration.ofMillis(1), PspMode.TUNNEL, 8, true, 0, false, false, 4, Optional.of(VF_MAC), Optional.of(PEER_MAC));
    }

    private static int indexOf(List<FakeDoca.Call> journal, String function) {
        for (int i = 0; i < journal.size(); i++) {
            if (journal.get(i).function().equals(function)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void aMissComesUpThroughTheRingAndItsHeldPacketGoesBackTaggedForTheEncryptPipes() throws Exception {
        FakeDoca fake = FakeDoca.get();
        int[] ports = TestEal.ringPair("backend", 3);
        try (DpdkPort nic = DpdkPort.open(TestEal.get(), ports[1], new DpdkPort.Settings(3, 3, 256, 1023, 2176, false)); PacketBurst burst = new PacketBurst(4, 2048)) {
            InetAddress vip = InetAddress.getByName("10.1.0.1");
            InetAddress peerVip = InetAddress.getByName("10.2.0.7");
            byte[] frame = InnerPackets.ethernet(InnerPackets.udp(vip, peerVip, 1));
            try (DocaBackend backend = DocaBackend.open(settings(fake, ports[0]))) {
                List<FakeDoca.Call> started = fake.journal();
                FakeDoca.Call probe = started.get(indexOf(started, "doca_dpdk_port_probe"));
                assertEquals(DocaDevice.PORT_DEVARGS + "[0]", probe.detail(), "the original's device arguments");
                assertTrue(indexOf(started, "doca_dev_open") < indexOf(started, "doca_dpdk_port_probe")
                        && indexOf(started, "doca_dpdk_port_probe") < indexOf(started, "doca_flow_init"),
                        "the device opened, then probed into DPDK, then DOCA Flow started");
                DataplaneOps ops = backend.ops();

                burst.put(0, frame, 0);
                assertEquals(1, nic.send(0, burst, 1), "the NIC's miss to RSS queue 0");
                long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                List<HeldPacket> held = new ArrayList<>();
                // drained until taken: the queue counts a packet a moment before it can be taken
                while (ops.missQueue().drain(held, 4) == 0) {
                    assertTrue(System.nanoTime() < deadline, "the miss did not come up");
                    Thread.sleep(1);
                }
                assertEquals(HoldReason.MISS, held.getFirst().reason());
                assertEquals(FlowKey.of(vip, peerVip), held.getFirst().flow());

                // what the control path does for it: a key slot and the encrypt entry, then the packet back
                ops.programKeySlot(0, PspVersion.V1, new byte[32]);
                ops.addEncryptEntry(new EncryptEntry(vip, peerVip, 0, 0x11, PspVersion.V1, PspMode.TUNNEL, 5, null,
                        InetAddress.getByName("192.0.2.1"), InetAddress.getByName("192.0.2.2"), PEER_MAC));
                ops.reinject(held.getFirst());
                int n = 0;
                while (n == 0) {
                    assertTrue(System.nanoTime() < deadline, "the held packet did not come back");
                    n = nic.receive(2, burst);
                }
                assertEquals(1, n);
                assertArrayEquals(frame, burst.packet(0), "the packet as the VF sent it");
                assertEquals(DocaPipeline.TO_ENCRYPT_TAG, burst.metadata(0), "tagged for the egress root's entries to the encrypt pipes");
                assertEquals(1, ops.counters().held(HoldReason.MISS));
                assertEquals(1, backend.inspection().encryptEntryCount());
            }
            List<FakeDoca.Call> all = fake.journal();
            assertTrue(indexOf(all, "doca_flow_destroy") < indexOf(all, "doca_dev_close"), "DOCA Flow destroyed before the device closes");
            assertEquals(0, fake.devicesOpen());
        }
    }

    @Test
    void tunnelModeWithoutADecapsulationMacIsRefusedBeforeAnythingStarts() throws Exception {
        FakeDoca fake = FakeDoca.get();
        DocaBackend.Settings s = settings(fake, 0);
        DocaBackend.Settings noDecap = new DocaBackend.Settings(s.libDir(), s.dpdkShim(), s.ealArguments(), s.pciAddress(), s.representors(),
                s.dpdkPort(), s.queues(), s.missQueue(), s.pollIdle(), s.mode(), s.maxTunnels(), s.acl(), s.sampleRateLog2(),
                s.maintainOrder(), s.cookie(), s.innerIpVersion(), Optional.empty(), s.nexthopDmac());
        DocaUnavailableException e = assertThrows(DocaUnavailableException.class, () -> DocaBackend.open(noDecap));
        assertTrue(e.getMessage().contains("--decap-dmac"), e.getMessage());
        assertEquals(List.of(), fake.journal(), "nothing was called");
    }

    @Test
    void aDeviceThatDoesNotProbeIntoDpdkLeavesNothingOpen() throws Exception {
        FakeDoca fake = FakeDoca.get();
        fake.fail("doca_dpdk_port_probe", 0, 8);
        DocaUnavailableException e = assertThrows(DocaUnavailableException.class, () -> DocaBackend.open(settings(fake, 0)));
        assertTrue(e.getMessage().contains("does not probe into DPDK"), e.getMessage());
        assertEquals(0, fake.devicesOpen(), "the device closed again");
        assertEquals(-1, indexOf(fake.journal(), "doca_flow_init"), "DOCA Flow never started");
    }
}
