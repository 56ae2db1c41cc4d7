package io.pspgateway.chaos;

import io.grpc.Status;
import io.pspgateway.proto.doca.KeyRotationRequest;
import io.pspgateway.proto.doca.KeyRotationResponse;
import io.pspgateway.proto.doca.MultiTunnelRequest;
import io.pspgateway.proto.doca.MultiTunnelResponse;
import io.pspgateway.proto.doca.PSP_Gateway;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;
import org.apache.pekko.grpc.GrpcServiceException;

/**
 * The responder's side of a flaky network, as the plan says: tunnel requests refused with a
 * chosen status, answered late, carried out but their answer lost, carried out twice (a
 * retransmitted request), or unreachable from a partitioned peer. Wraps the real TunnelService,
 * so whatever it does carry out is real (minted, ACL opened).
 */
public final class FaultyTunnelService implements PSP_Gateway {
    /** How long a lost answer keeps the call open before it fails: far beyond any client's timeout. */
    private static final long LOST_ANSWER_MILLIS = 60_000;

    private final PSP_Gateway delegate;
    private final FaultPlan.Dice dice;
    private final int self;
    private final ToIntFunction<String> gatewayOfVip;

    /**
     * @param self         this gateway's index, for partitions
     * @param gatewayOfVip the index of the gateway that serves a VIP (the requester's, from virt_src_ip)
     */
    public FaultyTunnelService(PSP_Gateway delegate, FaultPlan.Dice dice, int self, ToIntFunction<String> gatewayOfVip) {
        this.delegate = delegate;
        this.dice = dice;
        this.self = self;
        this.gatewayOfVip = gatewayOfVip;
    }

    @Override
    public CompletionStage<MultiTunnelResponse> requestMultipleTunnelParams(MultiTunnelRequest in) {
        if (in.getTunnelsCount() > 0 && dice.partitioned(self, gatewayOfVip.applyAsInt(in.getTunnels(0).getVirtSrcIp()))) {
            return refuse(Status.UNAVAILABLE, "injected partition");
        }
        FaultPlan plan = dice.plan();
        if (dice.roll(plan.grpcFailure())) {
            return refuse(Status.fromCode(plan.grpcFailureCode()), "injected fault");
        }
        if (dice.roll(plan.grpcDelay())) {
            return after(plan.delay().toMillis()).thenCompose(x -> delegate.requestMultipleTunnelParams(in));
        }
        if (dice.roll(plan.grpcLostAnswer())) {
            delegate.requestMultipleTunnelParams(in);
            return after(LOST_ANSWER_MILLIS).thenCompose(x -> refuse(Status.UNAVAILABLE, "injected lost answer"));
        }
        if (dice.roll(plan.grpcDuplicate())) {
            return delegate.requestMultipleTunnelParams(in).thenCompose(first -> delegate.requestMultipleTunnelParams(in));
        }
        return delegate.requestMultipleTunnelParams(in);
    }

    private static CompletableFuture<Void> after(long millis) {
        return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(millis, TimeUnit.MILLISECONDS));
    }

    private static <T> CompletableFuture<T> refuse(Status status, String why) {
        return CompletableFuture.failedFuture(new GrpcServiceException(status.withDescription(why)));
    }

    @Override
    public CompletionStage<KeyRotationResponse> requestKeyRotation(KeyRotationRequest in) {
        return delegate.requestKeyRotation(in);
    }
}
