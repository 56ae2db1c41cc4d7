package io.pspgateway.bench;

import io.pspgateway.psp.InnerPackets;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.pspgateway.control.LocalCluster;
import io.pspgateway.cluster.GatewayInfo;
import io.pspgateway.cluster.GatewayInfoSerializer;
import io.pspgateway.cluster.VipPrefixes;
import io.pspgateway.psp.IpText;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.Locale;

/**
 * Clustered gateways in one JVM (each its own ActorSystem, Artery on loopback, in-memory data
 * planes), three measurements:
 * <ul>
 * <li>discovery convergence: from the moment the last member is Up (as the seed sees it) until
 *     every gateway resolves every other's VIPs (and, for reference, from the moment every
 *     gateway has started);</li>
 * <li>failover: one gateway stops without leaving; time until every survivor has it downed,
 *     removed and its sessions torn down — with the default failure detector and resolver, and
 *     with faster settings;</li>
 * <li>registry at scale: the largest cluster, every gateway announcing 10 000 VIP prefixes; the
 *     announcement's size on the wire, the data every member then holds, the heap it costs per
 *     gateway, and the time until every gateway resolves every other's prefixes.</li>
 * </ul>
 * Usage: ClusterBenchmark [sizes...] (default 5 20). Prints markdown tables.
 */
public final class ClusterBenchmark {
    private static final int PREFIXES_PER_GATEWAY = 10_000;
    private static final Config FAST = ConfigFactory.parseString("""
            pekko.cluster.split-brain-resolver.stable-after = 1s
            pekko.cluster.failure-detector.heartbeat-interval = 200ms
            pekko.cluster.failure-detector.acceptable-heartbeat-pause = 1s
            """);
    private static final Config NO_LEAVE = ConfigFactory.parseString("pekko.coordinated-shutdown.run-by-actor-system-terminate = off");

    private ClusterBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int[] sizes = args.length == 0 ? new int[] {5, 20} : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        System.out.printf("| gateways | settings | convergence from last member Up | from all started | failover (crash to torn down everywhere) |%n");
        System.out.printf("|---|---|---|---|---|%n");
        for (int n : sizes) {
            for (boolean fast : new boolean[] {false, true}) {
                Config config = fast ? NO_LEAVE.withFallback(FAST) : NO_LEAVE;
                try (LocalCluster c = LocalCluster.startClustered(n, 1, config)) {
                    long started = System.nanoTime();
                    long lastUp = awaitMembersUp(c, n, 120);
                    awaitViews(c, n, n - 1, 120);
                    long converged = System.nanoTime();
                    double failover = failover(c, n);
                    System.out.printf(Locale.ROOT, "| %d | %s | %.1f s | %.1f s | %.1f s |%n", n,
                            fast ? "fast failure detection (heartbeat 200 ms, pause 1 s, SBR stable-after 1 s)" : "defaults",
                            (converged - lastUp) / 1e9, (converged - started) / 1e9, failover);
                }
            }
        }
        registryAtScale(Arrays.stream(sizes).max().orElseThrow());
    }

    /** Crashes the last gateway; seconds until every survivor sees it gone and holds no slot for it. */
    private static double failover(LocalCluster c, int n) throws Exception {
        // one tunnel towards the victim from every survivor, so that failover has sessions to tear down
        LocalCluster.Member victim = c.get(n - 1);
        for (int i = 0; i < n - 1; i++) {
            c.get(i).host().send(InnerPackets.udp(c.get(i).vip(), victim.vip(), i));
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
        return (System.nanoTime() - t1) / 1e9;
    }

    private static void registryAtScale(int n) throws Exception {
        System.out.printf("%n| gateways | prefixes per gateway | announcement on the wire | registry data each member holds "
                + "| heap per gateway (registry + directory) | announce to resolved everywhere |%n");
        System.out.printf("|---|---|---|---|---|---|%n");
        try (LocalCluster c = LocalCluster.startClustered(n, 1, NO_LEAVE)) {
            awaitViews(c, n, n - 1, 120);
            long before = usedHeapAfterGc();
            VipPrefixes[] announced = new VipPrefixes[n];
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                announced[i] = VipPrefixes.parse(prefixesOf(i));
                c.get(i).node().announce(announced[i]);
            }
            awaitResolvedEverywhere(c, n, 300);
            double seconds = (System.nanoTime() - t0) / 1e9;
            long after = usedHeapAfterGc();
            GatewayInfoSerializer serializer = new GatewayInfoSerializer(null);
            long wire = 0;
            for (int i = 0; i < n; i++) {
                wire += serializer.toBinary(new GatewayInfo("gw" + i, "127.0.0.1", c.grpc(i).getPort(),
                        IpText.of(c.get(i).physical()), announced[i], java.util.List.of(1, 0), 1, 0)).length;
            }
            System.out.printf(Locale.ROOT, "| %d | %d | %.1f KB | %.2f MB | %.1f MB | %.1f s |%n", n, PREFIXES_PER_GATEWAY,
                    wire / (double) n / 1024, wire / 1048576.0, (after - before) / (double) n / 1048576, seconds);
        }
    }

    /** 10 000 /30 prefixes of gateway i, every eighth /30 of 10.0.0.0/8's i-th /13 (no aggregation possible). */
    private static java.util.List<String> prefixesOf(int i) {
        java.util.List<String> out = new java.util.ArrayList<>(PREFIXES_PER_GATEWAY);
        for (int k = 0; k < PREFIXES_PER_GATEWAY; k++) {
            out.add(address(i, k, 0) + "/30");
        }
        return out;
    }

    /** Address {@code host} of gateway i's k-th prefix, written out. */
    private static String address(int i, int k, int host) {
        int a = (10 << 24) | (i << 19) | (k << 5) | host;
        return (a >>> 24) + "." + ((a >>> 16) & 0xFF) + "." + ((a >>> 8) & 0xFF) + "." + (a & 0xFF);
    }

    /** Waits until every gateway resolves the first, a middle and the last prefix of every other to it. */
    private static void awaitResolvedEverywhere(LocalCluster c, int n, int seconds) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        int[] probes = {0, PREFIXES_PER_GATEWAY / 2, PREFIXES_PER_GATEWAY - 1};
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < n; i++) {
                for (int k : probes) {
                    InetAddress vip = InetAddress.getByName(address(i, k, 1));
                    while (i != j && !c.grpc(i).equals(c.get(j).node().resolve(vip))) {
                        if (System.nanoTime() > deadline) {
                            throw new IllegalStateException(c.get(j).name() + " does not resolve " + vip + " to gw" + i);
                        }
                        Thread.sleep(20);
                    }
                }
            }
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Waits until the first gateway sees {@code n} members Up; returns when that was. */
    private static long awaitMembersUp(LocalCluster c, int n, int seconds) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (c.get(0).node().clusterMembersUp() < n) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + c.get(0).node().clusterMembersUp() + " of " + n + " members Up");
            }
            Thread.sleep(5);
        }
        return System.nanoTime();
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
