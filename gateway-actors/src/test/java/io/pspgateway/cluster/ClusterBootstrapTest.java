package io.pspgateway.cluster;

import static io.pspgateway.cluster.ClusterDiscoveryTest.eventually;
import static io.pspgateway.psp.InnerPackets.udp;
import static io.pspgateway.psp.InnerPackets.sequence;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pspgateway.psp.InnerPackets;
import com.typesafe.config.ConfigFactory;
import io.pspgateway.control.LocalCluster;
import org.junit.jupiter.api.Test;

/** Gateways with no seed nodes form their cluster through Pekko Management Cluster Bootstrap. */
class ClusterBootstrapTest {

    @Test
    void threeGatewaysWithoutSeedsFormOneClusterAndTunnel() throws Exception {
        // bootstrap's defaults wait 5 s for the contact points to be stable; 1 s keeps the test short
        var quick = ConfigFactory.parseString("""
                pekko.management.cluster.bootstrap.contact-point-discovery.stable-margin = 1s
                pekko.management.cluster.bootstrap.contact-point-discovery.interval = 500ms
                """);
        try (LocalCluster c = LocalCluster.startBootstrapped(3, 3, quick)) {
            for (int i = 0; i < 3; i++) {
                LocalCluster.Member m = c.get(i);
                eventually(() -> m.node().clusterMembersUp() == 3, 60_000, m.name() + " sees 3 members Up");
                eventually(() -> m.node().clusterGateways().size() == 2, 30_000, m.name() + " sees the 2 other gateways");
            }
            LocalCluster.Member a = c.get(0);
            LocalCluster.Member b = c.get(2);
            a.host().send(udp(a.vip(), b.vip(), 7));
            byte[] got = b.host().take(10_000);
            assertEquals(7, got == null ? -1 : sequence(got), "a tunnel on demand between bootstrapped gateways");
        }
    }

    @Test
    void seedNodesAndBootstrapTogetherAreRefused() {
        var both = ConfigFactory.parseString("pekko.cluster.seed-nodes = [\"pekko://pspgw@127.0.0.1:1\"]");
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> LocalCluster.startBootstrapped(1, 1, both).close());
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("both set"), e.getMessage());
    }
}
