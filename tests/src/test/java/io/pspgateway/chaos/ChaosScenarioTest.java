package io.pspgateway.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import io.pspgateway.control.GatewayStats;
import io.pspgateway.control.LocalCluster;
import io.pspgateway.dataplane.soft.SoftDataplaneSettings;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Seeded chaos: a burst of misses while the network and the data plane misbehave, then the
 * faults stop. After each phase the {@link InvariantChecker} must find nothing wrong, and once
 * the faults have stopped every VIP pair with traffic must reach its tunnel (liveness, bounded).
 * Each scenario prints its seed; {@code -Dchaos.seed=N} replays it.
 */
class ChaosScenarioTest {
    private static final int DESTINATIONS = 100;

    private static long seed() {
        long seed = Long.getLong("chaos.seed", System.nanoTime());
        System.out.println("chaos seed: " + seed + " (replay with -Dchaos.seed=" + seed + ")");
        return seed;
    }

    /** Sends one packet from gateway 0 to each of the first {@code n} VIPs of gateways 1 and 2. */
    private static void burst(LocalCluster c, int seq) {
        LocalCluster.Member a = c.get(0);
        for (int h = 1; h <= DESTINATIONS; h++) {
            a.host().send(LocalCluster.packet(a.vip(), c.get(1).vip(h), seq));
            a.host().send(LocalCluster.packet(a.vip(), c.get(2).vip(h), seq));
        }
    }

    private static int drain(LocalCluster c, long quietMillis) throws InterruptedException {
        int got = 0;
        for (int i = 1; i <= 2; i++) {
            while (c.get(i).host().take(quietMillis) != null) {
                got++;
            }
        }
        return got;
    }

    private void run(FaultPlan plan) throws Exception {
        System.out.println("scenario: " + plan);
        FaultPlan.Dice dice = plan.dice();
        var config = ConfigFactory.parseString("pspgw { grpc { request-timeout = 1s, retries = 2, backoff-min = 20ms, "
                + "backoff-max = 100ms, breaker-failures = 1000 }, hold-timeout = 5s, retry-failed-after = 200ms }");
        try (LocalCluster c = LocalCluster.startWithFaults(3, DESTINATIONS, dice,
                i -> SoftDataplaneSettings.defaults().withKeySlots(1024), config)) {
            burst(c, 1);
            int delivered = drain(c, 3_000);
            GatewayStats a = c.get(0).node().stats();
            List<String> v = InvariantChecker.await(c, 20_000);
            assertEquals(List.of(), v, "invariants under faults, seed " + plan.seed());
            long sent = 2L * DESTINATIONS;
            long dataplaneDrops = c.get(0).dataplane().counters().droppedTotal();
            assertEquals(sent, delivered + a.droppedTotal() + dataplaneDrops,
                    "every packet of the burst delivered once or counted as dropped, seed " + plan.seed() + ": " + a);

            // the faults stop: every pair must reach its tunnel within the bound
            dice.stop();
            Thread.sleep(300);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            int reached = 0;
            for (int round = 2; reached < 2 * DESTINATIONS && System.nanoTime() < deadline; round++) {
                burst(c, round);
                reached = drain(c, 2_000);
            }
            assertEquals(2 * DESTINATIONS, reached, "liveness after the faults stopped, seed " + plan.seed());
            assertEquals(List.of(), InvariantChecker.await(c, 20_000), "invariants after recovery, seed " + plan.seed());
        }
    }

    @Test
    void burstWhileTenPercentOfCallsFailAndFivePercentArriveTooLate() throws Exception {
        run(new FaultPlan(seed(), 0.10, 0.05, Duration.ofMillis(1500), 0));
    }

    @Test
    void burstWhileAFifthOfEntryInsertsFail() throws Exception {
        run(new FaultPlan(seed(), 0, 0, Duration.ZERO, 0.20));
    }

    @Test
    void burstWhileEverythingMisbehaves() throws Exception {
        run(new FaultPlan(seed(), 0.15, 0.10, Duration.ofMillis(1500), 0.10));
    }

    @Test
    void twoGatewaysRequestTunnelsFromEachOtherAtTheSameInstant() throws Exception {
        FaultPlan plan = new FaultPlan(seed(), 0.05, 0, Duration.ZERO, 0);
        System.out.println("scenario: both directions at once, " + plan);
        try (LocalCluster c = LocalCluster.startWithFaults(2, DESTINATIONS, plan.dice(),
                i -> SoftDataplaneSettings.defaults().withKeySlots(1024), ConfigFactory.empty())) {
            LocalCluster.Member a = c.get(0);
            LocalCluster.Member b = c.get(1);
            // every pair asked for from both ends at once: each side's request carries reverse_params
            // for a direction the other side is setting up itself
            for (int h = 1; h <= DESTINATIONS; h++) {
                a.host().send(LocalCluster.packet(a.vip(h), b.vip(h), h));
                b.host().send(LocalCluster.packet(b.vip(h), a.vip(h), h));
            }
            int atA = 0;
            int atB = 0;
            while (a.host().take(3_000) != null) {
                atA++;
            }
            while (b.host().take(1_000) != null) {
                atB++;
            }
            assertEquals(List.of(), InvariantChecker.await(c, 20_000), "invariants, seed " + plan.seed());
            for (LocalCluster.Member m : List.of(a, b)) {
                GatewayStats s = m.node().stats();
                int deliveredHere = m == a ? atB : atA;
                assertEquals(DESTINATIONS, deliveredHere + s.droppedTotal() + m.dataplane().counters().droppedTotal(),
                        m.name() + ": every packet delivered once or counted, seed " + plan.seed() + ": " + s);
            }
        }
    }
}
