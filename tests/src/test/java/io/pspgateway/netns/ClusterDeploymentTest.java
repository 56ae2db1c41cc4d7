package io.pspgateway.netns;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ready deployment cluster-config/deployments/netns-3: three pspgw processes in three network
 * namespaces with no peer list find each other through the cluster, and pings between every pair
 * of VIPs set tunnels up on demand. Runs as root (CI does); skipped loudly otherwise.
 */
class ClusterDeploymentTest {
    @TempDir
    Path state;

    static Path deployment() {
        return Path.of("..", "cluster-config", "deployments", "netns-3").toAbsolutePath().normalize();
    }

    @BeforeAll
    static void needsRootAndTools() {
        String why = NamespaceNetwork.unavailableBecause("ip", "ping");
        if (why.isEmpty() && !Files.exists(TwoProcessGatewayTest.jar())) {
            why = TwoProcessGatewayTest.jar() + " is not built (run the whole build: scripts/test)";
        }
        if (!why.isEmpty()) {
            System.err.println("SKIPPED ClusterDeploymentTest: " + why);
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(why.isEmpty(), "SKIPPED cluster deployment test: " + why);
    }

    private String script(String name, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(deployment().resolve(name).toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("PSPGW_DEPLOY_DIR", state.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException(name + " failed: " + out);
        }
        return out;
    }

    private void assertPings(int from, int to) throws Exception {
        String ping;
        try {
            // the first set-up on cold JVMs sharing 2 cores can take seconds
            ping = NamespaceNetwork.run("ip", "netns", "exec", "pspgw-n" + from, "ping", "-c", "3", "-i", "0.3", "-W", "30",
                    "10." + to + ".0.1");
        } catch (IOException failed) {
            ping = failed.getMessage(); // ping exits 1 when replies are missing: report it with both logs below
        }
        assertTrue(ping.contains("3 received"), "gw" + from + " -> gw" + to + ":\n" + ping + "\n--- gw" + from + ":\n" + log(from)
                + "\n--- gw" + to + ":\n" + log(to));
    }

    private String log(int gateway) throws IOException {
        return Files.readString(state.resolve("gw" + gateway + ".log"));
    }

    /** Waits for {@code text} in gateway {@code gateway}'s log after its first {@code from} characters. */
    private void awaitLog(int gateway, String text, int from, long millis) throws Exception {
        Path log = state.resolve("gw" + gateway + ".log");
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (!Files.readString(log).substring(from).contains(text)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("gw" + gateway + " did not log \"" + text + "\" within " + millis + " ms:\n"
                        + Files.readString(log));
            }
            Thread.sleep(200);
        }
    }

    @Test
    void threeProcessesDiscoverEachOtherAndTunnelBetweenEveryPair() throws Exception {
        try {
            assertTrue(script("start").contains("3 gateways up"));
            for (int from = 1; from <= 3; from++) {
                assertPings(from, from % 3 + 1);
            }
            String log = Files.readString(state.resolve("gw1.log"));
            assertTrue(log.contains("cluster view: 2 other gateway(s)"), log);
        } finally {
            script("stop");
        }
        assertFalse(NamespaceNetwork.run("ip", "netns", "list").contains("pspgw-n"), "namespaces removed");
    }

    @Test
    void overIpv6UplinksTheThreeClusterThroughTheirSeedAndTunnelBetweenEveryPair() throws Exception {
        try {
            assertTrue(script("start", "--ipv6").contains("clustered over IPv6 uplinks"));
            for (int from = 1; from <= 3; from++) {
                assertPings(from, from % 3 + 1);
                assertPings(from % 3 + 1, from);
            }
            String log = log(1);
            assertTrue(log.contains("cluster view: 2 other gateway(s)"), log);
            for (int gw = 1; gw <= 3; gw++) {
                assertTrue(log(gw).contains("PSP on udp [2001:db8::" + gw + "]:1000"), "an IPv6 uplink:\n" + log(gw));
                assertFalse(log(gw).contains("serve ff02"), "the kernel's router solicitations started a set-up:\n" + log(gw));
            }
        } finally {
            script("stop");
        }
        assertFalse(NamespaceNetwork.run("ip", "netns", "list").contains("pspgw-n"), "namespaces removed");
    }

    @Test
    void aGatewayCutOffFromTheOthersIsDownedAndExitsWhileTheMajorityKeepsTunnelling() throws Exception {
        try {
            assertTrue(script("start").contains("3 gateways up"));
            assertPings(1, 3);
            assertPings(2, 3);
            assertPings(1, 2);
            long gw3 = Long.parseLong(Files.readString(state.resolve("gw3.pid")).trim());

            // gw3's host loses its network: cluster traffic, gRPC and PSP are all cut
            int gw1Before = log(1).length();
            int gw3Before = log(3).length();
            NamespaceNetwork.run("ip", "-n", "pspgw-n3", "link", "set", "pspgw-i3", "down");
            // the split-brain resolver downs it on both sides: the majority removes it...
            awaitLog(1, "cluster view: 1 other gateway(s): [gw2]", gw1Before, 60_000);
            awaitLog(1, "peer 198.51.100.3 is gone", gw1Before, 10_000);
            // ...and gw3, alone in its minority, downs itself and exits instead of lingering without actors
            awaitLog(3, "exiting with status 3", gw3Before, 60_000);
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (ProcessHandle.of(gw3).map(ProcessHandle::isAlive).orElse(false)) {
                assertTrue(System.nanoTime() < deadline, "gw3 still runs:\n" + Files.readString(state.resolve("gw3.log")));
                Thread.sleep(200);
            }
            // the majority still tunnels, in both directions
            assertPings(1, 2);
            assertPings(2, 1);
        } finally {
            script("stop");
        }
    }
}
