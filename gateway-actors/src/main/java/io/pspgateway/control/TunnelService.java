package io.pspgateway.control;

import io.grpc.Status;
import io.pspgateway.config.HostPort;
import io.pspgateway.dataplane.DataplaneException;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.SpiKey;
import io.pspgateway.proto.doca.KeyRotationRequest;
import io.pspgateway.proto.doca.KeyRotationResponse;
import io.pspgateway.proto.doca.MultiTunnelRequest;
import io.pspgateway.proto.doca.MultiTunnelResponse;
import io.pspgateway.proto.doca.PSP_Gateway;
import io.pspgateway.proto.doca.SingleTunnelRequest;
import io.pspgateway.psp.IpText;
import io.pspgateway.psp.PspVersion;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.grpc.GrpcServiceException;

/**
 * The server side of the wire contract ({@code psp_gateway.PSP_Gateway}) for one peer, the
 * principal {@link CallerGate} identified the caller as: it asks for the parameters to send to our
 * VIPs from its own. Every request is validated in full before anything is minted or installed,
 * so a bad request changes nothing; failures are only ever a gRPC status, with the original's
 * codes: PERMISSION_DENIED (a source VIP that is not the peer's, or a peer that has left),
 * INVALID_ARGUMENT (unparsable or foreign VIPs, no common version, bad encap),
 * RESOURCE_EXHAUSTED (no SPIs, or more tunnels than one request may carry), INTERNAL (the data
 * plane refused an entry). A key rotation asked for too soon after the last one is refused with
 * FAILED_PRECONDITION ({@link KeyRotator}), where the original always rotates.
 */
public final class TunnelService implements PSP_Gateway {
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(5);

    private final ActorSystem<?> system;
    private final ActorRef<MissHandler.Command> missHandler;
    private final ActorRef<IngressGrants.Command> grants;
    private final ActorRef<KeyRotator.Command> keys;
    private final GatewaySettings settings;
    private final GatewayStats stats;
    private final ServedVips served;
    private final String principal;
    private final Supplier<Authorizer> authorizer;
    private final Denials denials;
    private final RequestRate rate;

    TunnelService(ActorSystem<?> system, Gateway.Refs refs, GatewaySettings settings, GatewayStats stats, ServedVips served,
                  String principal, Supplier<Authorizer> authorizer, Denials denials, RequestRate rate) {
        this.system = system;
        this.principal = principal;
        this.authorizer = authorizer;
        this.denials = denials;
        this.rate = rate;
        this.missHandler = refs.missHandler();
        this.grants = refs.grants();
        this.keys = refs.keys();
        this.settings = settings;
        this.stats = stats;
        this.served = served;
    }

    /** A validated tunnel of a request. */
    private record Wanted(InetAddress source, InetAddress destination, SingleTunnelRequest request) {
    }

    @Override
    public CompletionStage<MultiTunnelResponse> requestMultipleTunnelParams(MultiTunnelRequest in) {
        PspVersion version;
        List<Wanted> wanted;
        try {
            Authorizer.Principal caller = caller();
            version = chooseVersion(in.getPspVersionsAcceptedList());
            wanted = validate(in, caller);
        } catch (GrpcServiceException e) {
            return CompletableFuture.failedFuture(e);
        }
        List<DataplaneActor.AclPair> pairs = wanted.stream()
                .map(w -> new DataplaneActor.AclPair(w.source(), w.destination())).toList();
        CompletionStage<DataplaneActor.Minted> minted = AskPattern.ask(grants,
                replyTo -> new IngressGrants.Open(principal, pairs, version, replyTo), ASK_TIMEOUT, system.scheduler());
        return minted.thenApply(m -> {
            if (m.failure() != null) {
                throw failure(m.failure());
            }
            MultiTunnelResponse.Builder out = MultiTunnelResponse.newBuilder().setRequestId(in.getRequestId());
            List<Session.Adopted> adopted = new ArrayList<>();
            for (int i = 0; i < wanted.size(); i++) {
                SpiKey key = m.keys().get(i);
                out.addTunnelsParams(WireParams.of(key, settings));
                key.destroy();
                Wanted w = wanted.get(i);
                if (w.request().hasReverseParams()) {
                    adopted.add(new Session.Adopted(FlowKey.of(w.destination(), w.source()), w.request().getReverseParams()));
                }
            }
            if (!adopted.isEmpty()) {
                missHandler.tell(new MissHandler.AdoptReverse(principal, adopted));
            }
            stats.tunnelsServed(wanted.size());
            return out.build();
        });
    }

    private PspVersion chooseVersion(List<Integer> accepted) {
        if (accepted.isEmpty()) {
            throw status(Status.INVALID_ARGUMENT, "psp_versions_accepted is empty: no PSP version in common (0 and 1 are served here)");
        }
        for (int v : accepted) {
            if (v == 0 || v == 1) {
                return PspVersion.fromWire(v);
            }
        }
        throw status(Status.INVALID_ARGUMENT, "none of the PSP versions " + accepted.stream()
                .map(Integer::toUnsignedString).toList() + " is supported here (0, 1)");
    }

    /**
     * The peer this service serves, as the current snapshot knows it: refused when it has left, or
     * when it asks faster than its request rate allows.
     */
    private Authorizer.Principal caller() {
        Authorizer.Principal caller = authorizer.get().named(principal).orElseThrow(() -> {
            denials.record(Authorizer.Denial.UNKNOWN_CALLER, principal + ", no longer a peer");
            return status(Status.PERMISSION_DENIED, "not a peer of this gateway (any more)");
        });
        if (!rate.tryTake()) {
            denials.record(Authorizer.Denial.RATE_LIMITED, principal + " asked faster than pspgw.peer-limits allow");
            stats.limited(principal, PeerLimits.Limit.REQUEST_RATE, 1);
            throw status(Status.RESOURCE_EXHAUSTED, "more than " + settings.control().peerLimits().requestsPerSecond()
                    + " requests a second (burst " + settings.control().peerLimits().burst() + "): try again later");
        }
        return caller;
    }

    private List<Wanted> validate(MultiTunnelRequest in, Authorizer.Principal caller) {
        int n = in.getTunnelsCount();
        if (n == 0) {
            throw status(Status.INVALID_ARGUMENT, "the request asks for no tunnels");
        }
        if (n > settings.control().maxTunnelsPerRequest()) {
            stats.limited(principal, PeerLimits.Limit.TUNNELS_PER_REQUEST, 1);
            throw status(Status.RESOURCE_EXHAUSTED, n + " tunnels in one request; at most "
                    + settings.control().maxTunnelsPerRequest() + " are served per request");
        }
        List<Wanted> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            SingleTunnelRequest t = in.getTunnels(i);
            InetAddress src = vip(t.getVirtSrcIp(), "tunnels[" + i + "].virt_src_ip");
            InetAddress dst = vip(t.getVirtDstIp(), "tunnels[" + i + "].virt_dst_ip");
            int family = dst.getAddress().length == 16 ? 6 : 4;
            if (src.getAddress().length != dst.getAddress().length) {
                throw status(Status.INVALID_ARGUMENT, "tunnels[" + i + "]: source and destination VIPs are of different IP families");
            }
            if (t.getInnerType() != family) {
                throw status(Status.INVALID_ARGUMENT, "tunnels[" + i + "].inner_type " + Integer.toUnsignedString(t.getInnerType())
                        + " does not match IPv" + family + " VIPs");
            }
            if (!caller.mayClaim(src)) {
                // the caller would send (and, through reverse_params, receive) as a VIP that is not its own
                denials.record(Authorizer.Denial.VIP_NOT_OWNED, caller + " claimed " + IpText.of(src));
                throw status(Status.PERMISSION_DENIED, "tunnels[" + i + "].virt_src_ip " + IpText.of(src)
                        + " is not a VIP of " + caller);
            }
            if (!served.serves(dst)) {
                throw status(Status.INVALID_ARGUMENT, "tunnels[" + i + "]: " + IpText.of(dst) + " is not a VIP of this gateway");
            }
            if (t.hasReverseParams()) {
                try {
                    WireParams.entry(t.getReverseParams(), dst, src, 0, settings);
                } catch (WireParams.BadParams e) {
                    throw status(Status.INVALID_ARGUMENT, "tunnels[" + i + "].reverse_params: " + e.getMessage());
                }
            }
            out.add(new Wanted(src, dst, t));
        }
        return out;
    }

    private static InetAddress vip(String text, String field) {
        try {
            return HostPort.ip(text);
        } catch (IllegalArgumentException e) {
            throw status(Status.INVALID_ARGUMENT, field + ": " + e.getMessage());
        }
    }

    private static GrpcServiceException failure(DataplaneException e) {
        Status s = switch (e.kind()) {
            case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
            case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
            case INTERNAL -> Status.INTERNAL;
        };
        return status(s, e.getMessage());
    }

    private static GrpcServiceException status(Status status, String description) {
        return new GrpcServiceException(status.withDescription(description));
    }

    @Override
    public CompletionStage<KeyRotationResponse> requestKeyRotation(KeyRotationRequest in) {
        try {
            caller();
        } catch (GrpcServiceException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (in.getIssueNewKeys()) {
            return CompletableFuture.failedFuture(status(Status.UNIMPLEMENTED,
                    "issue_new_keys is not implemented (nor is it in the original gateway)"));
        }
        CompletionStage<KeyRotator.Rotated> rotated = AskPattern.ask(keys,
                replyTo -> new KeyRotator.Rotate("a peer's RequestKeyRotation", replyTo), ASK_TIMEOUT, system.scheduler());
        return rotated.thenApply(r -> {
            if (!r.done()) {
                throw status(Status.FAILED_PRECONDITION, r.refused());
            }
            return KeyRotationResponse.newBuilder().setRequestId(in.getRequestId()).build();
        });
    }
}
