package io.pspgateway.bench;

import io.pspgateway.psp.InnerPackets;
import com.typesafe.config.ConfigFactory;
import io.pspgateway.control.GatewayStats;
import io.pspgateway.control.LocalCluster;
import io.pspgateway.control.PerfCounters;
import io.pspgateway.dataplane.soft.SoftDataplaneSettings;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.Locale;

/**
 * Tunnel set-up on demand between two gateways in one process (in-memory data planes, gRPC on
 * loopback): gateway 0 sends one packet for each of N distinct VIP pairs (sources x 250
 * destinations behind gateway 1) as fast as it can, and every packet misses. Reports tunnels/s
 * end to end, the process CPU it took per tunnel, the gRPC calls, miss-to-delivery latency, held
 * packets delivered versus dropped, key-generation and insertion rates during the burst, and heap
 * per established tunnel. Priming bursts of {@value #DESTINATIONS} and then N/10 tunnels open the
 * gRPC channel (and its TLS session) and compile the set-up path, so that the two warm-up rounds of
 * the same size that follow do not start on a cold JVM whose first large calls outlast the request
 * timeout and open the peer's circuit breaker; then 3 s for the JIT
 * compiler; the JVM's flags (heap sizing) are the caller's ({@code scripts/bench-control} runs
 * both a sized heap and the JVM's own sizing). The measured window goes to stderr, for profiles;
 * {@code -Dbench.jfr=FILE} records it alone with JDK Flight Recorder.
 * Usage: TunnelSetupBenchmark [N (default 100 000)] [tls | plaintext (default tls: the gateways'
 * default, mutual TLS)]. Prints a markdown table.
 */
public final class TunnelSetupBenchmark {
    private static final int DESTINATIONS = 250;

    private TunnelSetupBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        boolean plaintext = args.length > 1 && args[1].equals("plaintext");
        if (args.length > 1 && !plaintext && !args[1].equals("tls")) {
            throw new IllegalArgumentException("the second argument is tls or plaintext, not " + args[1]);
        }
        int sources = (n + DESTINATIONS - 1) / DESTINATIONS;
        SoftDataplaneSettings dp = SoftDataplaneSettings.defaults().withKeySlots(Math.max(256, 4 * n))
                .withMissQueueCapacity(Math.max(4096, 4 * n));
        var config = ConfigFactory.parseString("pspgw { hold-total = " + (2 * n) + ", hold-timeout = 30s }");
        // every source VIP must be gateway 0's, or gateway 1 refuses the requests (a caller may only
        // ask for tunnels from VIPs it serves: VIP_NOT_OWNED)
        int primingSources = 1 + (n / 10 + DESTINATIONS - 1) / DESTINATIONS;
        int vipsPerGateway = Math.max(DESTINATIONS, (WARM_UP_ROUNDS + 1) * sources + primingSources);
        try (LocalCluster c = plaintext ? LocalCluster.startInsecure(2, vipsPerGateway, i -> dp, config)
                : LocalCluster.start(2, vipsPerGateway, i -> dp, config)) {
            LocalCluster.Member a = c.get(0);
            LocalCluster.Member b = c.get(1);
            prime(a, b, DESTINATIONS, (WARM_UP_ROUNDS + 1) * sources + 1);
            prime(a, b, n / 10, (WARM_UP_ROUNDS + 1) * sources + 2);
            // warm up (JIT, gRPC connection, actor machinery) with a round of the same size from other
            // source VIPs, then measure
            for (int round = 0; round < WARM_UP_ROUNDS; round++) {
                warmUp(a, b, n, round, sources);
            }
            // let the JIT compiler finish what the warm-up queued: on 2 cores it otherwise competes with the burst
            Thread.sleep(3_000);
            long heapBefore = usedHeap();
            long callsBefore = a.node().stats().grpcCalls();
            long upBefore = a.node().stats().tunnelsUp();
            long failedBefore = a.node().stats().tunnelsFailed();
            long droppedBefore = a.node().stats().droppedTotal();
            PerfCounters.Reading servingBefore = b.node().perf().read();
            PerfCounters.Reading askingBefore = a.node().perf().read();
            long[] sentAt = new long[n];
            // -Dbench.jfr=FILE: a flight recording (JFR's profile settings) of the measured burst only
            jdk.jfr.Recording recording = null;
            if (System.getProperty("bench.jfr") != null) {
                recording = new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"));
                recording.start();
            }
            java.time.Instant start = java.time.Instant.now();
            long uptimeAtStart = ManagementFactory.getRuntimeMXBean().getUptime();
            long cpu0 = processCpuNanos();
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                InetAddress src = a.vip(WARM_UP_ROUNDS * sources + 1 + i / DESTINATIONS);
                InetAddress dst = b.vip(1 + i % DESTINATIONS);
                sentAt[i] = System.nanoTime();
                if (!a.host().send(InnerPackets.udp(src, dst, i))) {
                    throw new IllegalStateException("host queue full at packet " + i);
                }
            }
            long sendNanos = System.nanoTime() - t0;
            long[] latency = new long[n];
            int received = 0;
            long deadline = System.nanoTime() + 120_000_000_000L;
            GatewayStats live = a.node().stats();
            while (received < n && System.nanoTime() < deadline) {
                byte[] p = b.host().take(1_000);
                if (p == null) {
                    if (live.delivered() + live.droppedTotal() >= live.held() && b.host().pending() == 0) {
                        break;
                    }
                    continue;
                }
                int seq = InnerPackets.sequence(p);
                latency[received++] = System.nanoTime() - sentAt[seq];
            }
            long totalNanos = System.nanoTime() - t0;
            long cpuNanos = processCpuNanos() - cpu0;
            if (recording != null) {
                recording.stop();
                recording.dump(java.nio.file.Path.of(System.getProperty("bench.jfr")));
                recording.close();
            }
            // for reading a profile of the run (JFR) over the measured part only
            System.err.println("measured window: " + start + " to " + java.time.Instant.now() + " (JVM uptime " + uptimeAtStart
                    + " to " + ManagementFactory.getRuntimeMXBean().getUptime() + " ms)");
            long heapAfter = usedHeap();
            GatewayStats s = a.node().stats();
            long calls = s.grpcCalls() - callsBefore;
            long[] got = Arrays.copyOf(latency, received);
            Arrays.sort(got);
            System.out.printf(Locale.ROOT, "| measure | value |%n|---|---|%n");
            System.out.printf(Locale.ROOT, "| VIP pairs missing (sent in) | %,d (%.2f s) |%n", n, sendNanos / 1e9);
            System.out.printf(Locale.ROOT, "| tunnels up / failed | %,d / %,d |%n", s.tunnelsUp() - upBefore,
                    s.tunnelsFailed() - failedBefore);
            System.out.printf(Locale.ROOT, "| end to end: first miss to last delivery | %.2f s (%,.0f tunnels/s) |%n", totalNanos / 1e9,
                    received / (totalNanos / 1e9));
            System.out.printf(Locale.ROOT, "| CPU per tunnel, both gateways (process CPU time / tunnels; %.1f of %d cores busy) | %.1f µs |%n",
                    cpuNanos / (double) totalNanos, Runtime.getRuntime().availableProcessors(), cpuNanos / 1e3 / Math.max(1, received));
            System.out.printf(Locale.ROOT, "| gRPC calls | %,d (%.0f tunnels per call) |%n", calls, received / (double) Math.max(1, calls));
            System.out.printf(Locale.ROOT, "| miss-to-delivery latency p50 / p99 / max | %.1f / %.1f / %.1f ms |%n", pct(got, 50),
                    pct(got, 99), got.length == 0 ? 0 : got[got.length - 1] / 1e6);
            long dropped = s.droppedTotal() - droppedBefore;
            System.out.printf(Locale.ROOT, "| held packets delivered / dropped (counted) | %,d / %,d |%n", received, dropped);
            // as --perf-print counts them (time inside the generation and the inserts), during the burst only
            System.out.printf(Locale.ROOT, "| key generation (gateway 1, serving) | %s |%n",
                    b.node().perf().read().since(servingBefore).keyGenLine());
            PerfCounters.Reading inserted = a.node().perf().read().since(askingBefore);
            System.out.printf(Locale.ROOT, "| insertion (gateway 0, sessions) | %s |%n", inserted.insertionLine());
            System.out.printf(Locale.ROOT, "| insertion, the Dataplane actor's CPU time only | %s |%n", inserted.insertionCpuLine());
            System.out.printf(Locale.ROOT, "| heap per tunnel, both gateways (actors, tables, keys) | %,.0f bytes |%n",
                    (heapAfter - heapBefore) / (double) Math.max(1, received));
        }
    }

    private static final int WARM_UP_ROUNDS = 2;

    /** {@code count} tunnels from source VIPs {@code firstSource} on: calls a colder JVM answers within the request timeout. */
    private static void prime(LocalCluster.Member a, LocalCluster.Member b, int count, int firstSource) throws InterruptedException {
        GatewayStats s = a.node().stats();
        long heldBefore = s.held();
        for (int i = 0; i < count; i++) {
            a.host().send(InnerPackets.udp(a.vip(firstSource + i / DESTINATIONS), b.vip(1 + i % DESTINATIONS), i));
        }
        long deadline = System.nanoTime() + 60_000_000_000L;
        while ((s.held() < heldBefore + count || s.delivered() + s.droppedTotal() < s.held()) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        while (b.host().take(500) != null) {
            // drain what priming delivered
        }
        if (s.droppedTotal() > 0) {
            System.err.println("priming dropped packets: " + s);
        }
    }

    /**
     * Warm-up round {@code round}: a burst of the same size from other source VIPs, until every held
     * packet is accounted for. A gateway under a burst has been running for a while, with its code
     * compiled; a first round on a cold JVM spends much of its time in the JIT compiler.
     */
    private static void warmUp(LocalCluster.Member a, LocalCluster.Member b, int n, int round, int sources) throws InterruptedException {
        GatewayStats s = a.node().stats();
        long heldAfter = s.held() + n;
        for (int i = 0; i < n; i++) {
            int source = 1 + round * sources + i / DESTINATIONS;
            a.host().send(InnerPackets.udp(a.vip(source), b.vip(1 + i % DESTINATIONS), i));
        }
        long deadline = System.nanoTime() + 120_000_000_000L;
        while ((s.held() < heldAfter || s.delivered() + s.droppedTotal() < s.held()) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        while (b.host().take(500) != null) {
            // drain what the warm-up delivered
        }
        if (s.droppedTotal() > 0) {
            System.err.println("warm-up dropped packets: " + s);
        }
    }

    private static double pct(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)] / 1e6;
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static long usedHeap() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
