package io.pspgateway.chaos;

import io.pspgateway.psp.InnerPackets;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.pspgateway.control.LocalCluster;
import io.pspgateway.dataplane.soft.SoftDataplaneSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The long chaos run: three clustered gateways in one JVM under random faults for a given time. It
 * alternates a chaos phase (bursts between random VIP pairs in every direction, every fault of
 * the plan, random gRPC partitions that heal, random master-key rotations, which the gateways
 * refuse when they come closer than {@link #MIN_ROTATION_INTERVAL}) with a check phase (faults
 * paused, traffic drained, then the {@link InvariantChecker}, packet conservation across all
 * gateways, and liveness for a sample of pairs). Every finding is printed with its time; the
 * summary is a markdown report on stdout.
 * Usage: Soak [minutes (30)] [seed (random)].
 */
public final class Soak {
    private static final int GATEWAYS = 3;
    /** Few enough that every pair in every direction fits the 4 096 slots: tunnels never expire. */
    private static final int VIPS = 30;
    private static final Duration CHAOS_PHASE = Duration.ofSeconds(20);
    private static final String MIN_ROTATION_INTERVAL = "5s";

    private Soak() {
    }

    public static void main(String[] args) throws Exception {
        double minutes = args.length > 0 ? Double.parseDouble(args[0]) : 30;
        long seed = args.length > 1 ? Long.parseLong(args[1]) : System.nanoTime();
        FaultPlan plan = FaultPlan.seeded(seed).withGrpcFailure(0.05, Status.Code.UNAVAILABLE)
                .withGrpcDelay(0.03, Duration.ofMillis(1500)).withGrpcLostAnswers(0.02).withGrpcDuplicates(0.02)
                .withInstallFailures(0.03).withProgramFailures(0.02).withBackendCrashes(0.005);
        System.err.println("soak: " + minutes + " min, " + plan + " (replay with the same seed)");
        FaultPlan.Dice dice = plan.dice();
        Random random = new Random(seed);
        List<String> findings = new ArrayList<>();
        long sent = 0;
        long delivered = 0;
        int phases = 0;
        int rotations = 0;
        int rotationsRefused = 0;
        int partitions = 0;
        int reported = 0;
        long start = System.nanoTime();
        long end = start + (long) (minutes * 60e9);
        try (LocalCluster c = LocalCluster.startClusteredDecorated(GATEWAYS, VIPS, dice,
                i -> SoftDataplaneSettings.defaults().withKeySlots(4096),
                ConfigFactory.parseString("pspgw.keys.min-rotation-interval = " + MIN_ROTATION_INTERVAL)
                        .withFallback(FaultPlan.QUICK_RETRIES))) {
            c.awaitClusterViews(60_000);
            while (System.nanoTime() < end) {
                phases++;
                dice.resume();
                long phaseEnd = System.nanoTime() + CHAOS_PHASE.toNanos();
                while (System.nanoTime() < phaseEnd) {
                    sent += burst(c, random, 50);
                    delivered += drainAll(c, 0);
                    int roll = random.nextInt(100);
                    if (roll < 3) {
                        int a = random.nextInt(GATEWAYS);
                        dice.partition(a, (a + 1 + random.nextInt(GATEWAYS - 1)) % GATEWAYS);
                        partitions++;
                    } else if (roll < 10) {
                        dice.heal();
                    } else if (roll < 13) {
                        if (c.get(random.nextInt(GATEWAYS)).node().rotateMasterKey().done()) {
                            rotations++;
                        } else {
                            rotationsRefused++;
                        }
                    }
                    Thread.sleep(200);
                }
                dice.stop();
                delivered += drainAll(c, 3_000);
                String at = String.format(Locale.ROOT, "%.1f min", (System.nanoTime() - start) / 60e9);
                for (String v : InvariantChecker.await(c, 20_000)) {
                    findings.add(at + ": invariant: " + v);
                }
                long accounted = delivered + droppedEverywhere(c);
                if (accounted != sent) {
                    findings.add(at + ": conservation: sent " + sent + ", delivered " + delivered + " + dropped "
                            + (accounted - delivered) + " = " + accounted);
                }
                long liveSent = burst(c, random, 20);
                sent += liveSent;
                long arrived = drainAll(c, 2_000);
                delivered += arrived;
                if (arrived != liveSent) {
                    // a pair may still be in its retry-after-failure pause; a second round must get through
                    long again = burst(c, random, 20);
                    sent += again;
                    long arrivedAgain = drainAll(c, 5_000);
                    delivered += arrivedAgain;
                    if (arrivedAgain != again) {
                        findings.add(at + ": liveness: " + arrivedAgain + " of " + again + " sample packets arrived with faults off");
                    }
                }
                for (String f : findings.subList(reported, findings.size())) {
                    System.err.println("FINDING " + f);
                }
                reported = findings.size();
                System.err.println(at + ": phase " + phases + " done, " + findings.size() + " finding(s) so far");
            }
            report(seed, minutes, plan, phases, sent, delivered, rotations + " (" + rotationsRefused + " refused)", partitions, c, findings);
        }
    }

    /** {@code n} packets between random VIP pairs of different gateways; returns how many were sent. */
    private static long burst(LocalCluster c, Random random, int n) {
        for (int k = 0; k < n; k++) {
            int from = random.nextInt(GATEWAYS);
            int to = (from + 1 + random.nextInt(GATEWAYS - 1)) % GATEWAYS;
            LocalCluster.Member src = c.get(from);
            src.host().send(InnerPackets.udp(src.vip(1 + random.nextInt(VIPS)), c.get(to).vip(1 + random.nextInt(VIPS)), k));
        }
        return n;
    }

    private static long drainAll(LocalCluster c, long quietMillis) throws InterruptedException {
        long got = 0;
        for (LocalCluster.Member m : c.members()) {
            while ((quietMillis == 0 ? m.host().poll() : m.host().take(quietMillis)) != null) {
                got++;
            }
        }
        return got;
    }

    private static long droppedEverywhere(LocalCluster c) {
        long dropped = c.network().unroutable();
        for (LocalCluster.Member m : c.members()) {
            dropped += m.node().stats().droppedTotal() + m.dataplane().counters().droppedTotal();
        }
        return dropped;
    }

    private static void report(long seed, double minutes, FaultPlan plan, int phases, long sent, long delivered, String rotations,
                               int partitions, LocalCluster c, List<String> findings) {
        System.out.printf(Locale.ROOT, "| seed | minutes | phases | packets sent | delivered | dropped (counted) | rotations | partitions | findings |%n");
        System.out.printf("|---|---|---|---|---|---|---|---|---|%n");
        System.out.printf(Locale.ROOT, "| %d | %.1f | %d | %d | %d | %d | %s | %d | %d |%n", seed, minutes, phases, sent, delivered,
                droppedEverywhere(c), rotations, partitions, findings.size());
        System.out.println();
        System.out.println("Faults: " + plan);
        for (LocalCluster.Member m : c.members()) {
            System.out.println("- " + m.name() + ": " + m.node().stats() + "; data plane drops " + m.dataplane().counters().drops());
        }
        System.out.println();
        if (findings.isEmpty()) {
            System.out.println("No invariant, conservation or liveness violation found.");
        }
        findings.forEach(f -> System.out.println("- " + f));
    }
}
