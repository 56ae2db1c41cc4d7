package io.pspgateway.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class CertificatesTest {
    @TempDir
    Path dir;

    /**
     * One gateway's certificate from {@code ca} for {@code addresses}, written into {@code dir} as
     * pspgw certs writes them (the CA as NAME-ca.pem), and loaded as --tls-ca/--tls-cert/--tls-key load it.
     */
    public static GrpcTls material(Path dir, Certificates.Issued ca, String name, List<InetAddress> addresses) throws Exception {
        Certificates.Issued gw = Certificates.issue(ca, name, addresses, Duration.ofDays(1));
        Path caFile = dir.resolve(name + "-ca.pem");
        Certificates.writeNew(caFile, Certificates.pem(ca.certificate()), false);
        Certificates.write(gw, dir.resolve(name + ".pem"), dir.resolve(name + "-key.pem"));
        return GrpcTls.load(caFile, dir.resolve(name + ".pem"), dir.resolve(name + "-key.pem"));
    }

    @Test
    void aGatewayCertificateNamesItsAddressesAndIdAndServesBothEnds() throws Exception {
        Certificates.Issued ca = Certificates.newAuthority("test CA", Duration.ofDays(1));
        assertEquals(0, ca.certificate().getBasicConstraints(), "CA:true, pathLen 0");
        X509Certificate gw = material(dir, ca, "gw1", List.of(InetAddress.ofLiteral("2001:db8::1"), InetAddress.ofLiteral("198.51.100.1")))
                .certificate();
        gw.verify(ca.certificate().getPublicKey());
        assertEquals(-1, gw.getBasicConstraints(), "not a CA");
        assertEquals(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"), gw.getExtendedKeyUsage(), "serverAuth and clientAuth");
        String sans = gw.getSubjectAlternativeNames().toString();
        assertTrue(sans.contains("[2, gw1]"), "DNS SAN: " + sans);
        assertTrue(sans.contains("[7, 2001:db8:0:0:0:0:0:1]") && sans.contains("[7, 198.51.100.1]"), "IP SANs: " + sans);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("gw1-key.pem"))));
        assertTrue(Files.readString(dir.resolve("gw1-key.pem")).startsWith("-----BEGIN PRIVATE KEY-----"), "PKCS#8");
    }

    @Test
    void materialThatDoesNotFitIsRefusedByName() throws Exception {
        Certificates.Issued ca = Certificates.newAuthority("test CA", Duration.ofDays(1));
        Certificates.Issued other = Certificates.newAuthority("another CA", Duration.ofDays(1));
        material(dir, ca, "gw1", List.of(InetAddress.ofLiteral("::1")));
        Certificates.writeNew(dir.resolve("other-ca.pem"), Certificates.pem(other.certificate()), false);
        GrpcTls.TlsException wrongCa = assertThrows(GrpcTls.TlsException.class,
                () -> GrpcTls.load(dir.resolve("other-ca.pem"), dir.resolve("gw1.pem"), dir.resolve("gw1-key.pem")));
        assertTrue(wrongCa.getMessage().contains("not issued by the CA"), wrongCa.getMessage());
        GrpcTls.TlsException keyAsCert = assertThrows(GrpcTls.TlsException.class,
                () -> GrpcTls.load(dir.resolve("gw1-ca.pem"), dir.resolve("gw1-key.pem"), dir.resolve("gw1-key.pem")));
        assertTrue(keyAsCert.getMessage().contains("--tls-cert") && keyAsCert.getMessage().contains("no certificate"), keyAsCert.getMessage());
        GrpcTls.TlsException missing = assertThrows(GrpcTls.TlsException.class,
                () -> GrpcTls.load(dir.resolve("gw1-ca.pem"), dir.resolve("gw1.pem"), dir.resolve("nothing.pem")));
        assertTrue(missing.getMessage().contains("--tls-key: cannot read"), missing.getMessage());
        assertThrows(java.nio.file.FileAlreadyExistsException.class,
                () -> Certificates.writeNew(dir.resolve("gw1-key.pem"), "x", true), "never overwritten");
    }
}
