package io.pspgateway.chaos;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.pspgateway.control.ActorDecorator;
import io.pspgateway.control.LocalCluster;
import io.pspgateway.control.MissHandler;
import io.pspgateway.dataplane.DataplaneOps;
import io.pspgateway.dataplane.HeldPacket;
import io.pspgateway.dataplane.port.PacketPort;
import io.pspgateway.proto.doca.PSP_Gateway;
import java.time.Duration;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Which faults to inject and how often, from one seed. Every fault point draws from the same
 * seeded generator, so a scenario's faults are reproducible from its seed up to the interleaving
 * of threads (the draws are the same sequence; which call gets which draw depends on timing).
 * Faults only fire while the plan is active, so a scenario can stop them and check liveness.
 * Build one with {@link #seeded(long)} and the {@code with...} methods; every share is 0 to 1.
 *
 * @param seed            printed by every scenario, to replay it
 * @param grpcFailure     share of tunnel requests refused with {@code grpcFailureCode}
 * @param grpcFailureCode the status they are refused with
 * @param grpcDelay       share of tunnel requests answered late
 * @param delay           how late
 * @param grpcLostAnswer  share of tunnel requests carried out (SPIs minted, ACLs opened) whose answer never arrives
 * @param grpcDuplicate   share of tunnel requests that arrive twice (a retransmission), each carried out
 * @param installFailure  share of encrypt-entry inserts that fail (INTERNAL)
 * @param programFailure  share of key-slot programmings that fail (INTERNAL)
 * @param writeDelay      how long every write to the device takes (key programming, entry inserts,
 *                        ACLs, removals: a slow device), zero for none
 * @param backendCrash    share of backend calls (mint, ACL, program, insert) that throw an unexpected
 *                        exception — a driver bug — which the Dataplane actor's supervision must survive
 * @param actorCrash      share of the times an actor reaches one of {@code crashAt} that it throws there
 *                        (the first time at each point it always throws, so that every scenario with
 *                        crashes has at least one)
 * @param crashAt         the crash points in play
 * @param removalFailure  share of removals (encrypt entries, ACLs, key-slot wipes) the backend refuses (INTERNAL)
 * @param workerStall     share of the packet batches after which a packet worker stalls (a slow
 *                        core, a descheduled thread)
 * @param stall           how long it stalls
 */
public record FaultPlan(long seed, double grpcFailure, Status.Code grpcFailureCode, double grpcDelay, Duration delay,
                        double grpcLostAnswer, double grpcDuplicate, double installFailure, double programFailure,
                        Duration writeDelay, double backendCrash, double actorCrash, Set<CrashPoint> crashAt,
                        double removalFailure, double workerStall, Duration stall) {

    /** Control-plane settings under which retries, failures and their pauses happen within a chaos run's time. */
    public static final Config QUICK_RETRIES = ConfigFactory.parseString("pspgw { grpc { request-timeout = 1s, retries = 2, "
            + "backoff-min = 20ms, backoff-max = 100ms, breaker-failures = 1000 }, hold-timeout = 5s, retry-failed-after = 200ms }");

    /** No faults at all, yet: add them with the {@code with...} methods. */
    public static FaultPlan seeded(long seed) {
        return new FaultPlan(seed, 0, Status.Code.UNAVAILABLE, 0, Duration.ZERO, 0, 0, 0, 0, Duration.ZERO, 0, 0, Set.of(),
                0, 0, Duration.ZERO);
    }

    public FaultPlan withGrpcFailure(double share, Status.Code code) {
        return edit(p -> {
            p.grpcFailure = share;
            p.grpcFailureCode = code;
        });
    }

    public FaultPlan withGrpcDelay(double share, Duration by) {
        return edit(p -> {
            p.grpcDelay = share;
            p.delay = by;
        });
    }

    public FaultPlan withGrpcLostAnswers(double share) {
        return edit(p -> p.grpcLostAnswer = share);
    }

    public FaultPlan withGrpcDuplicates(double share) {
        return edit(p -> p.grpcDuplicate = share);
    }

    public FaultPlan withInstallFailures(double share) {
        return edit(p -> p.installFailure = share);
    }

    public FaultPlan withProgramFailures(double share) {
        return edit(p -> p.programFailure = share);
    }

    public FaultPlan withSlowDevice(Duration eachWrite) {
        return edit(p -> p.writeDelay = eachWrite);
    }

    public FaultPlan withBackendCrashes(double share) {
        return edit(p -> p.backendCrash = share);
    }

    /** Actors throw at {@code points}, each time one is reached with probability {@code share}. */
    public FaultPlan withActorCrashes(double share, CrashPoint... points) {
        return edit(p -> {
            p.actorCrash = share;
            p.crashAt = Set.of(points);
        });
    }

    public FaultPlan withRemovalFailures(double share) {
        return edit(p -> p.removalFailure = share);
    }

    /** Packet workers stall for {@code by} after a share {@code share} of their batches. */
    public FaultPlan withWorkerStalls(double share, Duration by) {
        return edit(p -> {
            p.workerStall = share;
            p.stall = by;
        });
    }

    /** This plan with {@code change} made to a mutable copy of its fields. */
    private FaultPlan edit(java.util.function.Consumer<Fields> change) {
        Fields f = new Fields(this);
        change.accept(f);
        return f.plan();
    }

    /** The fields of a plan being edited. */
    private static final class Fields {
        final long seed;
        double grpcFailure;
        Status.Code grpcFailureCode;
        double grpcDelay;
        Duration delay;
        double grpcLostAnswer;
        double grpcDuplicate;
        double installFailure;
        double programFailure;
        Duration writeDelay;
        double backendCrash;
        double actorCrash;
        Set<CrashPoint> crashAt;
        double removalFailure;
        double workerStall;
        Duration stall;

        Fields(FaultPlan p) {
            seed = p.seed;
            grpcFailure = p.grpcFailure;
            grpcFailureCode = p.grpcFailureCode;
            grpcDelay = p.grpcDelay;
            delay = p.delay;
            grpcLostAnswer = p.grpcLostAnswer;
            grpcDuplicate = p.grpcDuplicate;
            installFailure = p.installFailure;
            programFailure = p.programFailure;
            writeDelay = p.writeDelay;
            backendCrash = p.backendCrash;
            actorCrash = p.actorCrash;
            crashAt = p.crashAt;
            removalFailure = p.removalFailure;
            workerStall = p.workerStall;
            stall = p.stall;
        }

        FaultPlan plan() {
            return new FaultPlan(seed, grpcFailure, grpcFailureCode, grpcDelay, delay, grpcLostAnswer, grpcDuplicate, installFailure,
                    programFailure, writeDelay, backendCrash, actorCrash, crashAt, removalFailure, workerStall, stall);
        }
    }

    /**
     * The generator, the on/off switch and the gRPC partitions of a running plan; as the decorator
     * of a {@link LocalCluster}, it puts the plan's faults into gateway {@code i}'s ports, data
     * plane, gRPC service and actors.
     */
    public static final class Dice implements LocalCluster.Decorator, ActorDecorator {
        private final FaultPlan plan;
        private final Random random;
        private final Set<Long> partitioned = ConcurrentHashMap.newKeySet();
        private volatile boolean active = true;
        private final AtomicInteger crashes = new AtomicInteger();
        private final Set<CrashPoint> reached = ConcurrentHashMap.newKeySet();

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

        boolean active() {
            return active;
        }

        /** How many actor crashes the plan injected so far. */
        public int crashes() {
            return crashes.get();
        }

        @Override
        public PacketPort port(int gateway, PacketPort port) {
            return new StallingPort(port, this);
        }

        @Override
        public DataplaneOps dataplane(int gateway, DataplaneOps ops) {
            return new FaultyDataplane(ops, this);
        }

        @Override
        public PSP_Gateway service(int gateway, PSP_Gateway service) {
            return new FaultyTunnelService(service, this, gateway, LocalCluster::gatewayOfVip);
        }

        @Override
        public ActorDecorator actors(int gateway) {
            return this;
        }

        @Override
        public <T> Behavior<T> decorate(Class<?> actor, Behavior<T> behavior) {
            List<CrashPoint> here = plan.crashAt().stream().filter(p -> p.actor == actor).toList();
            return here.isEmpty() ? behavior : Behaviors.intercept(() -> new Crashing<>(here), behavior);
        }

        /** Throws, at the plan's rate, when the actor receives the message of one of {@code points}. */
        private final class Crashing<T> extends BehaviorInterceptor<T, T> {
            private final List<CrashPoint> points;

            @SuppressWarnings("unchecked")
            Crashing(List<CrashPoint> points) {
                super((Class<T>) Object.class);
                this.points = points;
            }

            @Override
            @SuppressWarnings("unchecked")
            public Behavior<T> aroundReceive(TypedActorContext<T> ctx, T msg, ReceiveTarget<T> target) {
                for (CrashPoint point : points) {
                    if (point.message.isInstance(msg) && active && (reached.add(point) || roll(plan.actorCrash()))) {
                        if (point == CrashPoint.MISS_HANDLER_MISSED) {
                            List<HeldPacket> batch = ((MissHandler.Missed) msg).packets();
                            if (!batch.isEmpty()) {
                                return target.apply(ctx, (T) new MissHandler.Missed(failingAt(batch, pick(batch.size()))));
                            }
                        } else {
                            crashes.incrementAndGet();
                            throw new IllegalStateException("injected crash at " + point);
                        }
                    }
                }
                return target.apply(ctx, msg);
            }
        }

        private int pick(int bound) {
            synchronized (random) {
                return random.nextInt(bound);
            }
        }

        /** {@code list}, but reading element {@code index} throws the first time. */
        private <E> List<E> failingAt(List<E> list, int index) {
            return new AbstractList<>() {
                private boolean thrown;

                @Override
                public E get(int i) {
                    if (i == index && !thrown) {
                        thrown = true;
                        crashes.incrementAndGet();
                        throw new IllegalStateException("injected crash at element " + i + " of " + list.size());
                    }
                    return list.get(i);
                }

                @Override
                public int size() {
                    return list.size();
                }
            };
        }

        /** Stops every fault from now on (partitions included). */
        public void stop() {
            active = false;
            partitioned.clear();
        }

        /** Starts the faults again after {@link #stop()} (partitions must be made anew). */
        public void resume() {
            active = true;
        }

        /** From now on gateways {@code a} and {@code b} cannot reach each other's gRPC service. */
        public void partition(int a, int b) {
            partitioned.add(pair(a, b));
        }

        /** Ends every partition. */
        public void heal() {
            partitioned.clear();
        }

        boolean partitioned(int a, int b) {
            return partitioned.contains(pair(a, b));
        }

        private static long pair(int a, int b) {
            return ((long) Math.min(a, b) << 32) | Math.max(a, b);
        }
    }

    public Dice dice() {
        return new Dice(this);
    }

    @Override
    public String toString() {
        List<String> faults = new ArrayList<>();
        share(faults, grpcFailure, "gRPC calls refused " + grpcFailureCode);
        share(faults, grpcDelay, "gRPC answers " + delay.toMillis() + " ms late");
        share(faults, grpcLostAnswer, "gRPC answers lost");
        share(faults, grpcDuplicate, "gRPC requests duplicated");
        share(faults, installFailure, "entry inserts failing");
        share(faults, programFailure, "key programming failing");
        share(faults, backendCrash, "backend calls throwing");
        share(faults, actorCrash, "crashes at " + crashAt);
        if (!writeDelay.isZero()) {
            faults.add("every device write " + writeDelay.toMillis() + " ms");
        }
        share(faults, removalFailure, "removals refused");
        share(faults, workerStall, "packet batches followed by a " + stall.toMillis() + " ms worker stall");
        return "FaultPlan[seed=" + seed + (faults.isEmpty() ? "" : ", " + String.join(", ", faults)) + "]";
    }

    private static void share(List<String> out, double share, String what) {
        if (share > 0) {
            out.add(String.format("%.0f%% %s", share * 100, what));
        }
    }
}
