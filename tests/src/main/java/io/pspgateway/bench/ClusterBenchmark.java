package io.pspgateway.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pspgateway.control.LocalCluster;
import java.util.Locale;

/**
 * Discovery convergence and failover of clustered gateways in one JVM (each its own ActorSystem,
 * Artery on loopback, in-memory data planes). Convergence: from the moment every gateway has
 * started until every gateway resolves every other's VIPs. Failover: one gateway stops without
 * leaving; time until every survivor has it downed, removed and its sessions torn down — with the
 * default failure detector and resolver, and with faster settings.
 * Usage: ClusterBenchmark [sizes...] (default 5 20). Prints a markdown table.
 */
public final class ClusterBenchmark {
    private static final Config FAST = ConfigFactory.parseString("""
            pekko.cluster.split-brain-resolver.stable-after = 1s
            pekko.cluster.failure-detector.heartbeat-interval = 200ms
            pekko.cluster.failure-detector.acceptable-heartbeat-pause = 1s
            """);
    private static final Config NO_LEAVE = ConfigFactory.parseString("pekko.coordinated-shutdown.run-by-actor-system-terminate = off");

    private ClusterBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int[] sizes = args.length == 0 ? new int[] {5, 20} : java.util.Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        System.out.printf("| gateways | settings | convergence (all resolve all) | failover (crash to torn down everywhere) |%n");
        System.out.printf("|---|---|---|---|%n");
        for (int n : sizes) {
            for (boolean fast : new boolean[] {false, true}) {
                Config config = fast ? NO_LEAVE.withFallback(FAST) : NO_LEAVE;
                try (LocalCluster c = LocalCluster.startClustered(n, 1, config)) {
                    long t0 = System.nanoTime();
                    awaitViews(c, n, n - 1, 120);
                    double converge = (System.nanoTime() - t0) / 1e9;
                    // one tunnel towards the victim from every survivor, so that failover has sessions to tear down
                    LocalCluster.Member victim = c.get(n - 1);
                    for (int i = 0; i < n - 1; i++) {
                        c.get(i).host().send(LocalCluster.packet(c.get(i).vip(), victim.vip(), i));
                    }
                    for (int i = 0; i < n - 1; i++) {
                        victim.host().take(30_000);
                    }
                    c.network().detach(victim.physical());
                    long t1 = System.nanoTime();
                    victim.node().close();
                    awaitViews(c, n - 1, n - 2, 120);
                    for (int i = 0; i < n - 1; i++) {
                        while (c.get(i).node().slotsInUse() > 0 && System.nanoTime() - t1 < 120_000_000_000L) {
                            Thread.sleep(20);
                        }
                    }
                    double failover = (System.nanoTime() - t1) / 1e9;
                    System.out.printf(Locale.ROOT, "| %d | %s | %.1f s | %.1f s |%n", n,
                            fast ? "fast failure detection (heartbeat 200 ms, pause 1 s, SBR stable-after 1 s)" : "defaults", converge, failover);
                }
            }
        }
    }

    /** Waits until the first {@code members} gateways each see {@code others} others. */
    private static void awaitViews(LocalCluster c, int members, int others, int seconds) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        for (int i = 0; i < members; i++) {
            while (c.get(i).node().clusterGateways().size() != others) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(c.get(i).name() + " sees " + c.get(i).node().clusterGateways());
                }
                Thread.sleep(20);
            }
        }
    }
}
