package io.pspgateway.cluster;

import static io.pspgateway.psp.InnerPackets.udp;
import static io.pspgateway.psp.InnerPackets.sequence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.psp.InnerPackets;
import com.typesafe.config.ConfigFactory;
import io.pspgateway.control.LocalCluster;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

/** Gateways with no peers in their tunnel files find each other through the cluster. */
class ClusterDiscoveryTest {

    static void eventually(Callable<Boolean> condition, long millis, String what) throws Exception {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(50);
        }
    }

    @Test
    void fiveGatewaysDiscoverEachOtherAndTunnelOnDemandAndALeaverTakesItsSessionsAlong() throws Exception {
        try (LocalCluster c = LocalCluster.startClustered(5, 3, ConfigFactory.empty())) {
            for (int i = 0; i < 5; i++) {
                LocalCluster.Member m = c.get(i);
                eventually(() -> m.node().clusterGateways().size() == 4, 30_000, m.name() + " sees the 4 others");
            }
            int[][] pairs = {{0, 4}, {3, 1}, {2, 0}};
            for (int[] p : pairs) {
                LocalCluster.Member from = c.get(p[0]);
                LocalCluster.Member to = c.get(p[1]);
                from.host().send(udp(from.vip(), to.vip(), p[0] * 10 + p[1]));
                byte[] got = to.host().take(10_000);
                assertEquals(p[0] * 10 + p[1], got == null ? -1 : sequence(got), from.name() + " -> " + to.name());
            }
            LocalCluster.Member a = c.get(0);
            // gw0's own tunnel to gw4, and the return tunnel to gw2 it adopted from gw2's reverse_params
            assertEquals(2, a.node().slotsInUse());

            // gw4 leaves: everyone drops it from the view, gw0 closes its session and frees the slot
            c.get(4).node().close();
            eventually(() -> a.node().clusterGateways().size() == 3, 30_000, "gw0 sees gw4 gone");
            eventually(() -> a.node().slotsInUse() == 1, 10_000, "gw0 released its slot towards gw4");
            assertEquals(1, a.inspection().keySlotsInUse(), "its key is wiped; the tunnel to gw2 stays");
            // traffic to the gone gateway's VIP now misses and finds nobody: a counted drop, no request
            a.host().send(udp(a.vip(), c.get(4).vip(), 99));
            eventually(() -> a.node().stats().dropped(io.pspgateway.control.GatewayStats.HoldDrop.NO_PEER) == 1, 10_000,
                    "a counted drop for the gone VIP");
        }
    }

    @Test
    void aCrashedGatewayIsDownedBySplitBrainResolutionAndHoldsNoSlotsAnywhereAfterwards() throws Exception {
        // the victim's ActorSystem stops without leaving the cluster: the others must notice and down it
        var crashy = ConfigFactory.parseString("""
                pekko.coordinated-shutdown.run-by-actor-system-terminate = off
                pekko.cluster.split-brain-resolver.stable-after = 1s
                pekko.cluster.failure-detector.heartbeat-interval = 200ms
                pekko.cluster.failure-detector.acceptable-heartbeat-pause = 1s
                """);
        try (LocalCluster c = LocalCluster.startClustered(3, 3, crashy)) {
            for (int i = 0; i < 3; i++) {
                LocalCluster.Member m = c.get(i);
                eventually(() -> m.node().clusterGateways().size() == 2, 30_000, m.name() + " sees the 2 others");
            }
            LocalCluster.Member a = c.get(0);
            LocalCluster.Member b = c.get(1);
            LocalCluster.Member victim = c.get(2);
            a.host().send(udp(a.vip(), victim.vip(), 1));
            b.host().send(udp(b.vip(), victim.vip(), 2));
            int received = 0;
            while (received < 2 && victim.host().take(10_000) != null) {
                received++;
            }
            assertEquals(2, received, "both survivors reached the victim before the crash");
            assertEquals(1, a.node().slotsInUse());
            assertEquals(1, b.node().slotsInUse());
            // the victim asks a for a tunnel of its own: a grants it an SPI and opens its ACL
            victim.host().send(udp(victim.vip(), a.vip(2), 9));
            byte[] atA = a.host().take(10_000);
            assertEquals(9, atA == null ? -1 : sequence(atA), "the victim reached a");
            eventually(() -> a.node().ingressGrants() == 2 && a.inspection().ingressAclCount() == 2, 5_000,
                    "a holds two grants to the victim: the reverse SPI it handed it, and the SPI of its request");

            c.network().detach(victim.physical());
            victim.node().close();
            for (LocalCluster.Member m : new LocalCluster.Member[] {a, b}) {
                eventually(() -> m.node().clusterGateways().size() == 1, 30_000, m.name() + " has the victim downed and removed");
                eventually(() -> m.node().slotsInUse() == 0, 10_000, m.name() + " released its slot towards the victim");
                assertEquals(0, m.inspection().keySlotsInUse(), m.name() + " holds no key for the victim");
                eventually(() -> m.node().ingressGrants() == 0 && m.inspection().ingressAclCount() == 0, 5_000,
                        m.name() + " closed every ingress ACL for the victim's SPIs (granted, and minted as reverse_params)");
            }
            // the survivors still reach each other
            a.host().send(udp(a.vip(), b.vip(), 3));
            byte[] got = b.host().take(10_000);
            assertEquals(3, got == null ? -1 : sequence(got));

            // the victim's workloads come back on b: traffic to its VIPs resumes through the new owner
            b.node().announce(VipPrefixes.parse(java.util.List.of("10.2.0.0/24", "10.3.0.0/24")));
            byte[] resumed = null;
            long deadline = System.nanoTime() + 30_000_000_000L;
            for (int seq = 4; resumed == null && System.nanoTime() < deadline; seq++) {
                a.host().send(udp(a.vip(), victim.vip(), seq));
                resumed = b.host().take(200);
            }
            assertTrue(resumed != null, "traffic to the crashed gateway's VIP resumed through its new owner");
        }
    }

    @Test
    void aGatewayRestartedOnTheSameAddressesIsANewIncarnationThatPeersReTunnelTo() throws Exception {
        var crashy = ConfigFactory.parseString("pekko.coordinated-shutdown.run-by-actor-system-terminate = off");
        try (LocalCluster c = LocalCluster.startClustered(3, 3, crashy)) {
            for (int i = 0; i < 3; i++) {
                LocalCluster.Member m = c.get(i);
                eventually(() -> m.node().clusterGateways().size() == 2, 30_000, m.name() + " sees the 2 others");
            }
            LocalCluster.Member a = c.get(0);
            a.host().send(udp(a.vip(), c.get(2).vip(), 1));
            byte[] first = c.get(2).host().take(10_000);
            assertEquals(1, first == null ? -1 : sequence(first), "delivered to the first incarnation");

            // gw2 crashes and comes back at once on the same addresses (its Artery on another port), with new master keys
            c.get(2).node().close();
            LocalCluster.Member again = c.restart(2);
            eventually(() -> again.node().clusterGateways().size() == 2, 60_000, "the new incarnation joined");
            // a must not go on sending with SPIs of the old incarnation: it re-tunnels, and packets arrive
            byte[] arrived = null;
            long deadline = System.nanoTime() + 30_000_000_000L;
            for (int seq = 2; arrived == null && System.nanoTime() < deadline; seq++) {
                a.host().send(udp(a.vip(), again.vip(), seq));
                arrived = again.host().take(200);
            }
            assertTrue(arrived != null, "traffic reached the new incarnation");
            assertEquals(1, a.node().slotsInUse(), "the old incarnation's session is gone, one tunnel to the new one");
        }
    }

    @Test
    void whenAVipMovesToAnotherGatewaySendersReTunnelToTheNewOwner() throws Exception {
        try (LocalCluster c = LocalCluster.startClustered(3, 3, ConfigFactory.empty())) {
            for (int i = 0; i < 3; i++) {
                LocalCluster.Member m = c.get(i);
                eventually(() -> m.node().clusterGateways().size() == 2, 30_000, m.name() + " sees the 2 others");
            }
            LocalCluster.Member a = c.get(0);
            LocalCluster.Member oldOwner = c.get(1);
            LocalCluster.Member newOwner = c.get(2);
            java.net.InetAddress moving = oldOwner.vip();
            a.host().send(udp(a.vip(), moving, 1));
            byte[] first = oldOwner.host().take(10_000);
            assertEquals(1, first == null ? -1 : sequence(first), "delivered to the first owner");

            // the workload behind 10.2.0.1 moves from gw1 to gw2
            oldOwner.node().announce(VipPrefixes.none());
            newOwner.node().announce(VipPrefixes.parse(java.util.List.of("10.3.0.0/24", "10.2.0.0/24")));

            // keep sending; every packet goes to one owner or is counted, until the new owner gets one
            byte[] atNewOwner = null;
            int sent = 1;
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (atNewOwner == null && System.nanoTime() < deadline) {
                a.host().send(udp(a.vip(), moving, ++sent));
                atNewOwner = newOwner.host().take(100);
            }
            assertTrue(atNewOwner != null, "traffic to the moved VIP reached its new owner");
            int deliveredAtOld = 1;
            while (oldOwner.host().take(200) != null) {
                deliveredAtOld++;
            }
            int deliveredAtNew = 1;
            while (newOwner.host().take(200) != null) {
                deliveredAtNew++;
            }
            var stats = a.node().stats();
            eventually(() -> stats.delivered() + stats.droppedTotal() == stats.held(), 10_000, "held packets accounted for");
            long dataplaneDrops = a.dataplane().counters().droppedTotal();
            assertEquals(sent, deliveredAtOld + deliveredAtNew + stats.droppedTotal() + dataplaneDrops,
                    "every packet sent during the move was delivered once or counted as dropped: " + stats);
        }
    }
}
