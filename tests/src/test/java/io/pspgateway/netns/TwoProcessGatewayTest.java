package io.pspgateway.netns;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code pspgw} processes, one per network namespace, configured only with the original's
 * JSON tunnel file and flags: a ping between their VIPs brings the tunnel up on demand over gRPC
 * between the namespaces, and SIGTERM stops each process cleanly (its TUN device goes away).
 * Runs as root (CI does); skipped loudly otherwise.
 */
class TwoProcessGatewayTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void needsRootAndTools() {
        String why = TwoNamespaces.unavailableBecause("ip", "ping");
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

    private Path tunnelFile(String name, String localPhys, String localVip, String remotePhys, String remoteVip) throws IOException {
        return Files.writeString(dir.resolve(name), """
                {
                    // the original's format: our gRPC address, and the peer that serves the remote VIP
                    "config": { "local-grpc-address": "%s:3000" },
                    "peers": [ { "remote-grpc-address": "%s", "sessions": [ { "local-vip": "%s", "remote-vips": [ "%s" ] } ] } ]
                }
                """.formatted(localPhys, remotePhys, localVip, remoteVip));
    }

    @Test
    void twoProcessesSetTheTunnelUpOnDemandAndStopCleanly() throws Exception {
        try (TwoNamespaces net = TwoNamespaces.create()) {
            String java = ProcessHandle.current().info().command().orElse("java");
            String[][] sides = {
                    {net.a, TwoNamespaces.PHYS_A, TwoNamespaces.VIP_A, TwoNamespaces.PHYS_B, TwoNamespaces.VIP_B},
                    {net.b, TwoNamespaces.PHYS_B, TwoNamespaces.VIP_B, TwoNamespaces.PHYS_A, TwoNamespaces.VIP_A}};
            Process[] gateways = new Process[2];
            Output[] outputs = new Output[2];
            for (int i = 0; i < 2; i++) {
                String[] s = sides[i];
                Path file = tunnelFile("gw" + i + ".json", s[1], s[2], s[3], s[4]);
                gateways[i] = net.start(s[0], java, "--enable-native-access=ALL-UNNAMED", "-jar", jar().toString(),
                        "-c", file.toString(), "--uplink-ip", s[1], "--outer-ip-type", "ipv4", "-d", "psp0", "--stat-print");
                outputs[i] = new Output(gateways[i]);
                assertTrue(outputs[i].await("pspgw running", 30_000), "gateway " + i + " did not start:\n" + outputs[i]);
                TwoNamespaces.run("ip", "-n", s[0], "addr", "add", s[2] + "/24", "dev", "psp0");
                TwoNamespaces.run("ip", "-n", s[0], "link", "set", "psp0", "mtu", Integer.toString(TwoNamespaces.TUNNEL_MTU), "up");
            }

            String ping = net.exec(net.a, "ping", "-c", "3", "-i", "0.3", "-W", "10", TwoNamespaces.VIP_B);
            assertTrue(ping.contains("3 received"), ping + "\n--- gateway A:\n" + outputs[0] + "\n--- gateway B:\n" + outputs[1]);
            assertTrue(outputs[0].await("Session Egress (10.0.0.1 -> 10.0.0.2)", 5_000), outputs[0].toString());

            for (int i = 0; i < 2; i++) {
                // kill(1), not Process.destroy(): destroy() also closes our end of its output
                TwoNamespaces.run("kill", "-TERM", Long.toString(gateways[i].pid()));
                assertTrue(gateways[i].waitFor(15, TimeUnit.SECONDS), "gateway " + i + " did not stop on SIGTERM");
                assertTrue(outputs[i].await("gateway pspgw stopped", 2_000), "no clean shutdown:\n" + outputs[i]);
                String ns = sides[i][0];
                assertTrue(!TwoNamespaces.run("ip", "-n", ns, "link", "show").contains("psp0"), "the TUN device outlived its gateway");
            }
        }
    }
}
