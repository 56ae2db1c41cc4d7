package io.pspgateway.control;

import static io.pspgateway.psp.InnerPackets.udp;
import static io.pspgateway.psp.InnerPackets.sequence;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.psp.InnerPackets;
import com.typesafe.config.ConfigFactory;
import io.pspgateway.control.GatewayStats.HoldDrop;
import io.pspgateway.dataplane.soft.SoftDataplaneSettings;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Two and three gateways in one JVM: tunnels come up on the first packet, held packets arrive once and in order. */
class OnDemandTunnelTest {

    static void eventually(Supplier<Boolean> condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(10);
        }
    }

    /** Two gateways serving {@code vips} VIPs each, with {@code settings} (HOCON) over the defaults. */
    static LocalCluster twoGateways(int vips, String settings) throws Exception {
        return LocalCluster.start(2, vips, i -> SoftDataplaneSettings.defaults(), ConfigFactory.parseString(settings));
    }

    /** One packet from {@code from}'s VIP to each of {@code to}'s first {@code vips} VIPs, numbered by the VIP. */
    static void sendOneToEachVip(LocalCluster.Member from, LocalCluster.Member to, int vips) {
        for (int host = 1; host <= vips; host++) {
            from.host().send(udp(from.vip(), to.vip(host), host));
        }
    }

    /** The sequence numbers of up to {@code count} packets {@code host} receives (10 s each at most), each asserted to arrive once. */
    static java.util.Set<Integer> receiveOnce(io.pspgateway.dataplane.port.MemoryPort host, int count) throws InterruptedException {
        java.util.Set<Integer> got = new java.util.TreeSet<>();
        for (byte[] p; got.size() < count && (p = host.take(10_000)) != null; ) {
            assertTrue(got.add(sequence(p)), "delivered once: " + sequence(p));
        }
        return got;
    }

    @Test
    void theFirstPacketsMissAreHeldAndArriveOnceInOrderAndTheReverseNeedsNoRequest() throws Exception {
        try (LocalCluster c = LocalCluster.start(2)) {
            LocalCluster.Member a = c.get(0);
            LocalCluster.Member b = c.get(1);
            for (int seq = 0; seq < 50; seq++) {
                a.host().send(udp(a.vip(), b.vip(), seq));
            }
            for (int seq = 0; seq < 50; seq++) {
                byte[] got = b.host().take(10_000);
                assertEquals(seq, sequence(got), "in order, once");
                assertArrayEquals(udp(a.vip(), b.vip(), seq), got);
            }
            assertNull(b.host().take(200), "nothing delivered twice");
            eventually(() -> a.node().stats().delivered() + a.node().stats().droppedTotal() == a.node().stats().held(), "held accounted");
            assertEquals(0, a.node().stats().droppedTotal());
            assertEquals(1, a.node().stats().grpcCalls(), "one request for one VIP pair, however many packets missed");
            assertEquals(1, a.node().stats().tunnelsUp());
            assertEquals(1, a.node().slotsInUse());

            // B got our reverse parameters with the request: its answer needs no request of its own
            b.host().send(udp(b.vip(), a.vip(), 7));
            assertEquals(7, sequence(a.host().take(10_000)));
            assertEquals(0, b.node().stats().grpcCalls());
            assertEquals(0, b.node().stats().held());

            // --stat-print's ingress sessions: B let in A's 50 under the SPI it granted; A let in B's one
            // under the reverse SPI its session handed out
            assertEquals(java.util.Map.of(io.pspgateway.dataplane.FlowKey.of(b.vip(), a.vip()), 50L), b.node().ingressTunnels());
            assertEquals(java.util.Map.of(io.pspgateway.dataplane.FlowKey.of(a.vip(), b.vip()), 1L), a.node().ingressTunnels());
        }
    }

    @Test
    void withoutReverseParametersTheOtherSideAsksOnItsOwnMiss() throws Exception {
        try (LocalCluster c = twoGateways(3, "pspgw.send-reverse-params = off")) {
            LocalCluster.Member a = c.get(0);
            LocalCluster.Member b = c.get(1);
            a.host().send(udp(a.vip(), b.vip(), 1));
            assertEquals(1, sequence(b.host().take(10_000)));
            b.host().send(udp(b.vip(), a.vip(), 2));
            assertEquals(2, sequence(a.host().take(10_000)));
            assertEquals(1, b.node().stats().grpcCalls());
            assertEquals(1, b.node().stats().held());
        }
    }

    @Test
    void threeGatewaysReachEachOther() throws Exception {
        try (LocalCluster c = LocalCluster.start(3)) {
            assertEveryPairDelivers(c);
        }
    }

    /** One packet from every gateway to every other (at most 10 gateways): each arrives at the right one. */
    static void assertEveryPairDelivers(LocalCluster c) throws InterruptedException {
        int n = c.size();
        for (int from = 0; from < n; from++) {
            for (int to = 0; to < n; to++) {
                if (from != to) {
                    c.get(from).host().send(udp(c.get(from).vip(), c.get(to).vip(), from * 10 + to));
                }
            }
        }
        for (int to = 0; to < n; to++) {
            java.util.Set<Integer> senders = new java.util.TreeSet<>();
            for (byte[] p; senders.size() < n - 1 && (p = c.get(to).host().take(10_000)) != null; ) {
                assertEquals(to, sequence(p) % 10, "delivered to the right gateway");
                senders.add(sequence(p) / 10);
            }
            assertEquals(n - 1, senders.size(), "gateway " + to + " heard from every other: " + senders);
        }
    }

    @Test
    void aBurstTowardsTwoPeersAndNowhereSetsEachPairUpOnceWithoutTheFailuresHoldingUpTheRest() throws Exception {
        try (LocalCluster c = LocalCluster.start(3, 20, i -> SoftDataplaneSettings.defaults(), ConfigFactory.empty())) {
            LocalCluster.Member a = c.get(0);
            // one burst, so that the pairs share sessions: 20 pairs to each peer, 3 to VIPs nobody serves
            for (int host = 1; host <= 20; host++) {
                a.host().send(udp(a.vip(), c.get(1).vip(host), 100 + host));
                a.host().send(udp(a.vip(), c.get(2).vip(host), 200 + host));
            }
            for (int i = 1; i <= 3; i++) {
                a.host().send(udp(a.vip(), LocalCluster.address("10.99.0." + i), 300 + i));
            }
            for (int peer = 1; peer <= 2; peer++) {
                java.util.Set<Integer> got = receiveOnce(c.get(peer).host(), 20);
                assertEquals(20, got.size(), "gateway " + peer + " got every pair's packet");
                final int base = 100 * peer;
                assertTrue(got.stream().allMatch(seq -> seq > base && seq <= base + 20), "gateway " + peer + " got its own: " + got);
            }
            eventually(() -> a.node().stats().delivered() + a.node().stats().droppedTotal() == a.node().stats().held(), "held accounted");
            assertEquals(40, a.node().stats().tunnelsUp());
            assertEquals(3, a.node().stats().tunnelsFailed());
            assertEquals(3, a.node().stats().dropped(HoldDrop.NO_PEER), "each pair nobody serves fails on its own");
            assertEquals(40, a.node().stats().tunnelsRequested(), "each pair asked for once");
            assertEquals(40, a.node().slotsInUse());
        }
    }

    @Test
    void moreTunnelsThanOneCallMayCarryAreSplitAcrossCallsAndEachGetsItsOwnAnswer() throws Exception {
        try (LocalCluster c = twoGateways(30, "pspgw.max-tunnels-per-request = 3")) {
            LocalCluster.Member a = c.get(0);
            LocalCluster.Member b = c.get(1);
            sendOneToEachVip(a, b, 30);
            // an answer handed to the wrong tunnel would send with an SPI the responder opened for
            // another pair, and its ACL would drop the packet
            assertEquals(30, receiveOnce(b.host(), 30).size(), "every pair's packet arrived");
            assertEquals(30, a.node().stats().tunnelsRequested());
            assertTrue(a.node().stats().grpcCalls() >= 10, "at most 3 tunnels per call: " + a.node().stats().grpcCalls());
            assertEquals(0, b.dataplane().counters().drops().values().stream().mapToLong(Long::longValue).sum(),
                    "no packet dropped by the responder: " + b.dataplane().counters());
        }
    }

    @Test
    void aPairThePeerRefusesFailsAloneInsteadOfTakingItsWholeCallDown() throws Exception {
        // a window wide enough that the burst travels in one call; 10.2.0.200 is in the prefix the
        // tunnel file gives gateway 1 but not one of its VIPs, so the peer refuses the call
        try (LocalCluster c = twoGateways(20, "pspgw.coalesce-window = 300ms")) {
            LocalCluster.Member a = c.get(0);
            LocalCluster.Member b = c.get(1);
            sendOneToEachVip(a, b, 10);
            a.host().send(udp(a.vip(), LocalCluster.address("10.2.0.200"), 200));
            assertEquals(java.util.stream.IntStream.rangeClosed(1, 10).boxed().collect(java.util.stream.Collectors.toSet()),
                    receiveOnce(b.host(), 10));
            eventually(() -> a.node().stats().delivered() + a.node().stats().droppedTotal() == 11, "held accounted");
            assertEquals(1, a.node().stats().dropped(HoldDrop.TUNNEL_FAILED), "the refused pair alone");
            assertEquals(10, a.node().stats().tunnelsUp());
            // the refusals did not open the circuit: a new pair still gets its tunnel at once
            a.host().send(udp(a.vip(), b.vip(11), 11));
            assertEquals(11, sequence(b.host().take(10_000)));
        }
    }

    @Test
    void staticTunnelsAreUpBeforeAnyPacketAndTheAddressesAPeerDoesNotServeFailAloneAndAreTriedAgain() throws Exception {
        // 254 VIPs each: the tunnel files' /24s expand to 256 pairs per peer, of which the network
        // and broadcast addresses are nobody's VIPs; slots for both directions of every pair
        try (LocalCluster c = LocalCluster.startWithStaticTunnels(2, 254, i -> SoftDataplaneSettings.defaults().withKeySlots(1024))) {
            LocalCluster.Member a = c.get(0);
            LocalCluster.Member b = c.get(1);
            // gateway 0's own pairs (gateway 1's reverse parameters bring it the way back from its other VIPs too)
            java.util.function.Supplier<java.util.Set<java.net.InetAddress>> reached = () -> {
                try {
                    return a.node().egressTunnels().stream().filter(f -> f.source().equals(a.vip()))
                            .map(io.pspgateway.dataplane.FlowKey::destination).collect(java.util.stream.Collectors.toSet());
                } catch (Exception e) {
                    throw new IllegalStateException("the tunnels actor did not answer", e);
                }
            };
            eventually(() -> reached.get().size() == 254, "254 static tunnels up");
            assertEquals(java.util.stream.IntStream.rangeClosed(1, 254).mapToObj(b::vip).collect(java.util.stream.Collectors.toSet()),
                    reached.get(), "every VIP of gateway 1, and nothing else");
            assertTrue(a.node().stats().tunnelsFailed() >= 2, "the network and broadcast addresses were refused");
            // as with the original's -z loop, failed static tunnels are tried again (at growing intervals)
            eventually(() -> a.node().stats().tunnelsFailed() >= 4, "the refused pairs tried again");
            a.host().send(udp(a.vip(), b.vip(77), 77));
            assertEquals(77, sequence(b.host().take(10_000)));
            assertEquals(0, a.node().stats().held(), "the tunnel was there before the packet: no miss");
        }
    }

    @Test
    void anUnknownVipIsACountedDropAndNoRequest() throws Exception {
        try (LocalCluster c = LocalCluster.start(2)) {
            LocalCluster.Member a = c.get(0);
            for (int i = 0; i < 5; i++) {
                a.host().send(udp(a.vip(), LocalCluster.address("10.99.0.1"), i));
            }
            eventually(() -> a.node().stats().droppedTotal() == 5, "5 drops");
            assertEquals(5, a.node().stats().dropped(HoldDrop.NO_PEER) + a.node().stats().dropped(HoldDrop.RECENTLY_FAILED));
            assertTrue(a.node().stats().dropped(HoldDrop.NO_PEER) >= 1);
            assertEquals(0, a.node().stats().grpcCalls());
            assertEquals(0, a.node().slotsInUse());
        }
    }

    @Test
    void maxTunnelsExhaustedDropsAndCountsWithoutLeakingSlots() throws Exception {
        try (LocalCluster c = LocalCluster.start(2, 3, i -> SoftDataplaneSettings.defaults().withKeySlots(2),
                ConfigFactory.empty())) {
            LocalCluster.Member a = c.get(0);
            LocalCluster.Member b = c.get(1);
            for (int host = 1; host <= 3; host++) {
                a.host().send(udp(a.vip(), b.vip(host), host));
            }
            eventually(() -> a.node().stats().tunnelsUp() + a.node().stats().tunnelsFailed() == 3, "3 outcomes");
            // the session counts its failure before the miss handler has dropped its held packet
            eventually(() -> a.node().stats().delivered() + a.node().stats().droppedTotal() == 3, "held packets accounted");
            assertEquals(2, a.node().stats().tunnelsUp());
            assertEquals(1, a.node().stats().dropped(HoldDrop.NO_CRYPTO_SLOT));
            assertEquals(2, a.node().slotsInUse());
            assertEquals(2, a.inspection().keySlotsInUse());
        }
    }
}
