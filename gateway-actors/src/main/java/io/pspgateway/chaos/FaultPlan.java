package io.pspgateway.chaos;

import java.time.Duration;
import java.util.Random;

/**
 * Which faults to inject and how often, from one seed. Every fault point draws from the same
 * seeded generator, so a scenario's faults are reproducible from its seed up to the interleaving
 * of threads (the draws are the same sequence; which call gets which draw depends on timing).
 * Faults only fire while the plan is active, so a scenario can stop them and check liveness.
 *
 * @param seed              printed by every scenario, to replay it
 * @param grpcFailure       share of tunnel requests answered UNAVAILABLE
 * @param grpcDelay         share of tunnel requests answered late
 * @param delay             how late
 * @param installFailure    share of data plane entry installs that fail (INTERNAL)
 */
public record FaultPlan(long seed, double grpcFailure, double grpcDelay, Duration delay, double installFailure) {

    /** The generator and on/off switch of a running plan. */
    public static final class Dice {
        private final FaultPlan plan;
        private final Random random;
        private volatile boolean active = true;

        Dice(FaultPlan plan) {
            this.plan = plan;
            this.random = new Random(plan.seed());
        }

        public FaultPlan plan() {
            return plan;
        }

        /** True with probability {@code p} while active. */
        boolean roll(double p) {
            if (!active || p <= 0) {
                return false;
            }
            synchronized (random) {
                return random.nextDouble() < p;
            }
        }

        /** Stops every fault from now on. */
        public void stop() {
            active = false;
        }
    }

    public Dice dice() {
        return new Dice(this);
    }

    @Override
    public String toString() {
        return String.format("FaultPlan[seed=%d, grpc failure %.0f%%, grpc delay %.0f%% by %s, install failure %.0f%%]",
                seed, grpcFailure * 100, grpcDelay * 100, delay, installFailure * 100);
    }
}
