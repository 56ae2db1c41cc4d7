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
        // two: IPv6 has one loopback address, and a tunnel file names one peer per address
        try (LocalCluster c = LocalCluster.startOverIpv6(2, 3)) {
            assertTrue(c.get(0).physical() instanceof Inet6Address);
            assertEquals("[::1]:" + c.grpc(1).getPort(), IpText.of(c.grpc(1)));
            assertTrue(c.tls(0).isPresent(), "over mutual TLS");
            assertEveryPairDelivers(c);
            for (LocalCluster.Member m : c.members()) {
                assertEquals(1, m.node().stats().tunnelsUp(), m.name() + ": a tunnel to the other");
                assertEquals(0, m.node().stats().droppedTotal(), m.name() + " dropped nothing");
            }
        }
    }

    @Test
    void aGatewayWhoseCertificateNamesAnotherAddressIsNeitherCalledNorServed(@TempDir Path dir) throws Exception {
        Certificates.Issued ca = Certificates.newAuthority("test CA", Duration.ofDays(1));
        // gateway 0 is dialled at [::1], as its certificate says; gateway 1's certificate names another address
        List<GrpcTls> tls = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            InetAddress san = InetAddress.ofLiteral(i == 0 ? "::1" : "2001:db8::99");
            tls.add(CertificatesTest.material(dir, ca, "gw" + i, List.of(san)));
        }
        try (LocalCluster c = LocalCluster.startOverIpv6(2, 3, tls::get)) {
            LocalCluster.Member a = c.get(0);
            LocalCluster.Member impostor = c.get(1);
            a.host().send(InnerPackets.udp(a.vip(), impostor.vip(), 1));
            OnDemandTunnelTest.eventually(() -> a.node().stats().droppedTotal() == 1, "the tunnel to gw1 failed");
            assertEquals(null, impostor.host().take(500), "nothing reached the server whose certificate names another address");
            assertEquals(0, impostor.inspection().ingressAclCount(), "it granted nothing: the request never reached it");
            // and called by it, gateway 0 sees a certificate for an address that is none of its peers'
            impostor.host().send(InnerPackets.udp(impostor.vip(), a.vip(), 2));
            OnDemandTunnelTest.eventually(() -> a.node().stats().denied(Authorizer.Denial.UNKNOWN_CALLER) >= 1,
                    "gw0 refused a caller it cannot identify");
            assertEquals(0, a.node().stats().tunnelsUp() + impostor.node().stats().tunnelsUp());
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
