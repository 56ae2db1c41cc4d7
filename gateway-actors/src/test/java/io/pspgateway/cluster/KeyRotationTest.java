package io.pspgateway.cluster;

import static io.pspgateway.cluster.ClusterDiscoveryTest.eventually;
import static io.pspgateway.psp.InnerPackets.udp;
import static io.pspgateway.psp.InnerPackets.sequence;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.psp.InnerPackets;
import com.typesafe.config.ConfigFactory;
import io.pspgateway.control.KeyRotator;
import io.pspgateway.control.LocalCluster;
import io.pspgateway.dataplane.DropReason;
import org.junit.jupiter.api.Test;

/**
 * Master-key rotation while tunnels are in use: senders learn of each rotation — from the cluster,
 * or between gateways of the tunnel file from the rotating gateway's re-key call — and re-key
 * before the next one retires their SPI's key, so no packet fails authentication; the ACLs of
 * retired keys are closed; rotations too close together are refused.
 */
class KeyRotationTest {
    private static final long MIN_INTERVAL_MS = 1_500;

    private static final com.typesafe.config.Config QUICK_ROTATIONS =
            ConfigFactory.parseString("pspgw.keys.min-rotation-interval = " + MIN_INTERVAL_MS + "ms");

    @Test
    void tunnelsSurviveTwoRotationsOnEitherSideAndRetiredKeysLeaveNoAcls() throws Exception {
        try (LocalCluster c = LocalCluster.startClustered(2, 2, QUICK_ROTATIONS)) {
            for (LocalCluster.Member m : c.members()) {
                eventually(() -> m.node().clusterGateways().size() == 1, 30_000, m.name() + " sees the other");
            }
            rotateTwiceOnEitherSide(c);
        }
    }

    @Test
    void gatewaysOfTheTunnelFileAreToldOfEachRotationAndReKeyInTime() throws Exception {
        // no cluster to carry the news: the rotating gateway calls its file's peers (GatewayKeys, over mutual TLS)
        try (LocalCluster c = LocalCluster.start(2, 2, i -> io.pspgateway.dataplane.soft.SoftDataplaneSettings.defaults(), QUICK_ROTATIONS)) {
            rotateTwiceOnEitherSide(c);
        }
    }

    private static void rotateTwiceOnEitherSide(LocalCluster c) throws Exception {
        LocalCluster.Member a = c.get(0);
        LocalCluster.Member b = c.get(1);
        // a asks b for a -> b and hands over its reverse parameters: b's return tunnel is a's SPI
        int seq = 0;
        seq = deliver(a, b, seq);
        seq = deliver(b, a, seq);
        assertEquals(1, b.node().ingressGrants(), "b granted a's request");

        // b rotates: a's SPI is now of b's previous key and must be replaced before the next rotation
        assertTrue(b.node().rotateMasterKey().done());
        KeyRotator.Rotated tooSoon = b.node().rotateMasterKey();
        assertFalse(tooSoon.done(), "a second rotation right after the first is refused");
        assertTrue(tooSoon.refused().contains("min-rotation-interval"), tooSoon.refused());
        io.pspgateway.dataplane.FlowKey ab = io.pspgateway.dataplane.FlowKey.of(a.vip(), b.vip());
        int firstSpi = a.inspection().encryptEntrySpi(ab).orElseThrow();
        eventually(() -> a.node().stats().tunnelsRekeyed() == 1, 10_000, "a re-keyed its tunnel to b");
        int secondSpi = a.inspection().encryptEntrySpi(ab).orElseThrow();
        assertTrue(secondSpi != firstSpi && secondSpi < 0, "the SPI on the wire is one of b's generation-1 key (bit 31 set): "
                + Integer.toHexString(firstSpi) + " -> " + Integer.toHexString(secondSpi));
        assertEquals(0, b.node().stats().tunnelsRekeyed(), "b's tunnel uses a's keys, which did not rotate");
        seq = deliver(a, b, seq);

        // the second rotation retires the key a's first SPI was minted under
        Thread.sleep(MIN_INTERVAL_MS);
        assertTrue(b.node().rotateMasterKey().done());
        eventually(() -> a.node().stats().tunnelsRekeyed() == 2, 10_000, "a re-keyed again after b's second rotation");
        int thirdSpi = a.inspection().encryptEntrySpi(ab).orElseThrow();
        assertTrue(thirdSpi != firstSpi && thirdSpi >= 0, "an SPI of b's generation-2 key (bit 31 clear), not the first one: "
                + Integer.toHexString(thirdSpi));
        // b's grants: the first SPI's (retired, closed), the previous key's (kept until the next
        // rotation: a may still be switching) and the active key's
        eventually(() -> b.node().ingressGrants() == 2, 5_000, "the grant of the retired key is closed");
        assertEquals(2, b.inspection().ingressAclCount(), "b lets in only a's SPIs of its two live keys");
        seq = deliver(a, b, seq);

        // now a rotates twice: b's return tunnel runs on the reverse SPI a minted, under a's first key
        assertTrue(a.node().rotateMasterKey().done());
        eventually(() -> b.node().stats().tunnelsRekeyed() == 1, 10_000, "b re-keyed its return tunnel");
        Thread.sleep(MIN_INTERVAL_MS);
        assertTrue(a.node().rotateMasterKey().done());
        eventually(() -> b.node().stats().tunnelsRekeyed() == 2, 10_000, "b re-keyed again");
        // a's ACLs: b's two re-keyed SPIs; the reverse SPI a handed b, of a's retired key, is closed
        eventually(() -> a.node().ingressGrants() == 2 && a.inspection().ingressAclCount() == 2, 5_000,
                "a closed the retired reverse SPI's ACL");
        seq = deliver(b, a, seq);
        deliver(a, b, seq);

        for (LocalCluster.Member m : c.members()) {
            assertEquals(0, m.dataplane().counters().dropped(DropReason.INGRESS_AUTH_FAILED),
                    m.name() + ": no packet arrived under a retired key");
            assertEquals(0, m.node().stats().rekeysFailed(), m.name());
            assertEquals(1, m.node().slotsInUse(), m.name() + ": re-keying reused the session's crypto slot");
        }
    }

    /** Sends 20 packets from {@code from} to {@code to} and expects every one to arrive, in order. */
    private static int deliver(LocalCluster.Member from, LocalCluster.Member to, int seq) throws Exception {
        for (int i = 0; i < 20; i++) {
            from.host().send(udp(from.vip(), to.vip(), seq + i));
        }
        for (int i = 0; i < 20; i++) {
            byte[] got = to.host().take(10_000);
            assertEquals(seq + i, got == null ? -1 : sequence(got), from.name() + " -> " + to.name());
        }
        return seq + 20;
    }
}
