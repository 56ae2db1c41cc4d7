package io.pspgateway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The gateway's flags: the original's names and defaults, and clear errors for bad values. */
class GatewayCommandTest {
    @TempDir
    Path dir;

    private final StringWriter err = new StringWriter();

    private CommandLine parse(String... args) throws Exception {
        CommandLine cli = PspGatewayCommand.commandLine();
        cli.setErr(new PrintWriter(err, true));
        cli.parseArgs(JsonFlags.expand(args));
        return cli;
    }

    private GatewayOptions options(String... args) throws Exception {
        return ((PspGatewayCommand) parse(args).getCommand()).options;
    }

    private int run(String... args) {
        return Cli.run(err, args);
    }

    @Test
    void theOriginalsDefaults() throws Exception {
        GatewayOptions o = options();
        assertEquals(1, o.pspVersion);
        assertEquals(256, o.maxTunnels);
        assertEquals(0, o.sampleRate);
        assertEquals(GatewayOptions.IpType.ipv6, o.outerIpType);
        assertEquals(GatewayOptions.IpType.ipv4, o.innerIpType);
        assertEquals(io.pspgateway.psp.PspMode.TUNNEL, o.mode);
        assertEquals(null, o.cryptOffset, "derived from the inner type unless given");
    }

    @Test
    void clusterFlagsOverIpv6BecomeBracketedSeedUrisAndBareHostnames() throws Exception {
        GatewayOptions o = options("--uplink-ip", "2001:db8::1", "--cluster-port", "25520",
                "--cluster-seed", "[2001:db8:0:0:0:0:0:1]:25520", "--cluster-seed", "2001:db8::2", "--cluster-seed", "198.51.100.3:25521");
        com.typesafe.config.Config c = GatewayConfig.clusterOverrides(o, java.net.InetAddress.ofLiteral("2001:db8::1"));
        assertEquals(java.util.List.of("pekko://pspgw@[2001:db8::1]:25520", "pekko://pspgw@[2001:db8::2]:25520",
                "pekko://pspgw@198.51.100.3:25521"), c.getStringList("pekko.cluster.seed-nodes"));
        assertEquals("2001:db8::1", c.getString("pekko.remote.artery.canonical.hostname"));
        assertEquals(25520, c.getInt("pekko.remote.artery.canonical.port"));
        org.apache.pekko.actor.Address seed = org.apache.pekko.actor.AddressFromURIString.parse(c.getStringList("pekko.cluster.seed-nodes").get(1));
        assertEquals(java.util.Optional.of(25520), seed.getPort().map(Integer.class::cast));

        GatewayOptions boot = options("--uplink-ip", "2001:db8::1", "--cluster-port", "25520",
                "--cluster-bootstrap", "[2001:db8::2]:7626", "--cluster-bootstrap", "2001:db8::3");
        c = GatewayConfig.clusterOverrides(boot, java.net.InetAddress.ofLiteral("2001:db8::1"));
        assertEquals("bootstrap", c.getString("pspgw.cluster.join"));
        assertEquals("2001:db8::1", c.getString("pekko.management.http.hostname"));
        var endpoints = c.getConfigList("pekko.discovery.config.services.pspgw.endpoints");
        assertEquals("2001:db8::2", endpoints.get(0).getString("host"));
        assertEquals(7626, endpoints.get(1).getInt("port"));
        assertEquals(2, c.getInt("pekko.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"));
    }

    @Test
    void aBadClusterSeedIsAClearErrorNotACrash() {
        assertEquals(2, run("--uplink-ip", "2001:db8::1", "--cluster-port", "25520", "--cluster-seed", "[2001:db8::2"));
        assertTrue(err.toString().contains("--cluster-seed"), err.toString());
        assertTrue(err.toString().contains("missing ']'"), err.toString());
    }

    @Test
    void shortAndLongNamesOfTheOriginal() throws Exception {
        GatewayOptions o = options("-p", "03:00.0", "-r", "vf[0]", "-m", "0x3", "-d", "tun7", "-n", "aa:bb:cc:dd:ee:ff", "-a",
                "-x", "512", "-o", "7", "-z", "-k", "-c", "t.json", "-l", "60", "--cookie", "--sample-rate", "4",
                "--psp-version", "0", "--perf-print", "key-gen", "--mode", "transport", "--maintain-order");
        assertEquals("tun7", o.vfName);
        assertEquals(512, o.maxTunnels);
        assertEquals(7, o.cryptOffset);
        assertTrue(o.staticTunnels && o.disableIngressAcl && o.cookie && o.debugKeys && o.maintainOrder);
        assertEquals(GatewayOptions.PerfPrint.key_gen, o.perfPrint);
        assertEquals(io.pspgateway.psp.PspMode.TRANSPORT, o.mode);
    }

    @Test
    void flagsComeFromAJsonObjectAndTheCommandLineOverridesThem() throws Exception {
        Path flags = Files.writeString(dir.resolve("flags.json"),
                "{ \"max-tunnels\": 1024, \"static-tunnels\": true, \"vf-name\": \"psp9\", \"cookie\": false }");
        GatewayOptions o = options("-j", flags.toString(), "-d", "psp1");
        assertEquals(1024, o.maxTunnels);
        assertTrue(o.staticTunnels);
        assertEquals("psp1", o.vfName);
        assertTrue(!o.cookie);
        Path unknown = Files.writeString(dir.resolve("bad.json"), "{ \"max-tunnel\": 3 }");
        assertEquals(2, run(JsonFlags.expand(new String[] {"--json", unknown.toString()})));
        assertTrue(err.toString().contains("Unknown options: '--max-tunnel'"), err.toString());
    }

    @Test
    void badValuesNameTheFlagAndTheReason() {
        assertEquals(2, run("--uplink-ip", "192.0.2.1", "--outer-ip-type", "ipv4", "--sample-rate", "17"));
        assertTrue(err.toString().contains("--sample-rate must be 0-16, got 17"), err.toString());
        assertEquals(2, run("--uplink-ip", "192.0.2.1"));
        assertTrue(err.toString().contains("--outer-ip-type ipv6 does not match --uplink-ip 192.0.2.1"), err.toString());
        assertEquals(2, run());
        assertTrue(err.toString().contains("--uplink-ip is required"), err.toString());
        assertEquals(2, run("--uplink-ip", "2001:db8::1", "--psp-version", "2"));
        assertTrue(err.toString().contains("--psp-version must be 0 or 1, got 2"), err.toString());
        assertEquals(2, run("--uplink-ip", "nope"));
        assertTrue(err.toString().contains("--uplink-ip: 'nope' is not an IP address"), err.toString());
        assertEquals(2, run("--perf-print", "everything"));
        assertTrue(err.toString().contains("'everything' is not key-gen, insertion or all"), err.toString());
    }

    @Test
    void clusterFlagsAreCheckedTogether() {
        String[] base = {"--uplink-ip", "192.0.2.1", "--outer-ip-type", "ipv4"};
        assertEquals(2, run(concat(base, "--cluster-bootstrap", "192.0.2.2:7626")));
        assertTrue(err.toString().contains("--cluster-seed, --cluster-bootstrap, --vip-prefix and --gateway-id need --cluster-port"),
                err.toString());
        assertEquals(2, run(concat(base, "--cluster-port", "25520", "--cluster-seed", "192.0.2.2:25520",
                "--cluster-bootstrap", "192.0.2.2:7626")));
        assertTrue(err.toString().contains("--cluster-seed and --cluster-bootstrap exclude each other"), err.toString());
        assertEquals(2, run(concat(base, "--cluster-port", "25520", "--vip-prefix", "10.1.0.0/40")));
        assertTrue(err.toString().contains("--vip-prefix: '10.1.0.0/40': prefix length must be 0-32"), err.toString());
        assertEquals(2, run(concat(base, "--cluster-port", "25520", "--management-port", "0")));
        assertTrue(err.toString().contains("--management-port must be 1-65535, got 0"), err.toString());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void aBadTunnelFileIsAClearErrorBeforeAnythingStarts() throws Exception {
        Path t = Files.writeString(dir.resolve("t.json"), "{ \"peers\": [ { \"remote-grpc-address\": \"1.2.3.4\", \"x\": 1 } ] }");
        assertEquals(2, run("--uplink-ip", "192.0.2.1", "--outer-ip-type", "ipv4", "-c", t.toString()));
        assertTrue(err.toString().contains("-c/--config: " + t + ": unknown key 'peers[0].x'"), err.toString());
    }

    @Test
    void theBackendIsChosenByFlagAndDocaWhereItIsAbsentIsRefusedInOneLine() throws Exception {
        assertEquals(GatewayOptions.BackendKind.soft, options().backend);
        assertEquals(GatewayOptions.BackendKind.doca, options("--backend", "doca").backend);
        StringWriter help = new StringWriter();
        PspGatewayCommand.commandLine().usage(new PrintWriter(help, true));
        assertTrue(help.toString().contains("--backend=soft|doca"), help.toString());
        assertEquals(2, run("--backend", "fpga"));
        assertTrue(err.toString().contains("--backend"), err.toString());

        // no DOCA in its default place: which library, where, and what to do
        Path absent = dir.resolve("no-doca");
        assertEquals(2, runWithDocaLibDir(absent));
        assertEquals(java.util.List.of("pspgw: --backend doca: libdoca_common.so not found in " + absent + " (pspgw.doca.lib-dir): "
                + "install DOCA 3.0 (the doca-runtime package) or set pspgw.doca.lib-dir to the directory that holds its libraries"),
                err.toString().lines().filter(l -> !l.isBlank()).toList());
        // a file of that name that is no library: the loader's own reason
        Files.createDirectories(absent);
        Files.writeString(absent.resolve("libdoca_common.so"), "not an ELF file, but longer than an ELF header. ".repeat(4));
        assertEquals(2, runWithDocaLibDir(absent));
        java.util.List<String> lines = err.toString().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("pspgw: --backend doca: " + absent.resolve("libdoca_common.so") + " does not load: "),
                lines.get(0));
        assertTrue(lines.get(0).contains("invalid ELF header"), lines.get(0));
    }

    /**
     * Where DOCA is present (the fake DOCA libraries the doca tests build, with their one PF at
     * 0000:03:00.0 carrying 192.0.2.1 and 2001:db8::1): the uplink is the device's, the flags
     * that disagree with the device are refused, and so are a missing or malformed MAC and a
     * missing DPDK shim, each before DPDK's EAL starts.
     */
    @Test
    void withDocaPresentTheUplinkComesFromTheDeviceAndFlagsThatDoNotApplyAreRefused() {
        Path fake = Path.of("../dataplane-native/target/fake-doca").toAbsolutePath().normalize();
        if (!Files.isRegularFile(fake.resolve("libdoca_flow.so"))) {
            if ("true".equals(System.getenv("CI"))) {
                org.junit.jupiter.api.Assertions.fail("the fake DOCA libraries were not built into " + fake);
            }
            System.err.println("SKIPPED: no fake DOCA libraries in " + fake + " (build dataplane-native's tests first)");
            org.junit.jupiter.api.Assumptions.abort("no fake DOCA libraries in " + fake);
        }
        assertEquals(2, runWithDocaLibDir(fake, "--outer-ip-type", "ipv4"));
        assertEquals(java.util.List.of("pspgw: --backend doca needs -p/--pci-addr, the PCI address of the PF (`lspci -D | grep -i mellanox`)"),
                errorLines());
        assertEquals(2, runWithDocaLibDir(fake, "-p", "04:00.0", "--outer-ip-type", "ipv4"));
        assertTrue(errorLines().getFirst().startsWith("pspgw: --backend doca: no DOCA device at PCI address 04:00.0 (-p/--pci-addr) among the 1 found"),
                errorLines().toString());
        assertEquals(2, runWithDocaLibDir(fake, "-p", "03:00.0", "--outer-ip-type", "ipv4", "--udp-port", "4000"));
        assertEquals(java.util.List.of("pspgw: --udp-port 4000 does not apply with --backend doca: the NIC sends and matches PSP on UDP port 1000; "
                + "drop --udp-port"), errorLines());
        assertEquals(2, runWithDocaLibDir(fake, "-p", "03:00.0", "--outer-ip-type", "ipv4", "--uplink-ip", "192.0.2.9"));
        assertEquals(java.util.List.of("pspgw: --uplink-ip 192.0.2.9 is not the address of the device at 03:00.0 (192.0.2.1): with --backend doca "
                + "the uplink is the device's; drop --uplink-ip or give that"), errorLines());
        // no --uplink-ip: the device's, of the outer family (the original's default outer is IPv6); the backend then
        // needs the MAC decapsulated packets go to, well-formed, and the DPDK shim
        for (String outer : new String[] {"ipv4", "ipv6"}) {
            assertEquals(2, runWithDocaLibDir(fake, "-p", "0000:03:00.0", "--outer-ip-type", outer));
            assertEquals(java.util.List.of("pspgw: --backend doca in tunnel mode needs --decap-dmac, the MAC decapsulated packets are sent "
                    + "to (the VF's)"), errorLines());
        }
        assertEquals(2, runWithDocaLibDir(fake, "-p", "03:00.0", "--outer-ip-type", "ipv4", "--decap-dmac", "02:00:00:00:0a"));
        assertEquals(java.util.List.of("pspgw: --decap-dmac 02:00:00:00:0a is not a MAC address (six hex bytes, 02:00:00:00:00:0a)"), errorLines());
        System.setProperty("pspgw.doca.dpdk-shim", "/nonexistent/libpspgw_dpdk.so");
        try {
            assertEquals(2, runWithDocaLibDir(fake, "-p", "03:00.0", "--outer-ip-type", "ipv4", "--decap-dmac", "02:00:00:00:00:0a"));
        } finally {
            System.clearProperty("pspgw.doca.dpdk-shim");
        }
        assertEquals(java.util.List.of("pspgw: --backend doca: the DPDK shim /nonexistent/libpspgw_dpdk.so is not there (pspgw.doca.dpdk-shim): "
                + "build it against DOCA's DPDK with dataplane-native/src/main/c/build-dpdk-shim"), errorLines());
    }

    private java.util.List<String> errorLines() {
        return err.toString().lines().filter(l -> !l.isBlank()).toList();
    }

    /** Runs {@code --backend doca} with HOCON {@code pspgw.doca.lib-dir} set to {@code libDir}, from a fresh error stream. */
    private int runWithDocaLibDir(Path libDir) {
        return runWithDocaLibDir(libDir, "--uplink-ip", "192.0.2.1", "--outer-ip-type", "ipv4");
    }

    private int runWithDocaLibDir(Path libDir, String... flags) {
        System.setProperty("pspgw.doca.lib-dir", libDir.toString());
        com.typesafe.config.ConfigFactory.invalidateCaches();
        try {
            err.getBuffer().setLength(0);
            String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(flags), java.util.stream.Stream.of("--insecure-plaintext", "--backend",
                    "doca")).toArray(String[]::new);
            return run(args);
        } finally {
            System.clearProperty("pspgw.doca.lib-dir");
            com.typesafe.config.ConfigFactory.invalidateCaches();
        }
    }

    @Test
    void withoutTlsMaterialTheGatewayRefusesToStartUnlessToldToRunInPlaintext() {
        assertEquals(2, run("--uplink-ip", "192.0.2.1", "--outer-ip-type", "ipv4"));
        assertTrue(err.toString().contains("gRPC between gateways runs over mutual TLS: pass --tls-ca FILE --tls-cert FILE --tls-key FILE"),
                err.toString());
        assertTrue(err.toString().contains("or --insecure-plaintext to talk to an original DOCA gateway"), err.toString());
        assertEquals(2, run("--uplink-ip", "192.0.2.1", "--outer-ip-type", "ipv4", "--insecure-plaintext", "--tls-ca", "ca.pem",
                "--tls-cert", "c.pem", "--tls-key", "k.pem"));
        assertTrue(err.toString().contains("--insecure-plaintext and --tls-ca/--tls-cert/--tls-key exclude each other"), err.toString());
    }
}
