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
import org.apache.pekko.grpc.GrpcServiceException;

/**
 * The responder's side of a flaky network: tunnel requests that fail with UNAVAILABLE or are
 * answered late, as the plan says. Wraps the real TunnelService, so whatever it does answer is
 * real (minted, ACL opened).
 */
public final class FaultyTunnelService implements PSP_Gateway {
    private final PSP_Gateway delegate;
    private final FaultPlan.Dice dice;

    public FaultyTunnelService(PSP_Gateway delegate, FaultPlan.Dice dice) {
        this.delegate = delegate;
        this.dice = dice;
    }

    @Override
    public CompletionStage<MultiTunnelResponse> requestMultipleTunnelParams(MultiTunnelRequest in) {
        if (dice.roll(dice.plan().grpcFailure())) {
            return CompletableFuture.failedFuture(new GrpcServiceException(Status.UNAVAILABLE.withDescription("injected fault")));
        }
        if (dice.roll(dice.plan().grpcDelay())) {
            long millis = dice.plan().delay().toMillis();
            return CompletableFuture.supplyAsync(() -> null, CompletableFuture.delayedExecutor(millis, TimeUnit.MILLISECONDS))
                    .thenCompose(x -> delegate.requestMultipleTunnelParams(in));
        }
        return delegate.requestMultipleTunnelParams(in);
    }

    @Override
    public CompletionStage<KeyRotationResponse> requestKeyRotation(KeyRotationRequest in) {
        return delegate.requestKeyRotation(in);
    }
}
