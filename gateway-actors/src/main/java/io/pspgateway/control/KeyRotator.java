package io.pspgateway.control;

import io.pspgateway.cluster.ClusterRegistry;
import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Rotates this gateway's master keys — when asked (a peer's {@code RequestKeyRotation}, the
 * operator) or on the {@code pspgw.keys.rotation-interval} schedule — and makes each rotation
 * safe for the tunnels that use them. The key generations, as the data plane keeps them:
 *
 * <ul>
 *   <li><b>active</b> (index = generation % 2): new SPIs are minted under it;</li>
 *   <li><b>previous</b>: active until this rotation; its SPIs still decrypt, until the next one;</li>
 *   <li><b>retired</b>: overwritten by this rotation; its SPIs can no longer be decrypted.</li>
 * </ul>
 *
 * After a rotation the new generation is announced to the cluster, so that every peer sending
 * with an SPI of the (now) previous key fetches a fresh one before the next rotation retires it
 * (make-before-break, {@link Session}); the ingress ACLs of the retired key's SPIs are closed
 * ({@link IngressGrants} owns them all: peers' requests and our sessions' reverse SPIs alike).
 * Rotations closer together than {@code pspgw.keys.min-rotation-interval} are refused, so peers
 * always have that long to re-key and a peer cannot churn our keys by asking again and again.
 *
 * <p>The gateways of the tunnel file are told too, with the project's {@code GatewayKeys} call
 * (through the {@link PeerDirectory}): an original DOCA gateway does not serve it, and keeps its
 * SPIs until the second rotation makes them fail, as between two original gateways.
 */
public final class KeyRotator extends AbstractBehavior<KeyRotator.Command> {

    public sealed interface Command {
    }

    /** Rotate now, because of {@code reason} (for the log). */
    public record Rotate(String reason, ActorRef<Rotated> replyTo) implements Command {
    }

    /** The new generation; or -1 and why the rotation was refused. */
    public record Rotated(long generation, String refused) {
        public boolean done() {
            return refused == null;
        }
    }

    private record DataplaneRotated(Long generation, Throwable failure, Rotate request) implements Command {
    }

    private record Scheduled() implements Command {
    }

    /** {@code min-rotation-interval} has passed since the last rotation (the timer's end; while it runs, rotations are refused). */
    private record MayRotateAgain() implements Command {
    }

    private static final Duration DATAPLANE_TIMEOUT = Duration.ofSeconds(5);

    private final ActorRef<DataplaneActor.Command> dataplane;
    private final ActorRef<IngressGrants.Command> grants;
    /** Empty when the gateway is not clustered. */
    private final Optional<ActorRef<ClusterRegistry.Command>> registry;
    /** Tells the gateways of the tunnel file of each rotation. */
    private final ActorRef<PeerDirectory.Command> directory;
    private final Duration minInterval;
    private final TimerScheduler<Command> timers;
    private boolean rotating;

    private KeyRotator(ActorContext<Command> context, TimerScheduler<Command> timers, ActorRef<DataplaneActor.Command> dataplane,
                       ActorRef<IngressGrants.Command> grants, Optional<ActorRef<ClusterRegistry.Command>> registry,
                       ActorRef<PeerDirectory.Command> directory, Duration minInterval) {
        super(context);
        this.directory = directory;
        this.timers = timers;
        this.dataplane = dataplane;
        this.grants = grants;
        this.registry = registry;
        this.minInterval = minInterval;
    }

    /** {@code registry}: empty for a gateway outside a cluster. */
    static Behavior<Command> create(ActorRef<DataplaneActor.Command> dataplane, ActorRef<IngressGrants.Command> grants,
                                    Optional<ActorRef<ClusterRegistry.Command>> registry, ActorRef<PeerDirectory.Command> directory,
                                    ControlSettings settings) {
        return Behaviors.setup(ctx -> Behaviors.withTimers((TimerScheduler<Command> timers) -> {
            if (!settings.rotationInterval().isZero()) {
                timers.startTimerWithFixedDelay(new Scheduled(), settings.rotationInterval());
                ctx.getLog().info("master keys rotate every {} s", settings.rotationInterval().toSeconds());
            }
            return new KeyRotator(ctx, timers, dataplane, grants, registry, directory, settings.minRotationInterval());
        }));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(Rotate.class, this::onRotate)
                .onMessage(Scheduled.class, m -> onRotate(new Rotate("schedule", getContext().getSystem().ignoreRef())))
                .onMessage(DataplaneRotated.class, this::onDataplaneRotated)
                .onMessage(MayRotateAgain.class, m -> this)
                .build();
    }

    private Behavior<Command> onRotate(Rotate m) {
        if (rotating) {
            m.replyTo().tell(new Rotated(-1, "a rotation is in progress"));
            return this;
        }
        if (timers.isTimerActive(MayRotateAgain.class)) {
            String why = "the last rotation was less than " + minInterval.toMillis() + " ms ago; rotations are at least that far"
                    + " apart (pspgw.keys.min-rotation-interval) so that peers can re-key first";
            getContext().getLog().info("key rotation ({}) refused: {}", m.reason(), why);
            m.replyTo().tell(new Rotated(-1, why));
            return this;
        }
        rotating = true;
        getContext().ask(Long.class, dataplane, DATAPLANE_TIMEOUT, DataplaneActor.Rotate::new,
                (generation, failure) -> new DataplaneRotated(generation, failure, m));
        return this;
    }

    private Behavior<Command> onDataplaneRotated(DataplaneRotated m) {
        rotating = false;
        if (m.failure() != null) {
            getContext().getLog().warn("key rotation ({}) failed: the data plane did not rotate ({})", m.request().reason(),
                    m.failure().toString());
            m.request().replyTo().tell(new Rotated(-1, "the data plane did not rotate: " + m.failure().getMessage()));
            return this;
        }
        long generation = m.generation();
        if (!minInterval.isZero()) {
            timers.startSingleTimer(MayRotateAgain.class, new MayRotateAgain(), minInterval);
        }
        // the new active key overwrote the one before the previous: that index is the retired one
        int retired = (int) (generation & 1);
        grants.tell(new IngressGrants.KeyRetired(retired));
        registry.ifPresent(r -> r.tell(new ClusterRegistry.KeysRotated(generation)));
        directory.tell(new PeerDirectory.TellKeysRotated(generation));
        getContext().getLog().info("master keys rotated ({}): generation {}; SPIs with bit 31 = {} retired, peers told to re-key",
                m.request().reason(), generation, retired);
        m.request().replyTo().tell(new Rotated(generation, null));
        return this;
    }
}
