package io.pspgateway.control;

import io.grpc.Status;
import io.pspgateway.proto.keys.GatewayKeys;
import io.pspgateway.proto.keys.KeysRotatedRequest;
import io.pspgateway.proto.keys.KeysRotatedResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.grpc.GrpcServiceException;

/**
 * The project's own {@code GatewayKeys} service, bound to one authenticated peer: the peer tells
 * us it rotated its master keys, and the tunnels we send to its VIPs re-key before its next
 * rotation retires their SPIs — what the cluster's announcements do for members, for gateways
 * configured by the tunnel file. Only the tunnels to VIPs the caller may claim are touched, and a
 * peer can ask at most {@code pspgw.peer-limits} times a second (a re-key asks the caller itself
 * for SPIs, so a lying caller churns only its own tunnels).
 */
final class KeysService implements GatewayKeys {
    private final String principal;
    private final Supplier<Authorizer> authorizer;
    private final Denials denials;
    private final RequestRate rate;
    private final GatewayStats stats;
    private final ActorRef<Tunnels.Command> tunnels;

    KeysService(String principal, Supplier<Authorizer> authorizer, Denials denials, RequestRate rate, GatewayStats stats,
                ActorRef<Tunnels.Command> tunnels) {
        this.principal = principal;
        this.authorizer = authorizer;
        this.denials = denials;
        this.rate = rate;
        this.stats = stats;
        this.tunnels = tunnels;
    }

    @Override
    public CompletionStage<KeysRotatedResponse> keysRotated(KeysRotatedRequest in) {
        Authorizer.Principal caller = authorizer.get().named(principal).orElse(null);
        if (caller == null) {
            denials.record(Authorizer.Denial.UNKNOWN_CALLER, principal + ", no longer a peer");
            return refuse(Status.PERMISSION_DENIED.withDescription("not a peer of this gateway"));
        }
        if (!rate.tryTake()) {
            denials.record(Authorizer.Denial.RATE_LIMITED, principal + " asked faster than pspgw.peer-limits allow");
            stats.limited(principal, PeerLimits.Limit.REQUEST_RATE, 1);
            return refuse(Status.RESOURCE_EXHAUSTED.withDescription("too many requests: at most pspgw.peer-limits per second"));
        }
        if (in.getKeyGeneration() < 0) {
            return refuse(Status.INVALID_ARGUMENT.withDescription("key_generation " + Long.toUnsignedString(in.getKeyGeneration())
                    + " is beyond any count of rotations"));
        }
        tunnels.tell(new Tunnels.PeerRotated(caller.name(), caller::mayClaim, in.getKeyGeneration()));
        return CompletableFuture.completedFuture(KeysRotatedResponse.getDefaultInstance());
    }

    private static CompletionStage<KeysRotatedResponse> refuse(Status status) {
        return CompletableFuture.failedFuture(new GrpcServiceException(status));
    }
}
