package io.pspgateway.control;

import static io.pspgateway.control.OnDemandTunnelTest.assertEveryPairDelivers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.psp.IpText;
import java.net.Inet6Address;
import org.junit.jupiter.api.Test;

/**
 * The original's default outer type: gateways whose uplinks, gRPC servers and cluster addresses are
 * IPv6. The peer's gRPC server refused our requests when the HTTP/2 authority was an IPv6 literal
 * without brackets ("Illegal http2-authority-pseudo-header"); here every tunnel has to come up.
 */
class Ipv6UnderlayTest {
    @Test
    void gatewaysWithIpv6UplinksAndTunnelFilesTunnelToEachOther() throws Exception {
        try (LocalCluster c = LocalCluster.startOverIpv6(3, 3)) {
            assertTrue(c.get(0).physical() instanceof Inet6Address);
            assertEquals("[::1]:" + c.grpc(1).getPort(), IpText.of(c.grpc(1)));
            assertEveryPairDelivers(c);
            for (LocalCluster.Member m : c.members()) {
                assertEquals(2, m.node().stats().tunnelsUp(), m.name() + ": a tunnel to each of the two others");
                assertEquals(0, m.node().stats().droppedTotal(), m.name() + " dropped nothing");
            }
        }
    }

    @Test
    void aClusterOverIpv6SeedNodesDiscoversAndTunnels() throws Exception {
        try (LocalCluster c = LocalCluster.startClusteredOverIpv6(3, 3)) {
            c.awaitClusterViews(30_000);
            assertEveryPairDelivers(c);
        }
    }

    @Test
    void aClusterBootstrappedOverIpv6ContactPointsDiscoversAndTunnels() throws Exception {
        try (LocalCluster c = LocalCluster.startBootstrappedOverIpv6(3, 3)) {
            c.awaitClusterViews(60_000);
            assertEveryPairDelivers(c);
        }
    }
}
