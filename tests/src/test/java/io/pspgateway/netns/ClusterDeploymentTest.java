package io.pspgateway.netns;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

    private String script(String name) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(deployment().resolve(name).toString()).redirectErrorStream(true);
        pb.environment().put("PSPGW_DEPLOY_DIR", state.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException(name + " failed: " + out);
        }
        return out;
    }

    @Test
    void threeProcessesDiscoverEachOtherAndTunnelBetweenEveryPair() throws Exception {
        try {
            assertTrue(script("start").contains("3 gateways up"));
            for (int from = 1; from <= 3; from++) {
                int to = from % 3 + 1;
                String ping = NamespaceNetwork.run("ip", "netns", "exec", "pspgw-n" + from, "ping", "-c", "3", "-i", "0.3",
                        "-W", "10", "10." + to + ".0.1");
                assertTrue(ping.contains("3 received"),
                        "gw" + from + " -> gw" + to + ":\n" + ping + "\n" + Files.readString(state.resolve("gw" + from + ".log")));
            }
            String log = Files.readString(state.resolve("gw1.log"));
            assertTrue(log.contains("cluster view: 2 other gateway(s)"), log);
        } finally {
            script("stop");
        }
        assertFalse(NamespaceNetwork.run("ip", "netns", "list").contains("pspgw-n"), "namespaces removed");
    }
}
