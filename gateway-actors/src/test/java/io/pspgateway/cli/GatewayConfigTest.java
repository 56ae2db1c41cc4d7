package io.pspgateway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.pspgateway.tls.Certificates;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The composition root's reading of flags, tunnel file and HOCON: what each ends up as, and what is refused. */
class GatewayConfigTest {
    private static final String[] IPV4_UPLINK = {"--uplink-ip", "192.0.2.1", "--outer-ip-type", "ipv4", "--insecure-plaintext"};

    private static GatewayConfig config(String... args) {
        CommandLine cli = PspGatewayCommand.commandLine();
        cli.parseArgs(args);
        return GatewayConfig.from(((PspGatewayCommand) cli.getCommand()).options, cli);
    }

    @Test
    void aVfNameGivenToTheDocaBackendIsWarnedOfAsUnusedAndNotOtherwise() {
        String warning = "-d/--vf-name pf0vf0 is not used by --backend doca: its unsecured port is the VF representor (-r)";
        assertTrue(config(with("--backend", "doca", "-d", "pf0vf0")).warnings().contains(warning), "warned");
        assertTrue(config(with("--backend", "doca")).warnings().stream().noneMatch(w -> w.contains("--vf-name")), "the default is not the user's");
        assertTrue(config(with("-d", "pf0vf0")).warnings().stream().noneMatch(w -> w.contains("--vf-name")), "the soft backend uses it");
    }

    private static String[] with(String... more) {
        String[] out = Arrays.copyOf(IPV4_UPLINK, IPV4_UPLINK.length + more.length);
        System.arraycopy(more, 0, out, IPV4_UPLINK.length, more.length);
        return out;
    }

    @Test
    void theDefaultsNameEveryAbsenceAndPlaintextIsWarnedOf() {
        GatewayConfig c = config(IPV4_UPLINK);
        assertEquals(GatewayOptions.BackendKind.soft, c.backendKind());
        DataplaneConfig d = c.dataplane();
        assertEquals(256, d.keySlots());
        assertEquals(4, d.innerIpVersion());
        assertTrue(d.ingressAcl());
        assertEquals("psp0", d.unsecuredPort());
        assertEquals(new InetSocketAddress("192.0.2.1", 1000), d.psp());
        assertEquals(new DataplaneConfig.Queues(1, 64, 4096, true), d.queues());
        DataplaneConfig.DocaFlags doca = d.doca();
        assertEquals(new DataplaneConfig.DocaFlags(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), false, java.nio.file.Path.of("/opt/mellanox/doca/lib/x86_64-linux-gnu"), doca.dpdkShim(), java.util.List.of(), 0, 2,
                java.time.Duration.ofMillis(1)), doca);
        assertTrue(doca.dpdkShim().endsWith("dataplane-native/target/native/libpspgw_dpdk.so"), "the shim the build makes: " + doca.dpdkShim());
        assertEquals(io.pspgateway.psp.PspMode.TUNNEL, d.mode());
        assertTrue(!d.cookie());
        assertTrue(c.gateway().cluster().isEmpty());
        assertTrue(c.gateway().cookie().isEmpty());
        assertTrue(c.gateway().tls().isEmpty());
        assertEquals(new InetSocketAddress("0.0.0.0", 3000), c.gateway().grpcBind());
        assertTrue(c.warnings().stream().anyMatch(w -> w.contains("plaintext")), c.warnings().toString());
    }

    @Test
    void flagsReachTheirPlaces() {
        GatewayConfig c = config(with("--cookie", "-x", "1024", "--sample-rate", "3", "-a", "--inner-ip-type", "ipv6",
                "-p", "03:00.0", "--maintain-order", "--cluster-port", "25520", "--gateway-id", "gw-a"));
        assertTrue(c.gateway().cookie().isPresent());
        assertEquals(12, c.gateway().cryptOffsetWords(), "IPv6 inner header plus the cookie");
        assertEquals(1024, c.dataplane().keySlots());
        assertEquals(3, c.dataplane().sampleLog2());
        assertEquals(false, c.dataplane().ingressAcl());
        assertEquals(6, c.dataplane().innerIpVersion());
        assertEquals(Optional.of("03:00.0"), c.dataplane().doca().pciAddress());
        assertTrue(c.dataplane().doca().maintainOrder());
        assertEquals("gw-a", c.gateway().cluster().orElseThrow().gatewayId());
        assertEquals(25520, c.pekko().getInt("pekko.remote.artery.canonical.port"));
        assertTrue(c.warnings().stream().anyMatch(w -> w.contains("The cluster (Artery) runs in plaintext too")
                && w.contains("VIP claims are unauthenticated")), "a plaintext cluster is warned of: " + c.warnings());
        assertTrue(config(IPV4_UPLINK).warnings().stream().noneMatch(w -> w.contains("Artery")), "no cluster, no word of it");
    }

    @Test
    void queuesComeFromHoconAndAreChecked() {
        System.setProperty("pspgw.dataplane.workers", "4");
        System.setProperty("pspgw.dataplane.offloads", "off");
        ConfigFactory.invalidateCaches();
        try {
            assertEquals(4, config(IPV4_UPLINK).dataplane().queues().workers());
            assertEquals(false, config(IPV4_UPLINK).dataplane().queues().offloads(), "offloads forced off");
            System.setProperty("pspgw.dataplane.workers", "0");
            ConfigFactory.invalidateCaches();
            CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class, () -> config(IPV4_UPLINK));
            assertEquals("pspgw.dataplane.workers must be 1-64, got 0", e.getMessage());
        } finally {
            System.clearProperty("pspgw.dataplane.workers");
            System.clearProperty("pspgw.dataplane.offloads");
            ConfigFactory.invalidateCaches();
        }
    }

    @Test
    void overTlsAClusteredGatewaysIdMustBeADnsNameOfItsCertificate(@TempDir Path dir)
            throws Exception {
        Certificates.Issued ca = Certificates.newAuthority("test CA", Duration.ofDays(1));
        Certificates.Issued own = Certificates.issue(ca, "gw-east",
                List.of(InetAddress.ofLiteral("192.0.2.1")), Duration.ofDays(1));
        Certificates.write(ca, dir.resolve("ca.pem"), dir.resolve("ca-key.pem"));
        Certificates.write(own, dir.resolve("gw.pem"), dir.resolve("gw-key.pem"));
        String[] tls = {"--uplink-ip", "192.0.2.1", "--outer-ip-type", "ipv4", "--tls-ca", dir.resolve("ca.pem").toString(),
                "--tls-cert", dir.resolve("gw.pem").toString(), "--tls-key", dir.resolve("gw-key.pem").toString(), "--cluster-port", "25520"};
        assertEquals("gw-east", config(concat(tls, "--gateway-id", "gw-east")).gateway().cluster().orElseThrow().gatewayId());
        CommandLine.ParameterException wrong = assertThrows(CommandLine.ParameterException.class,
                () -> config(concat(tls, "--gateway-id", "gw-west")));
        assertTrue(wrong.getMessage().contains("gw.pem: gateway id gw-west is not a DNS name of the certificate (its DNS names: [gw-east])"),
                wrong.getMessage());
        assertThrows(CommandLine.ParameterException.class, () -> config(tls), "the default id, the uplink's address, is no DNS name");

        // what it announces must be what its certificate allows (here: nothing)
        CommandLine.ParameterException unannounceable = assertThrows(CommandLine.ParameterException.class,
                () -> config(concat(tls, "--gateway-id", "gw-east", "--vip-prefix", "10.9.0.0/24")));
        assertTrue(unannounceable.getMessage().contains("would announce 10.9.0.0/24") && unannounceable.getMessage().contains("allows none"),
                unannounceable.getMessage());
        Certificates.Issued allowed = Certificates.issue(ca, "gw-east", List.of(InetAddress.ofLiteral("192.0.2.1")), List.of("10.9.0.0/16"),
                Duration.ofDays(1));
        Certificates.write(allowed, dir.resolve("gw2.pem"), dir.resolve("gw2-key.pem"));
        String[] announcing = {"--uplink-ip", "192.0.2.1", "--outer-ip-type", "ipv4", "--tls-ca", dir.resolve("ca.pem").toString(),
                "--tls-cert", dir.resolve("gw2.pem").toString(), "--tls-key", dir.resolve("gw2-key.pem").toString(), "--cluster-port", "25520",
                "--gateway-id", "gw-east", "--vip-prefix", "10.9.3.0/24"};
        assertEquals(List.of("10.9.3.0/24"), config(announcing).gateway().cluster().orElseThrow().vipPrefixes().asStrings(),
                "within its certificate's 10.9.0.0/16");
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
