package io.pspgateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pspgateway.psp.InnerPackets;
import io.pspgateway.tls.Certificates;
import io.pspgateway.tls.GrpcTls;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;

/**
 * A gateway's certificate replaced while it runs: a new connection is handed the new certificate,
 * and the tunnel set up before keeps carrying packets.
 */
class LiveCertificateTest {
    private static final Certificates.Issued CA = Certificates.newAuthority("live certificate test CA", Duration.ofDays(1));

    private static Certificates.Issued issue(int gateway) {
        return Certificates.issue(CA, "gw" + gateway, List.of(InetAddress.ofLiteral("127.0.0." + (gateway + 1))), Duration.ofDays(1));
    }

    /** The certificate a new TLS connection to {@code server} is shown, connecting with {@code client}'s material. */
    private static X509Certificate presentedBy(InetSocketAddress server, GrpcTls client) throws Exception {
        try (SSLSocket socket = (SSLSocket) client.clientContext(Optional.empty()).getSocketFactory()
                .createSocket(server.getAddress(), server.getPort())) {
            socket.startHandshake();
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }

    @Test
    void aNewConnectionGetsTheNewCertificateWhileTheOldTunnelCarriesTraffic() throws Exception {
        GrpcTls[] materials = new GrpcTls[2];
        try (LocalCluster c = LocalCluster.startWithTls(2, 1, i -> {
            Certificates.Issued own = issue(i);
            try {
                return materials[i] = GrpcTls.of(List.of(CA.certificate()), List.of(own.certificate()), own.key());
            } catch (GeneralSecurityException e) {
                throw new AssertionError(e);
            }
        })) {
            LocalCluster.Member a = c.get(0);
            LocalCluster.Member b = c.get(1);
            a.host().send(InnerPackets.udp(a.vip(), b.vip(), 1));
            assertEquals(1, InnerPackets.sequence(b.host().take(10_000)), "the tunnel is up");
            X509Certificate old = presentedBy(c.grpc(1), materials[0]);

            Certificates.Issued renewed = issue(1);
            materials[1].replace(List.of(CA.certificate()), List.of(renewed.certificate()), renewed.key());

            X509Certificate now = presentedBy(c.grpc(1), materials[0]);
            assertEquals(renewed.certificate().getSerialNumber(), now.getSerialNumber(), "a new connection gets the new certificate");
            assertEquals(false, old.getSerialNumber().equals(now.getSerialNumber()));
            for (int seq = 2; seq <= 4; seq++) {
                a.host().send(InnerPackets.udp(a.vip(), b.vip(), seq));
                assertEquals(seq, InnerPackets.sequence(b.host().take(10_000)), "the tunnel set up before goes on");
            }
            // the way back, which gateway 1 adopted from the reverse parameters before the replacement
            b.host().send(InnerPackets.udp(b.vip(), a.vip(), 9));
            assertEquals(9, InnerPackets.sequence(a.host().take(10_000)), "the return direction");
        }
    }
}
