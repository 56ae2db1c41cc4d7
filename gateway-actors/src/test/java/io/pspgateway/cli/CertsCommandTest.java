package io.pspgateway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.tls.GrpcTls;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pspgw certs ca / issue: the files they write load as the gateway's TLS material; bad input is a clear error. */
class CertsCommandTest {
    @TempDir
    Path dir;

    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Cli.run(err, args);
    }

    @Test
    void aCaAndAGatewayCertificateLoadAsTlsMaterial() throws Exception {
        Path ca = dir.resolve("ca");
        Path gw = dir.resolve("gw1");
        assertEquals(0, run("certs", "ca", "--out", ca.toString()), err.toString());
        assertEquals(0, run("certs", "issue", "--ca", ca.toString(), "--name", "gw1", "--ip", "2001:db8::1", "--ip", "198.51.100.1",
                "--out", gw.toString()), err.toString());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(ca.resolve("ca-key.pem"))));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(gw.resolve("gw1-key.pem"))));
        GrpcTls tls = GrpcTls.load(ca.resolve("ca.pem"), gw.resolve("gw1.pem"), gw.resolve("gw1-key.pem"));
        assertTrue(tls.certificate().getSubjectAlternativeNames().toString().contains("2001:db8:0:0:0:0:0:1"));
        assertEquals(java.util.List.of(), io.pspgateway.tls.Certificates.vipPrefixes(tls.certificate()), "no --vip-prefix: none may be announced");

        Path announcing = dir.resolve("gw2");
        assertEquals(0, run("certs", "issue", "--ca", ca.toString(), "--name", "gw2", "--ip", "198.51.100.2", "--vip-prefix", "10.2.0.0/24",
                "--vip-prefix", "fd00:2::/64", "--out", announcing.toString()), err.toString());
        GrpcTls gw2 = GrpcTls.load(ca.resolve("ca.pem"), announcing.resolve("gw2.pem"), announcing.resolve("gw2-key.pem"));
        assertEquals(java.util.List.of("10.2.0.0/24", "fd00:2::/64"), io.pspgateway.tls.Certificates.vipPrefixes(gw2.certificate()),
                "the prefixes it may announce, read back from the certificate");

        String before = Files.readString(gw.resolve("gw1-key.pem"));
        assertEquals(2, run("certs", "issue", "--ca", ca.toString(), "--name", "gw1", "--ip", "::1", "--out", gw.toString()));
        assertTrue(err.toString().contains("exists: not overwritten"), err.toString());
        assertEquals(before, Files.readString(gw.resolve("gw1-key.pem")), "the existing key is untouched");
    }

    @Test
    void badInputIsAClearErrorAndWritesNothing() {
        assertEquals(2, run("certs", "issue", "--ca", dir.resolve("none").toString(), "--name", "gw1", "--ip", "::1",
                "--out", dir.resolve("out").toString()));
        assertTrue(err.toString().contains("make one with: pspgw certs ca"), err.toString());
        assertEquals(0, run("certs", "ca", "--out", dir.resolve("ca").toString()), err.toString());
        assertEquals(2, run("certs", "issue", "--ca", dir.resolve("ca").toString(), "--name", "gw1", "--ip", "2001:db8::zz",
                "--out", dir.resolve("out").toString()));
        assertTrue(err.toString().contains("--ip: '2001:db8::zz' is not an IP address"), err.toString());
        assertEquals(2, run("certs", "issue", "--ca", dir.resolve("ca").toString(), "--name", "not a name", "--ip", "::1",
                "--out", dir.resolve("out").toString()));
        assertTrue(err.toString().contains("--name must be a DNS name"), err.toString());
        assertEquals(2, run("certs", "issue", "--ca", dir.resolve("ca").toString(), "--name", "gw1", "--ip", "::1",
                "--vip-prefix", "10.2.0.0/33", "--out", dir.resolve("out").toString()));
        assertTrue(err.toString().contains("--vip-prefix '10.2.0.0/33': prefix length must be 0-32"), err.toString());
        assertTrue(!Files.exists(dir.resolve("out")), "nothing written");
    }

    @Test
    void theGatewayRefusesHalfTheTlsFlagsAndMaterialThatDoesNotLoad() throws Exception {
        assertEquals(2, run("--uplink-ip", "2001:db8::1", "--tls-ca", dir.resolve("ca.pem").toString()));
        assertTrue(err.toString().contains("--tls-ca, --tls-cert and --tls-key go together"), err.toString());
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not pem");
        assertEquals(2, run("--uplink-ip", "2001:db8::1", "--tls-ca", garbage.toString(), "--tls-cert", garbage.toString(),
                "--tls-key", garbage.toString()));
        assertTrue(err.toString().contains("--tls-ca " + garbage + ": no certificate in it"), err.toString());
    }
}
