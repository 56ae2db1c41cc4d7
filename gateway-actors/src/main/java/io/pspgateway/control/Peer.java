package io.pspgateway.control;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.pspgateway.proto.doca.MultiTunnelRequest;
import io.pspgateway.proto.doca.MultiTunnelResponse;
import io.pspgateway.proto.doca.PSP_GatewayClient;
import io.pspgateway.proto.keys.GatewayKeysClient;
import io.pspgateway.proto.keys.KeysRotatedRequest;
import io.pspgateway.proto.doca.SingleTunnelRequest;
import io.pspgateway.proto.doca.TunnelParameters;
import io.pspgateway.psp.IpText;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.apache.pekko.pattern.CircuitBreaker;
import org.apache.pekko.pattern.CircuitBreakerOpenException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One remote gateway: owns its gRPC client and turns many concurrent tunnel requests into few
 * {@code RequestMultipleTunnelParams} calls. Tunnels asked for within the coalescing window (or
 * until a call is full) travel together; each request hears its answers together, in its order. A failed call is
 * retried with exponential backoff when the status says it may succeed later; after too many
 * consecutive failures Pekko's {@link CircuitBreaker} opens and requests fail at once until a
 * trial call after the reset timeout succeeds.
 *
 * <p>Supervision: default (stop on failure). A stopped Peer fails nobody silently: every waiting
 * asker has its own timeout, and the directory spawns a fresh Peer on the next request.
 */
public final class Peer extends AbstractBehavior<Peer.Command> {

    public sealed interface Command {
    }

    /**
     * Asks the peer for the parameters of these tunnels; one answer, {@link TunnelReplies}, in the
     * same order, once every tunnel has its answer (tunnels of one request may travel in several
     * calls, and the tunnels of several requests in one).
     */
    public record RequestTunnels(List<Wanted> tunnels, ActorRef<TunnelReplies> replyTo) implements Command {
    }

    /**
     * One tunnel from {@code localVip} to {@code remoteVip}; {@code reverse}, when not null, is
     * what the peer should use to send back to us.
     */
    public record Wanted(InetAddress localVip, InetAddress remoteVip, TunnelParameters reverse) {
    }

    /** The answers to one {@link RequestTunnels}, in its order. */
    public record TunnelReplies(List<TunnelReply> replies) {
    }

    /** The peer's parameters, or the gRPC status that explains why there are none. */
    public record TunnelReply(TunnelParameters params, Status failure) {
    }

    /**
     * We rotated our master keys to {@code generation}: tell this peer (the project's
     * {@code GatewayKeys} call), so that it re-keys what it sends us before our next rotation;
     * {@code replyTo} hears how that went.
     */
    public record TellKeysRotated(long generation, ActorRef<KeysTold> replyTo) implements Command {
    }

    /** How telling a peer of a rotation went. */
    public enum KeysTold {
        /** It took note. */
        TOLD,
        /** It does not serve the call (an original DOCA gateway): it keeps the original's behaviour, and is not asked again. */
        NOT_SERVED,
        /** It could not be reached, retries included. */
        FAILED
    }

    /** The answer to telling this peer of rotation {@code generation}, at try {@code attempt} (from 0). */
    private record KeysRotatedAnswered(TellKeysRotated told, int attempt, Throwable failure) implements Command {
    }

    /** Telling this peer of a rotation again, try {@code attempt}. */
    private record TellKeysRotatedAgain(TellKeysRotated told, int attempt) implements Command {
    }

    /** The key of the retry timer of telling a rotation. */
    private record KeysRotatedRetry(long generation) {
    }

    private record Flush() implements Command {
    }

    private record Answered(List<Item> batch, int attempt, long sentAtNanos, MultiTunnelResponse response,
                            Throwable error) implements Command {
    }

    private record Retry(List<Item> batch, int attempt) implements Command {
    }

    /** The answers of one {@link RequestTunnels} as they come in. */
    private static final class Asked {
        final TunnelReply[] replies;
        final ActorRef<TunnelReplies> replyTo;
        int missing;

        Asked(int size, ActorRef<TunnelReplies> replyTo) {
            this.replies = new TunnelReply[size];
            this.missing = size;
            this.replyTo = replyTo;
        }

        void answer(int index, TunnelReply reply) {
            replies[index] = reply;
            if (--missing == 0) {
                replyTo.tell(new TunnelReplies(List.of(replies)));
            }
        }
    }

    /** One tunnel waiting for its call: answer {@code index} of {@code asked}. */
    private record Item(Wanted tunnel, Asked asked, int index) {
        void answer(TunnelReply reply) {
            asked.answer(index, reply);
        }
    }

    private static final AtomicLong REQUEST_IDS = new AtomicLong();
    /** For the breaker's listeners, which run outside the actor. */
    private static final Logger LOG = LoggerFactory.getLogger(Peer.class);

    private final ControlSettings settings;
    private final List<Integer> versionsAccepted;
    private final PSP_GatewayClient client;
    private final GatewayKeysClient keysClient;
    /** Whether the peer answered UNIMPLEMENTED to GatewayKeys (an original DOCA gateway): said once, not asked again. */
    private boolean keysUnimplemented;
    private final InetSocketAddress address;
    /** The peer as logs name it: {@code 10.0.0.2:3000} or {@code [2001:db8::2]:3000}. */
    private final String name;
    private final TimerScheduler<Command> timers;
    private final GatewayStats stats;
    private final CircuitBreaker breaker;
    private List<Item> pending = new ArrayList<>();

    private Peer(ActorContext<Command> context, TimerScheduler<Command> timers, InetSocketAddress address,
                 ControlSettings settings, PeerDialing dialing, List<Integer> versionsAccepted, GatewayStats stats) {
        super(context);
        this.timers = timers;
        this.address = address;
        this.name = IpText.of(address);
        this.settings = settings;
        this.versionsAccepted = versionsAccepted;
        this.stats = stats;
        GrpcClientSettings grpc = dialing.clientSettings(address, settings, context.getSystem());
        this.client = PSP_GatewayClient.create(grpc, context.getSystem());
        this.keysClient = GatewayKeysClient.create(grpc, context.getSystem());
        // the gRPC deadline times each call; the breaker only needs a bound beyond it
        this.breaker = CircuitBreaker.create(Adapter.toClassic(context.getSystem()).scheduler(), settings.breakerFailures(),
                settings.requestTimeout().plusSeconds(1), settings.breakerReset());
        breaker.addOnOpenListener(() -> LOG.warn("circuit to {} opens for {} after {} failed requests", name,
                settings.breakerReset(), settings.breakerFailures()));
        breaker.addOnCloseListener(() -> LOG.info("circuit to {} closed again", name));
    }

    public static Behavior<Command> create(InetSocketAddress address, ControlSettings settings, PeerDialing dialing,
                                           List<Integer> versionsAccepted, GatewayStats stats) {
        return Behaviors.setup(ctx -> Behaviors.withTimers(timers ->
                new Peer(ctx, timers, address, settings, dialing, versionsAccepted, stats)));
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(RequestTunnels.class, this::onRequest)
                .onMessage(Flush.class, m -> flush())
                .onMessage(Answered.class, this::onAnswered)
                .onMessage(Retry.class, m -> send(m.batch(), m.attempt()))
                .onMessage(TellKeysRotated.class, m -> tellKeysRotated(m, 0))
                .onMessage(KeysRotatedAnswered.class, this::onKeysRotatedAnswered)
                .onMessage(TellKeysRotatedAgain.class, m -> tellKeysRotated(m.told(), m.attempt()))
                .onSignal(PostStop.class, s -> {
                    client.close();
                    keysClient.close();
                    return this;
                })
                .build();
    }

    private Behavior<Command> tellKeysRotated(TellKeysRotated told, int attempt) {
        if (keysUnimplemented) {
            told.replyTo().tell(KeysTold.NOT_SERVED);
        } else {
            getContext().pipeToSelf(keysClient.keysRotated(KeysRotatedRequest.newBuilder().setKeyGeneration(told.generation()).build()),
                    (ok, failure) -> new KeysRotatedAnswered(told, attempt, failure));
        }
        return this;
    }

    private Behavior<Command> onKeysRotatedAnswered(KeysRotatedAnswered m) {
        long generation = m.told().generation();
        if (m.failure() == null) {
            LOG.debug("{} was told of our key rotation to generation {}", name, generation);
            m.told().replyTo().tell(KeysTold.TOLD);
            return this;
        }
        Status status = statusOf(m.failure());
        if (status.getCode() == Status.Code.UNIMPLEMENTED) {
            keysUnimplemented = true;
            LOG.info("{} does not serve the re-key call (an original DOCA gateway?): its tunnels to us keep their SPIs until our"
                    + " next rotation but one fails them, as between original gateways", name);
            m.told().replyTo().tell(KeysTold.NOT_SERVED);
        } else if (m.attempt() < settings.retries()) {
            LOG.info("telling {} of our key rotation failed ({}); trying again", name, status.getCode());
            timers.startSingleTimer(new KeysRotatedRetry(generation), new TellKeysRotatedAgain(m.told(), m.attempt() + 1),
                    settings.backoffMax());
        } else {
            LOG.warn("{} could not be told of our key rotation to generation {} ({}): its tunnels to us fail at our next rotation"
                    + " unless it re-keys otherwise", name, generation, status);
            m.told().replyTo().tell(KeysTold.FAILED);
        }
        return this;
    }

    private Behavior<Command> onRequest(RequestTunnels r) {
        if (r.tunnels().isEmpty()) {
            r.replyTo().tell(new TunnelReplies(List.of()));
            return this;
        }
        Asked asked = new Asked(r.tunnels().size(), r.replyTo());
        if (breaker.isOpen()) {
            Status open = circuitOpen();
            for (int i = 0; i < r.tunnels().size(); i++) {
                asked.answer(i, new TunnelReply(null, open));
            }
            return this;
        }
        for (int i = 0; i < r.tunnels().size(); i++) {
            pending.add(new Item(r.tunnels().get(i), asked, i));
        }
        int max = settings.maxTunnelsPerRequest();
        if (pending.size() >= max) {
            // full calls go now; the rest waits for the window like any other
            List<Item> all = pending;
            int full = all.size() / max * max;
            for (int from = 0; from < full; from += max) {
                send(List.copyOf(all.subList(from, from + max)), 1);
            }
            pending = new ArrayList<>(all.subList(full, all.size()));
            if (pending.isEmpty()) {
                timers.cancel("flush");
                return this;
            }
        }
        if (!timers.isTimerActive("flush")) {
            timers.startSingleTimer("flush", new Flush(), settings.coalesceWindow());
        }
        return this;
    }

    private Behavior<Command> flush() {
        if (pending.isEmpty()) {
            return this;
        }
        List<Item> batch = pending;
        pending = new ArrayList<>();
        return send(batch, 1);
    }

    private Behavior<Command> send(List<Item> batch, int attempt) {
        MultiTunnelRequest.Builder request = MultiTunnelRequest.newBuilder()
                .setRequestId(REQUEST_IDS.incrementAndGet())
                .addAllPspVersionsAccepted(versionsAccepted);
        for (Item item : batch) {
            Wanted r = item.tunnel();
            SingleTunnelRequest.Builder single = SingleTunnelRequest.newBuilder()
                    .setVirtSrcIp(IpText.of(r.localVip()))
                    .setVirtDstIp(IpText.of(r.remoteVip()))
                    .setInnerType(r.localVip().getAddress().length == 16 ? 6 : 4);
            if (r.reverse() != null) {
                single.setReverseParams(r.reverse());
            }
            request.addTunnels(single);
        }
        stats.grpcCallMade(batch.size());
        long sentAt = System.nanoTime();
        MultiTunnelRequest built = request.build();
        // only the failures that say the peer is unwell count towards opening the circuit: a peer
        // that refuses a bad request (INVALID_ARGUMENT, RESOURCE_EXHAUSTED) is answering fine
        getContext().pipeToSelf(breaker.callWithCircuitBreakerCS(() -> client.requestMultipleTunnelParams(built),
                        (response, error) -> error.isPresent() && retriable(statusOf(error.get()))),
                (response, error) -> new Answered(batch, attempt, sentAt, response, error));
        return this;
    }

    private Behavior<Command> onAnswered(Answered a) {
        if (a.error() == null) {
            getContext().getLog().debug("{} answered {} tunnels in {} ms", name, a.batch().size(),
                    (System.nanoTime() - a.sentAtNanos()) / 1_000_000);
            List<TunnelParameters> params = a.response().getTunnelsParamsList();
            if (params.size() != a.batch().size()) {
                failAll(a.batch(), Status.INTERNAL.withDescription(name + " answered " + params.size()
                        + " tunnels for " + a.batch().size() + " requested"));
                return this;
            }
            for (int i = 0; i < params.size(); i++) {
                a.batch().get(i).answer(new TunnelReply(params.get(i), null));
            }
            return this;
        }
        Status status = unwrap(a.error()) instanceof CircuitBreakerOpenException ? circuitOpen() : statusOf(a.error());
        if (status.getCode() == Status.Code.INVALID_ARGUMENT && a.batch().size() > 1) {
            // the peer refuses a whole call for one bad tunnel (a VIP it does not serve, say): halve
            // the call until the bad tunnels stand alone, so they do not take the others down with them
            int half = a.batch().size() / 2;
            getContext().getLog().info("{} refused {} tunnels in one call ({}); asking again in halves", name,
                    a.batch().size(), status.getDescription());
            send(List.copyOf(a.batch().subList(0, half)), a.attempt());
            return send(List.copyOf(a.batch().subList(half, a.batch().size())), a.attempt());
        }
        if (retriable(status) && a.attempt() <= settings.retries() && !breaker.isOpen()) {
            Duration backoff = settings.backoffMin().multipliedBy(1L << Math.min(20, a.attempt() - 1));
            if (backoff.compareTo(settings.backoffMax()) > 0) {
                backoff = settings.backoffMax();
            }
            getContext().getLog().info("tunnel request to {} failed ({}), retry {} of {} in {}", name, status,
                    a.attempt(), settings.retries(), backoff);
            timers.startSingleTimer(new Retry(a.batch(), a.attempt() + 1), backoff);
            return this;
        }
        getContext().getLog().warn("tunnel request to {} for {} tunnels failed: {}", name, a.batch().size(), status);
        failAll(a.batch(), status);
        return this;
    }

    private static void failAll(List<Item> batch, Status status) {
        for (Item item : batch) {
            item.answer(new TunnelReply(null, status));
        }
    }

    private Status circuitOpen() {
        return Status.UNAVAILABLE.withDescription("circuit to " + name + " is open after " + settings.breakerFailures()
                + " failed requests; retrying after " + settings.breakerReset());
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    static Status statusOf(Throwable error) {
        Throwable t = unwrap(error);
        if (t instanceof StatusRuntimeException sre) {
            return sre.getStatus();
        }
        if (t instanceof io.grpc.StatusException se) {
            return se.getStatus();
        }
        return Status.UNAVAILABLE.withDescription(t.toString());
    }

    private static boolean retriable(Status status) {
        return switch (status.getCode()) {
            case UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED -> true;
            default -> false;
        };
    }
}
