package io.pspgateway.netns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pspgateway.dataplane.DataplaneCounters;
import io.pspgateway.dataplane.port.OffloadCounters;
import io.pspgateway.dataplane.soft.SoftDataplane;
import io.pspgateway.dataplane.soft.SoftDataplaneSettings;
import io.pspgateway.pcap.PcapReader;
import io.pspgateway.pcap.PcapRecord;
import io.pspgateway.psp.Ip;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The soft data plane on a real network: two namespaces joined by a veth, a TUN device and a
 * UDP/1000 socket per gateway, static tunnels. ping and iperf3 run between the VIPs through the
 * tunnel, and a capture on the veth shows nothing but PSP. Runs as root (CI does); otherwise it
 * is skipped, and says so on stderr and in the report.
 */
class NamespaceTunnelTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @BeforeAll
    static void needsRootAndTools() {
        String why = TwoNamespaces.unavailableBecause("ip", "ping", "iperf3", "tcpdump");
        if (!why.isEmpty()) {
            System.err.println("SKIPPED NamespaceTunnelTest: " + why);
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(why.isEmpty(), "SKIPPED real-network test: " + why);
    }

    @Test
    void pingAndIperfCrossTheTunnelAndOnlyPspIsOnTheWire() throws Exception {
        try (TwoNamespaces net = TwoNamespaces.create()) {
            SoftDataplane[] gw = net.startSoftGateways(SoftDataplaneSettings.defaults());
            Path capture = dir.resolve("veth.pcap");
            Process tcpdump = net.start(net.b, "tcpdump", "-i", net.vethOf(net.b), "-n", "-U", "-w", capture.toString(), "ip");
            waitForCaptureToStart(capture);

            String ping = net.exec(net.a, "ping", "-c", "3", "-i", "0.2", "-W", "2", TwoNamespaces.VIP_B);
            assertTrue(ping.contains("3 received"), ping);

            Process server = net.start(net.b, "iperf3", "-s", "-1", "-B", TwoNamespaces.VIP_B);
            Thread.sleep(300);
            String client = net.exec(net.a, "iperf3", "-c", TwoNamespaces.VIP_B, "-t", "2", "-J");
            server.waitFor(5, TimeUnit.SECONDS);
            Matcher bps = Pattern.compile("\"sum_received\"\\s*:\\s*\\{[^}]*\"bits_per_second\"\\s*:\\s*([0-9.e+]+)").matcher(client);
            assertTrue(bps.find(), client);
            assertTrue(Double.parseDouble(bps.group(1)) > 1e6, "iperf3 moved less than 1 Mbit/s: " + bps.group(1));

            Thread.sleep(200);
            tcpdump.destroy();
            tcpdump.waitFor(5, TimeUnit.SECONDS);
            int packets = 0;
            try (PcapReader r = PcapReader.open(capture)) {
                for (PcapRecord rec; (rec = r.next()) != null; packets++) {
                    byte[] f = rec.data();
                    int l3 = 14;
                    assertEquals(4, Ip.version(f, l3), "IPv4 on the veth");
                    assertEquals(Ip.PROTO_UDP, Ip.u8(f, l3 + 9), "only UDP on the veth");
                    int udp = l3 + Ip.ipv4HeaderLength(f, l3);
                    assertEquals(1000, Ip.u16(f, udp + 2), "only PSP (UDP/1000) on the veth");
                    assertEquals(1, f[udp + 8 + 3] & 1, "a PSP header with its always-1 bit");
                }
            }
            assertTrue(packets > 100, "capture saw only " + packets + " packets");

            DataplaneCounters a = gw[0].counters();
            DataplaneCounters b = gw[1].counters();
            assertTrue(a.txPackets() > 100 && b.rxPackets() > 100, a + " / " + b);
            assertEquals(0, b.rxAuthFail() + a.rxAuthFail(), "no authentication failures");
        }
    }

    /**
     * With the offloads on (the default), they are seen working: the TUN device hands over TCP
     * super-packets larger than the MTU, sealed segments leave in fewer UDP sends than datagrams,
     * the receiver gets GRO trains and writes coalesced frames; every segment is still counted
     * as a packet, nothing fails authentication, and a slow UDP stream arrives whole and in order.
     */
    @Test
    void theOffloadsAreInEffectAndLoseNothing() throws Exception {
        try (TwoNamespaces net = TwoNamespaces.create()) {
            SoftDataplane[] gw = startAndPassPingAndTcp(net, true);
            OffloadCounters sent = gw[0].counters().offloads();
            OffloadCounters received = gw[1].counters().offloads();
            assertTrue(sent.superPacketsRead() > 0 && sent.segmentsMade() > sent.superPacketsRead(),
                    "TUN reads larger than the MTU, split: " + sent);
            assertTrue(sent.gsoSends() > 0 && sent.gsoDatagrams() > sent.gsoSends(), "fewer UDP sends than datagrams: " + sent);
            assertTrue(received.groTrains() > 0 && received.groDatagrams() > received.groTrains(),
                    "GRO trains longer than one on receive: " + received);
            assertTrue(received.framesCoalesced() > 0 && received.segmentsCoalesced() > received.framesCoalesced(),
                    "segments coalesced before the TUN write: " + received);
            assertEquals(0, sent.fallbacks() + received.fallbacks(), "no offload refused: " + sent + " / " + received);
            DataplaneCounters a = gw[0].counters();
            DataplaneCounters b = gw[1].counters();
            assertTrue(a.txPackets() >= sent.segmentsMade() - 64, "every segment sealed as a packet: " + a);
            assertEquals(0, a.rxAuthFail() + b.rxAuthFail(), "no authentication failures");
            assertSlowUdpArrivesWholeAndInOrder(net);
        }
    }

    /** Forced off, the same traffic passes one packet per read and write, and no offload counter moves. */
    @Test
    void withTheOffloadsForcedOffTheSameTrafficPasses() throws Exception {
        try (TwoNamespaces net = TwoNamespaces.create()) {
            SoftDataplane[] gw = startAndPassPingAndTcp(net, false);
            assertSlowUdpArrivesWholeAndInOrder(net);
            assertEquals(OffloadCounters.NONE, gw[0].counters().offloads().plus(gw[1].counters().offloads()));
            assertTrue(gw[0].counters().txPackets() > 1000, "traffic was sealed: " + gw[0].counters());
        }
    }

    /** Both gateways with offloads on or off; two pings and 2 s of iperf3 TCP must pass. */
    private static SoftDataplane[] startAndPassPingAndTcp(TwoNamespaces net, boolean offloads) throws Exception {
        SoftDataplane[] gw = net.startSoftGateways(SoftDataplaneSettings.defaults(), offloads);
        assertTrue(net.exec(net.a, "ping", "-c", "2", "-i", "0.2", "-W", "2", TwoNamespaces.VIP_B).contains("2 received"));
        double bits = iperfTcp(net, 2);
        assertTrue(bits > 1e6, "iperf3 TCP moved less than 1 Mbit/s: " + bits);
        return gw;
    }

    /** 2 s of UDP at 20 Mbit/s: every datagram arrives, none out of order. */
    private static void assertSlowUdpArrivesWholeAndInOrder(TwoNamespaces net) throws Exception {
        JsonNode udp = iperfUdp(net, "20M", 2);
        assertTrue(udp.path("packets").asLong() > 1000, "UDP packets sent: " + udp);
        assertEquals(0, udp.path("lost_packets").asLong(), "no UDP loss at a low rate: " + udp);
        assertEquals(0, udp.path("out_of_order").asLong(0), "no reordering: " + udp);
    }

    private static double iperfTcp(TwoNamespaces net, int seconds) throws Exception {
        Process server = net.start(net.b, "iperf3", "-s", "-1", "-B", TwoNamespaces.VIP_B);
        Thread.sleep(300);
        JsonNode result = JSON.readTree(net.exec(net.a, "iperf3", "-c", TwoNamespaces.VIP_B, "-t", Integer.toString(seconds), "-J"));
        server.waitFor(5, TimeUnit.SECONDS);
        return result.path("end").path("sum_received").path("bits_per_second").asDouble();
    }

    /** The receiver's view of a UDP stream at {@code rate}: packets, lost_packets, out_of_order. */
    private static JsonNode iperfUdp(TwoNamespaces net, String rate, int seconds) throws Exception {
        Process server = net.start(net.b, "iperf3", "-s", "-1", "-B", TwoNamespaces.VIP_B);
        Thread.sleep(300);
        JsonNode result = JSON.readTree(net.exec(net.a, "iperf3", "-c", TwoNamespaces.VIP_B, "-u", "-b", rate, "-l", "1300",
                "-t", Integer.toString(seconds), "-J"));
        server.waitFor(5, TimeUnit.SECONDS);
        return result.path("end").path("sum");
    }

    private static void waitForCaptureToStart(Path capture) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!Files.exists(capture) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        Thread.sleep(300);
    }
}
