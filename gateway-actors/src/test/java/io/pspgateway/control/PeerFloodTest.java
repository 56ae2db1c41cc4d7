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

/** One peer flooding gateway 0 past its limits is refused and counted, while another peer is served in the same run. */
class PeerFloodTest {
    private static MultiTunnelRequest tunnel(String source) {
        return MultiTunnelRequest.newBuilder().addPspVersionsAccepted(1).addTunnels(SingleTunnelRequest.newBuilder()
                .setVirtSrcIp(source).setVirtDstIp("10.1.0.1").setInnerType(4)).build();
    }

    /** A client of gateway 0 with gateway {@code i}'s identity. */
    private static PSP_GatewayClient callerOfGateway0(LocalCluster c, int i, ControlSettings settings, ActorSystem<Void> clients) {
        return PSP_GatewayClient.create(new PeerDialing(c.tls(i), Optional.empty()).clientSettings(c.grpc(0), settings, clients), clients);
    }

    @Test
    void aFloodingPeerIsRefusedBeyondItsRateWhileAnotherIsServed() throws Exception {
        Config limits = ConfigFactory.parseString("pspgw.peer-limits { requests-per-second = 5, burst = 10 }");
        ActorSystem<Void> clients = ActorSystem.create(Behaviors.empty(), "flood-callers");
        try (LocalCluster c = LocalCluster.start(3, 3, i -> SoftDataplaneSettings.defaults(), limits)) {
            ControlSettings settings = ControlSettings.from(limits.withFallback(ConfigFactory.load()));
            PSP_GatewayClient flooder = callerOfGateway0(c, 1, settings, clients);
            PSP_GatewayClient neighbour = callerOfGateway0(c, 2, settings, clients);
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
            assertEquals(Map.of("peer 127.0.0.2:" + c.grpc(1).getPort(), Map.of(PeerLimits.Limit.REQUEST_RATE, (long) limited)),
                    stats.limitedByPeer(), "counted per peer");
            assertEquals(limited, stats.denied(Authorizer.Denial.RATE_LIMITED));
            assertEquals(granted + 1, c.get(0).inspection().ingressAclCount(), "refused requests minted nothing");
            flooder.close();
            neighbour.close();
        } finally {
            clients.terminate();
        }
    }

    /** {@code n} tunnels from {@code sources} (10.(peer).0.first+i) to gateway 0's VIPs, each with reverse parameters towards {@code uplink}. */
    private static MultiTunnelRequest withReverse(int peer, int first, int n, String uplink) {
        MultiTunnelRequest.Builder out = MultiTunnelRequest.newBuilder().addPspVersionsAccepted(1);
        for (int i = 0; i < n; i++) {
            byte[] key = new byte[32];
            key[0] = (byte) (first + i + 1);
            out.addTunnels(SingleTunnelRequest.newBuilder().setVirtSrcIp("10." + peer + ".0." + (first + i + 1))
                    .setVirtDstIp("10.1.0." + (i % 3 + 1)).setInnerType(4)
                    .setReverseParams(io.pspgateway.proto.doca.TunnelParameters.newBuilder().setIpAddr(uplink).setPspVersion(1)
                            .setSpi(0x100 + first + i).setEncapType(4).setEncryptionKey(com.google.protobuf.ByteString.copyFrom(key))));
        }
        return out.build();
    }

    private static void eventually(java.util.concurrent.Callable<Boolean> condition, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.call()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for: " + what);
            Thread.sleep(20);
        }
    }

    @Test
    void aPeerPastItsGrantsAndItsShareOfSlotsIsRefusedAndCountedWhileAnotherIsServed() throws Exception {
        Config limits = ConfigFactory.parseString("pspgw.peer-limits { grants-per-peer = 30, reverse-slots-per-peer = 5 }");
        ActorSystem<Void> clients = ActorSystem.create(Behaviors.empty(), "grant-flood-callers");
        try (LocalCluster c = LocalCluster.start(3, 40, i -> SoftDataplaneSettings.defaults(), limits)) {
            ControlSettings settings = ControlSettings.from(limits.withFallback(ConfigFactory.load()));
            PSP_GatewayClient flooder = callerOfGateway0(c, 1, settings, clients);
            PSP_GatewayClient neighbour = callerOfGateway0(c, 2, settings, clients);
            String flooderUplink = c.get(1).physical().getHostAddress();
            // three requests of 10 fill the flooder's 30 grants; its 30 reverse parameters get 5 slots
            for (int r = 0; r < 3; r++) {
                assertEquals(10, flooder.requestMultipleTunnelParams(withReverse(2, 10 * r, 10, flooderUplink)).toCompletableFuture()
                        .get(10, TimeUnit.SECONDS).getTunnelsParamsCount());
            }
            try {
                flooder.requestMultipleTunnelParams(withReverse(2, 30, 1, flooderUplink)).toCompletableFuture().get(10, TimeUnit.SECONDS);
                throw new AssertionError("a 31st grant was served");
            } catch (java.util.concurrent.ExecutionException e) {
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, Peer.statusOf(e.getCause()).getCode());
                assertTrue(Peer.statusOf(e.getCause()).getDescription().contains("grants-per-peer"), e.getCause().toString());
            }
            GatewayNode gw0 = c.get(0).node();
            eventually(() -> gw0.slotsInUse() == 5, "the flooder's share of 5 slots taken by its reverse parameters");

            // the neighbour's tunnels, reverse parameters included, are served in full
            assertEquals(3, neighbour.requestMultipleTunnelParams(withReverse(3, 0, 3, c.get(2).physical().getHostAddress()))
                    .toCompletableFuture().get(10, TimeUnit.SECONDS).getTunnelsParamsCount());
            eventually(() -> gw0.slotsInUse() == 8, "the neighbour's 3 reverse tunnels adopted");

            assertEquals(33, c.get(0).inspection().ingressAclCount(), "the refused request minted nothing");
            assertEquals(33, gw0.ingressGrants());
            String flooderName = "peer 127.0.0.2:" + c.grpc(1).getPort();
            assertEquals(Map.of(flooderName, Map.of(PeerLimits.Limit.GRANTS, 1L, PeerLimits.Limit.REVERSE_SLOTS, 25L)),
                    gw0.stats().limitedByPeer(), "counted under the flooder's name only");
            flooder.close();
            neighbour.close();
        } finally {
            clients.terminate();
        }
    }
}
