package io.pspgateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.pspgateway.dataplane.soft.SoftDataplaneSettings;
import io.pspgateway.proto.doca.MultiTunnelRequest;
import io.pspgateway.proto.doca.MultiTunnelResponse;
import io.pspgateway.proto.doca.PSP_GatewayClient;
import io.pspgateway.proto.doca.SingleTunnelRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

/** One peer flooding gateway 0 past its request rate is refused and counted, while another peer is served in the same run. */
class PeerFloodTest {
    private static MultiTunnelRequest tunnel(String source) {
        return MultiTunnelRequest.newBuilder().addPspVersionsAccepted(1).addTunnels(SingleTunnelRequest.newBuilder()
                .setVirtSrcIp(source).setVirtDstIp("10.1.0.1").setInnerType(4)).build();
    }

    @Test
    void aFloodingPeerIsRefusedBeyondItsRateWhileAnotherIsServed() throws Exception {
        Config limits = ConfigFactory.parseString("pspgw.peer-limits { requests-per-second = 5, burst = 10 }");
        ActorSystem<Void> clients = ActorSystem.create(Behaviors.empty(), "flood-callers");
        try (LocalCluster c = LocalCluster.start(3, 3, i -> SoftDataplaneSettings.defaults(), limits)) {
            ControlSettings settings = ControlSettings.from(limits.withFallback(ConfigFactory.load()));
            PSP_GatewayClient flooder = PSP_GatewayClient.create(new PeerDialing(c.tls(1), Optional.empty())
                    .clientSettings(c.grpc(0), settings, clients), clients);
            PSP_GatewayClient neighbour = PSP_GatewayClient.create(new PeerDialing(c.tls(2), Optional.empty())
                    .clientSettings(c.grpc(0), settings, clients), clients);
            List<CompletableFuture<MultiTunnelResponse>> flood = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                flood.add(flooder.requestMultipleTunnelParams(tunnel("10.2.0.1")).toCompletableFuture());
            }
            MultiTunnelResponse served = neighbour.requestMultipleTunnelParams(tunnel("10.3.0.1")).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            assertEquals(1, served.getTunnelsParamsCount(), "the other peer is served during the flood");
            int granted = 0;
            int limited = 0;
            for (CompletableFuture<MultiTunnelResponse> f : flood) {
                try {
                    f.get(10, TimeUnit.SECONDS);
                    granted++;
                } catch (java.util.concurrent.ExecutionException e) {
                    assertEquals(Status.Code.RESOURCE_EXHAUSTED, Peer.statusOf(e.getCause()).getCode());
                    limited++;
                }
            }
            assertTrue(granted >= 10, "the burst was served: " + granted);
            assertTrue(limited >= 100, "past the burst, the rate of 5 a second refused most of the flood: " + limited + " refused");
            assertEquals(200, granted + limited);
            GatewayStats stats = c.get(0).node().stats();
            assertEquals(Map.of("peer 127.0.0.2:" + c.grpc(1).getPort(), (long) limited), stats.limitedByPeer(), "counted per peer");
            assertEquals(limited, stats.denied(Authorizer.Denial.RATE_LIMITED));
            assertEquals(granted + 1, c.get(0).inspection().ingressAclCount(), "refused requests minted nothing");
            flooder.close();
            neighbour.close();
        } finally {
            clients.terminate();
        }
    }
}
