package io.pspgateway.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.cluster.ClusterMembership;
import io.pspgateway.cluster.VipPrefixes;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** New TLS material while the gateway runs: when the files change, on SIGHUP; bad material refused; expiry warned of. */
class TlsReloaderTest {
    private static final Certificates.Issued CA = Certificates.newAuthority("reload test CA", Duration.ofDays(1));

    @TempDir
    Path dir;

    /** The gateway the material is for: gw1, announcing 10.1.0.0/24. */
    private static final ClusterMembership GW1 = new ClusterMembership("gw1", VipPrefixes.parse(List.of("10.1.0.0/24")));

    /** A certificate for gateway id {@code name} that allows 10.1.0.0/16. */
    private static Certificates.Issued issue(String name, Duration validity) {
        return Certificates.issue(CA, name, List.of(InetAddress.ofLiteral("192.0.2.1")), List.of("10.1.0.0/16"), validity);
    }

    /** Puts {@code issued} in place as an update does: each file written aside, then moved over the old one. */
    private void install(Certificates.Issued issued) throws Exception {
        for (String[] file : new String[][] {{"gw.pem", Certificates.pem(issued.certificate())}, {"gw-key.pem",
                Certificates.pem(issued.key())}}) {
            Path aside = dir.resolve(file[0] + ".new");
            Files.deleteIfExists(aside);
            Files.writeString(aside, file[1]);
            Files.move(aside, dir.resolve(file[0]), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    private GrpcTls loaded(Certificates.Issued first) throws Exception {
        Files.writeString(dir.resolve("ca.pem"), Certificates.pem(CA.certificate()));
        install(first);
        return GrpcTls.load(dir.resolve("ca.pem"), dir.resolve("gw.pem"), dir.resolve("gw-key.pem"));
    }

    private static BigInteger serial(GrpcTls tls) {
        return tls.certificate().getSerialNumber();
    }

    @Test
    void aCertificatePutInPlaceIsUsedWithoutARestart() throws Exception {
        Certificates.Issued first = issue("gw1", Duration.ofDays(30));
        GrpcTls tls = loaded(first);
        try (TlsReloader reloader = TlsReloader.start(tls, GW1::refusalUnder, true)) {
            Certificates.Issued second = issue("gw1", Duration.ofDays(30));
            install(second);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!serial(tls).equals(second.certificate().getSerialNumber())) {
                assertTrue(System.nanoTime() < deadline, "the new certificate was not picked up within 10 s");
                Thread.sleep(50);
            }
            assertEquals(TlsReloader.Outcome.UNCHANGED, reloader.reloadNow("a test"), "the same files read again");
        }
    }

    @Test
    void sighupReadsTheFilesAgainAndBadMaterialIsRefusedKeepingTheOld() throws Exception {
        Certificates.Issued first = issue("gw1", Duration.ofDays(30));
        GrpcTls tls = loaded(first);
        try (TlsReloader reloader = TlsReloader.start(tls, GW1::refusalUnder, false)) {
            reloader.reloadOnSighup();
            Certificates.Issued second = issue("gw1", Duration.ofDays(30));
            install(second);
            sun.misc.Signal.raise(new sun.misc.Signal("HUP"));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!serial(tls).equals(second.certificate().getSerialNumber())) {
                assertTrue(System.nanoTime() < deadline, "SIGHUP did not reload the certificate within 10 s");
                Thread.sleep(50);
            }

            install(issue("gw2", Duration.ofDays(30)));
            assertEquals(TlsReloader.Outcome.REFUSED, reloader.reloadNow("a test"), "a certificate for another gateway id");
            install(Certificates.issue(CA, "gw1", List.of(InetAddress.ofLiteral("192.0.2.1")), List.of("10.2.0.0/16"), Duration.ofDays(30)));
            assertEquals(TlsReloader.Outcome.REFUSED, reloader.reloadNow("a test"), "a certificate that does not allow what gw1 announces");
            Certificates.Issued otherCa = Certificates.newAuthority("another CA", Duration.ofDays(1));
            install(Certificates.issue(otherCa, "gw1", List.of(InetAddress.ofLiteral("192.0.2.1")), Duration.ofDays(30)));
            assertEquals(TlsReloader.Outcome.REFUSED, reloader.reloadNow("a test"), "a certificate of another CA");
            Files.writeString(dir.resolve("gw.pem"), "not a certificate");
            assertEquals(TlsReloader.Outcome.REFUSED, reloader.reloadNow("a test"), "garbage");
            assertEquals(second.certificate().getSerialNumber(), serial(tls), "the last good certificate stays in use");
        }
    }

    @Test
    void aCertificateExpiringWithinAWeekIsWarnedOf() {
        Instant now = Instant.now();
        Optional<String> soon = TlsReloader.expiryWarning(issue("gw1", Duration.ofDays(3)).certificate(), now);
        assertTrue(soon.isPresent() && soon.get().contains("expires at"), soon.toString());
        assertTrue(TlsReloader.expiryWarning(issue("gw1", Duration.ofDays(30)).certificate(), now).isEmpty());
        Optional<String> past = TlsReloader.expiryWarning(issue("gw1", Duration.ofDays(1)).certificate(), now.plus(Duration.ofDays(2)));
        assertTrue(past.isPresent() && past.get().contains("expired at"), past.toString());
    }
}
