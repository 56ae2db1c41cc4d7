package io.pspgateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.pspgateway.proto.doca.MultiTunnelRequest;
import io.pspgateway.proto.doca.PSP_GatewayClient;
import io.pspgateway.proto.doca.SingleTunnelRequest;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

/** A peer that sends a gRPC message past {@code pspgw.grpc.max-message-size} is refused, and the gateway keeps serving. */
class MessageSizeTest {
    /** A valid request for one tunnel, padded with an unknown field of {@code padding} bytes (which protobuf skips). */
    private static MultiTunnelRequest padded(String source, int padding) {
        return MultiTunnelRequest.newBuilder().addPspVersionsAccepted(1)
                .addTunnels(SingleTunnelRequest.newBuilder().setVirtSrcIp(source).setVirtDstIp("10.1.0.1").setInnerType(4))
                .setUnknownFields(UnknownFieldSet.newBuilder().addField(99, UnknownFieldSet.Field.newBuilder()
                        .addLengthDelimited(ByteString.copyFrom(new byte[padding])).build()).build())
                .build();
    }

    @Test
    void anOversizedMessageIsRefusedAndTheGatewayStillServes() throws Exception {
        ActorSystem<Void> clients = ActorSystem.create(Behaviors.empty(), "size-callers");
        try (LocalCluster c = LocalCluster.startWithoutPackets(2, 3)) {
            ControlSettings settings = ControlSettings.from(ConfigFactory.load());
            PSP_GatewayClient peer = PSP_GatewayClient.create(new PeerDialing(c.tls(1), java.util.Optional.empty())
                    .clientSettings(c.grpc(0), settings, clients), clients);
            // padding under the limit is served: what refuses the big one below is its size alone
            assertEquals(1, peer.requestMultipleTunnelParams(padded("10.2.0.1", 100_000)).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS).getTunnelsParamsCount());
            int acls = c.get(0).inspection().ingressAclCount();
            ExecutionException refused = assertThrows(ExecutionException.class, () -> peer.requestMultipleTunnelParams(
                    padded("10.2.0.2", settings.maxMessageBytes() + 1024 * 1024)).toCompletableFuture().get(20, TimeUnit.SECONDS));
            Status status = Peer.statusOf(refused.getCause());
            assertNotEquals(Status.Code.DEADLINE_EXCEEDED, status.getCode(), "refused, not left waiting: " + status);
            assertEquals(acls, c.get(0).inspection().ingressAclCount(), "nothing minted for it");
            assertEquals(1, peer.requestMultipleTunnelParams(padded("10.2.0.3", 10)).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS).getTunnelsParamsCount(), "the gateway still serves");
            peer.close();
        } finally {
            clients.terminate();
        }
    }
}
