package io.pspgateway.control;

import static io.pspgateway.control.OnDemandTunnelTest.assertEveryPairDelivers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.psp.InnerPackets;
import io.pspgateway.psp.IpText;
import io.pspgateway.tls.Certificates;
import io.pspgateway.tls.CertificatesTest;
import io.pspgateway.tls.GrpcTls;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    void overMutualTlsServerCertificatesWithIpv6SansVerifyAndOneForAnotherAddressGetsNothing(@TempDir Path dir) throws Exception {
        Certificates.Issued ca = Certificates.newAuthority("test CA", Duration.ofDays(1));
        // gateways 0 and 1 dial each other at [::1]; gateway 2's certificate names another address
        List<Optional<GrpcTls>> tls = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            InetAddress san = InetAddress.ofLiteral(i < 2 ? "::1" : "2001:db8::99");
            tls.add(Optional.of(CertificatesTest.material(dir, ca, "gw" + i, List.of(san))));
        }
        try (LocalCluster c = LocalCluster.startOverIpv6(3, 3, tls::get)) {
            LocalCluster.Member a = c.get(0);
            LocalCluster.Member b = c.get(1);
            LocalCluster.Member impostor = c.get(2);
            a.host().send(InnerPackets.udp(a.vip(), b.vip(), 1));
            assertEquals(1, InnerPackets.sequence(b.host().take(10_000)), "a tunnel over TLS, the server's IPv6 SAN verified");
            a.host().send(InnerPackets.udp(a.vip(), impostor.vip(), 2));
            OnDemandTunnelTest.eventually(() -> a.node().stats().droppedTotal() == 1, "the tunnel to gw2 failed");
            assertEquals(null, impostor.host().take(500), "nothing reached the server whose certificate names another address");
            assertEquals(0, impostor.inspection().ingressAclCount(), "it granted nothing: the request never reached it");
            assertEquals(1, a.node().stats().tunnelsUp());
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
