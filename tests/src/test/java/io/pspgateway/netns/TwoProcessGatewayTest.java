package io.pspgateway.netns;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.psp.IpText;
import io.pspgateway.psp.PspMode;
import io.pspgateway.tls.Certificates;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Two {@code pspgw} processes, one per network namespace, configured only with the original's
 * JSON tunnel file and flags, for every inner/outer IP combination in tunnel mode and both outer
 * types in transport mode: pings both ways bring the tunnel up on demand over gRPC between the
 * namespaces, an iperf3 TCP run goes through it, a capture on the wire shows nothing but PSP (and
 * the control plane, and the link's own neighbour discovery), and SIGTERM stops each process
 * cleanly (its TUN device goes away). IPv6 is on in both namespaces throughout, so the kernel sends
 * its router solicitations and MLD reports into the TUN devices: none may start a set-up.
 * The IPv4-inner, IPv6-outer case passes no IP-type flag at all: the original's defaults, as the
 * user guide's two-gateway example runs them. Two cases run gRPC over mutual TLS, their certificates
 * naming the uplink (an IPv6 and an IPv4 IP SAN). Runs as root (CI does); skipped loudly otherwise.
 */
class TwoProcessGatewayTest {
    /** The routing table that sends transport-mode traffic to the peer's address into the TUN device. */
    private static final String TRANSPORT_TABLE = "100";

    @TempDir
    Path dir;

    @BeforeAll
    static void needsRootAndTools() {
        String why = TwoNamespaces.unavailableBecause("ip", "ping", "iperf3", "tcpdump");
        if (why.isEmpty() && !Files.exists(jar())) {
            why = jar() + " is not built (run the whole build: scripts/test)";
        }
        if (!why.isEmpty()) {
            System.err.println("SKIPPED TwoProcessGatewayTest: " + why);
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(why.isEmpty(), "SKIPPED two-process test: " + why);
    }

    static Path jar() {
        return Path.of("..", "gateway-actors", "target", "pspgw.jar").toAbsolutePath().normalize();
    }

    /** A process's output, collected as it comes. */
    private static final class Output {
        private final StringBuffer text = new StringBuffer();

        Output(Process p) {
            Thread.ofPlatform().daemon(true).start(() -> {
                try (InputStream in = p.getInputStream()) {
                    byte[] buf = new byte[4096];
                    for (int n; (n = in.read(buf)) > 0; ) {
                        text.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    }
                } catch (IOException e) {
                    text.append("[output closed: ").append(e.getMessage()).append(']');
                }
            });
        }

        boolean await(String needle, long millis) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            while (!text.toString().contains(needle)) {
                if (System.nanoTime() > deadline) {
                    return false;
                }
                Thread.sleep(50);
            }
            return true;
        }

        @Override
        public String toString() {
            return text.toString();
        }
    }

    /** One side: its namespace, the uplink it sends PSP from, and the VIP its workload uses. */
    private record Side(String namespace, String veth, String physical, String vip) {
    }

    private Path tunnelFile(String name, Side local, Side remote) throws IOException {
        return Files.writeString(dir.resolve(name), """
                {
                    // the original's format: our gRPC address, and the peer that serves the remote VIP
                    "config": { "local-grpc-address": "%s" },
                    "peers": [ { "remote-grpc-address": "%s", "sessions": [ { "local-vip": "%s", "remote-vips": [ "%s" ] } ] } ]
                }
                """.formatted(grpc(local), grpc(remote), local.vip(), remote.vip()));
    }

    /** {@code 198.51.100.1:3000} or {@code [2001:db8::1]:3000}, as a user writes it in the file. */
    private static String grpc(Side side) {
        return IpText.host(InetAddress.ofLiteral(side.physical())) + ":3000";
    }

    @ParameterizedTest(name = "{0} mode, inner IPv{1}, outer IPv{2}, gRPC over TLS {3}")
    @CsvSource({"TUNNEL, 4, 6, true", "TUNNEL, 4, 4, false", "TUNNEL, 6, 4, true", "TUNNEL, 6, 6, true", "TRANSPORT, 4, 4, true",
            "TRANSPORT, 6, 6, false"})
    void twoProcessesTunnelOnDemandThroughTheKernelAndStopCleanly(PspMode mode, int inner, int outer, boolean tls) throws Exception {
        Certificates.Issued ca = Certificates.newAuthority("test CA", Duration.ofDays(1));
        try (TwoNamespaces net = TwoNamespaces.createDualStack()) {
            boolean transport = mode == PspMode.TRANSPORT;
            String physA = outer == 6 ? TwoNamespaces.PHYS6_A : TwoNamespaces.PHYS_A;
            String physB = outer == 6 ? TwoNamespaces.PHYS6_B : TwoNamespaces.PHYS_B;
            // transport mode keeps the packet's own header: the workloads' addresses are the uplinks
            Side a = new Side(net.a, net.vethOf(net.a), physA, transport ? physA : inner == 6 ? "fd00::1" : TwoNamespaces.VIP_A);
            Side b = new Side(net.b, net.vethOf(net.b), physB, transport ? physB : inner == 6 ? "fd00::2" : TwoNamespaces.VIP_B);
            Side[][] pairs = {{a, b}, {b, a}};
            String java = ProcessHandle.current().info().command().orElse("java");
            Process[] gateways = new Process[2];
            Output[] outputs = new Output[2];
            for (int i = 0; i < 2; i++) {
                Side local = pairs[i][0];
                Side remote = pairs[i][1];
                List<String> command = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-jar", jar().toString(),
                        "-c", tunnelFile("gw" + i + ".json", local, remote).toString(), "--uplink-ip", local.physical(), "-d", "psp0",
                        "--stat-print"));
                // only what differs from the original's defaults (tunnel mode, inner IPv4, outer IPv6)
                if (outer == 4) {
                    command.addAll(List.of("--outer-ip-type", "ipv4"));
                }
                if (inner == 6) {
                    command.addAll(List.of("--inner-ip-type", "ipv6"));
                }
                // mutual TLS is the default; plaintext only when asked for, as to interoperate with an original gateway
                command.addAll(tls ? tlsFlags(ca, "gw" + i, local.physical()) : List.of("--insecure-plaintext"));
                if (transport) {
                    command.addAll(List.of("--mode", "transport"));
                    // the packets the TUN device delivers come from the peer's address, which the veth also routes to
                    net.exec(local.namespace(), "sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0");
                }
                gateways[i] = net.start(local.namespace(), command.toArray(String[]::new));
                outputs[i] = new Output(gateways[i]);
            }
            for (int i = 0; i < 2; i++) {
                assertTrue(outputs[i].await("pspgw running", 30_000), "gateway " + i + " did not start:\n" + outputs[i]);
                // the veth's 1500 less PSP's overhead: UDP 8 + PSP header 16 + ICV 16, and the outer IP header in tunnel mode
                int mtu = 1500 - 40 - (transport ? 0 : outer == 6 ? 40 : 20);
                addressTunDevice(pairs[i][0], pairs[i][1], transport, mtu);
            }

            String shouldShowNoPlainText = a.veth();
            Process capture = net.start(a.namespace(), "tcpdump", "-i", shouldShowNoPlainText, "-nn", "-U", "-w",
                    dir.resolve("wire.pcap").toString());
            Output captured = new Output(capture);
            assertTrue(captured.await("listening on", 10_000), "tcpdump did not start: " + captured);

            for (int i = 0; i < 2; i++) {
                assertTrue(outputs[i].toString().contains(tls ? "gRPC over mutual TLS as CN=gw" + i : "gRPC between gateways runs in plaintext"),
                        outputs[i].toString());
            }
            for (Side[] pair : pairs) {
                String ping;
                try {
                    ping = net.exec(pair[0].namespace(), "ping", "-c", "3", "-i", "0.3", "-W", "30", pair[1].vip());
                } catch (IOException failed) {
                    ping = failed.getMessage(); // ping exits 1 when replies are missing: report it with the gateways' output
                }
                assertTrue(ping.contains("3 received"), pair[0].vip() + " -> " + pair[1].vip() + ": " + ping
                        + "\n--- gateway A:\n" + outputs[0] + "\n--- gateway B:\n" + outputs[1]);
            }
            assertTrue(outputs[0].await("Session Egress (" + a.vip() + " -> " + b.vip() + ")", 5_000), outputs[0].toString());
            assertTrue(outputs[1].await("Session Egress (" + b.vip() + " -> " + a.vip() + ")", 5_000), outputs[1].toString());

            net.start(b.namespace(), "iperf3", "-s", "-1", "-B", b.vip());
            String iperf = iperfClient(net, a.namespace(), b.vip());
            assertTrue(iperf.contains("receiver"), "iperf3 TCP through the tunnel: " + iperf);

            TwoNamespaces.run("kill", "-INT", Long.toString(capture.pid()));
            assertTrue(capture.waitFor(10, TimeUnit.SECONDS), "tcpdump did not stop");
            assertOnlyPspOnTheWire(TwoNamespaces.run("tcpdump", "-nn", "-r", dir.resolve("wire.pcap").toString()), a, b);

            for (int i = 0; i < 2; i++) {
                String out = outputs[i].toString();
                assertFalse(out.contains("failed (fe80") || out.contains("serve ff02"),
                        "the kernel's link-local chatter started a set-up:\n" + out);
                // kill(1), not Process.destroy(): destroy() also closes our end of its output
                TwoNamespaces.run("kill", "-TERM", Long.toString(gateways[i].pid()));
                assertTrue(gateways[i].waitFor(15, TimeUnit.SECONDS), "gateway " + i + " did not stop on SIGTERM");
                assertTrue(outputs[i].await("gateway pspgw stopped", 2_000), "no clean shutdown:\n" + outputs[i]);
                String ns = pairs[i][0].namespace();
                assertTrue(!TwoNamespaces.run("ip", "-n", ns, "link", "show").contains("psp0"), "the TUN device outlived its gateway");
            }
        }
    }

    /** The flags of gateway {@code name}'s TLS material, its certificate naming {@code address}, written as pspgw certs writes them. */
    private List<String> tlsFlags(Certificates.Issued ca, String name, String address) throws IOException {
        Certificates.Issued own = Certificates.issue(ca, name, List.of(InetAddress.ofLiteral(address)), Duration.ofDays(1));
        Path caFile = dir.resolve("ca.pem");
        if (!Files.exists(caFile)) {
            Certificates.writeNew(caFile, Certificates.pem(ca.certificate()), false);
        }
        Certificates.write(own, dir.resolve(name + ".pem"), dir.resolve(name + "-key.pem"));
        return List.of("--tls-ca", caFile.toString(), "--tls-cert", dir.resolve(name + ".pem").toString(),
                "--tls-key", dir.resolve(name + "-key.pem").toString());
    }

    /**
     * Tunnel mode: the VIP on {@code psp0}, its prefix routed there. Transport mode: the peer's own
     * address is routed into {@code psp0} by a table of its own, except the gateway's own traffic to
     * the peer (PSP on UDP 1000, gRPC on TCP 3000), which keeps the veth.
     */
    private static void addressTunDevice(Side local, Side remote, boolean transport, int mtu) throws IOException {
        String ns = local.namespace();
        String family = local.vip().contains(":") ? "-6" : "-4";
        TwoNamespaces.run("ip", "-n", ns, "link", "set", "psp0", "mtu", Integer.toString(mtu), "up");
        if (!transport) {
            List<String> add = new ArrayList<>(List.of("ip", "-n", ns, "addr", "add", local.vip() + (family.equals("-6") ? "/64" : "/24"),
                    "dev", "psp0"));
            if (family.equals("-6")) {
                add.add("nodad");
            }
            TwoNamespaces.run(add.toArray(String[]::new));
            return;
        }
        TwoNamespaces.run("ip", "-n", ns, family, "route", "add", remote.physical(), "dev", "psp0", "table", TRANSPORT_TABLE);
        TwoNamespaces.run("ip", "-n", ns, family, "rule", "add", "pref", "100", "ipproto", "udp", "dport", "1000", "lookup", "main");
        TwoNamespaces.run("ip", "-n", ns, family, "rule", "add", "pref", "101", "ipproto", "tcp", "dport", "3000", "lookup", "main");
        TwoNamespaces.run("ip", "-n", ns, family, "rule", "add", "pref", "102", "ipproto", "tcp", "sport", "3000", "lookup", "main");
        TwoNamespaces.run("ip", "-n", ns, family, "rule", "add", "pref", "200", "to", remote.physical(), "lookup", TRANSPORT_TABLE);
    }

    /** A 2-second iperf3 TCP run, 20 s at most; the server may take a moment to listen. */
    private static String iperfClient(TwoNamespaces net, String ns, String server) throws Exception {
        IOException last = null;
        for (int attempt = 0; attempt < 10; attempt++) {
            try {
                return net.exec(ns, "timeout", "20", "iperf3", "-c", server, "-t", "2", "--connect-timeout", "5000");
            } catch (IOException e) {
                if (!e.getMessage().contains("Connection refused")) {
                    throw e;
                }
                last = e;
                Thread.sleep(200);
            }
        }
        throw last;
    }

    /**
     * Every packet the capture saw is PSP (UDP to port 1000), the control plane (gRPC on TCP 3000),
     * or the link's own ARP and neighbour discovery; and there is PSP, in both directions.
     */
    private static void assertOnlyPspOnTheWire(String capture, Side a, Side b) {
        int psp = 0;
        List<String> leaks = new ArrayList<>();
        for (String line : capture.lines().toList()) {
            if (line.startsWith("reading from file")) {
                continue; // tcpdump's own header line
            }
            if (line.contains(".1000: UDP")) {
                psp++;
            } else if (!(line.contains(".3000:") || line.contains(".3000 >") || line.contains("ARP,")
                    || line.contains("neighbor solicitation") || line.contains("neighbor advertisement")
                    || line.contains("router solicitation") || line.contains("multicast listener"))) {
                leaks.add(line);
            }
        }
        assertTrue(leaks.isEmpty(), "not PSP on the wire between " + a.physical() + " and " + b.physical() + ":\n"
                + String.join("\n", leaks));
        assertTrue(psp >= 100, "PSP packets of the pings and the iperf3 run on the wire: " + psp + "\n" + capture);
        assertTrue(capture.contains(a.physical() + ".") && capture.contains("> " + a.physical() + ".1000"),
                "PSP in both directions:\n" + capture);
    }
}
