package io.pspgateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.pspgateway.chaos.InvariantChecker;
import io.pspgateway.proto.doca.MultiTunnelRequest;
import io.pspgateway.proto.doca.PSP_GatewayClient;
import io.pspgateway.proto.doca.SingleTunnelRequest;
import io.pspgateway.psp.InnerPackets;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

/**
 * {@code --insecure-plaintext}, for an original DOCA gateway: gRPC in the clear, and a caller is
 * whoever its tunnel file names at the address the call comes from (the tests bind the client's source).
 */
class PlaintextInteropTest {
    private static MultiTunnelRequest tunnel(String source, String destination) {
        return MultiTunnelRequest.newBuilder().addPspVersionsAccepted(1).addTunnels(SingleTunnelRequest.newBuilder()
                .setVirtSrcIp(source).setVirtDstIp(destination).setInnerType(4)).build();
    }

    @Test
    void callersAreWhoTheirSourceAddressSaysAndMayClaimOnlyThatPeersVips() throws Exception {
        ActorSystem<Void> clients = ActorSystem.create(Behaviors.empty(), "plaintext-callers");
        try (LocalCluster c = LocalCluster.startInsecure(3, 3)) {
            assertTrue(c.tls(0).isEmpty());
            LocalCluster.Member a = c.get(0);
            a.host().send(InnerPackets.udp(a.vip(), c.get(1).vip(), 1));
            assertEquals(1, InnerPackets.sequence(c.get(1).host().take(10_000)), "plaintext peers tunnel to each other");

            PSP_GatewayClient fromPeer1 = PSP_GatewayClient.create(new PeerDialing(Optional.empty(),
                    Optional.of(InetAddress.ofLiteral("127.0.0.2"))).clientSettings(c.grpc(0), ControlSettings.from(ConfigFactory.load()), clients), clients);
            PSP_GatewayClient fromStranger = PSP_GatewayClient.create(new PeerDialing(Optional.empty(),
                    Optional.of(InetAddress.ofLiteral("127.0.0.9"))).clientSettings(c.grpc(0), ControlSettings.from(ConfigFactory.load()), clients), clients);
            assertEquals(1, fromPeer1.requestMultipleTunnelParams(tunnel("10.2.0.2", "10.1.0.1")).toCompletableFuture()
                    .get(10, TimeUnit.SECONDS).getTunnelsParamsCount(), "a call from gateway 1's address is gateway 1's");
            int acls = a.inspection().ingressAclCount();
            assertEquals(Status.Code.PERMISSION_DENIED, refused(fromPeer1, tunnel("10.3.0.1", "10.1.0.1")), "gateway 2's VIP");
            assertEquals(Status.Code.PERMISSION_DENIED, refused(fromStranger, tunnel("10.2.0.2", "10.1.0.1")), "an address of no peer");
            assertEquals(1, a.node().stats().denied(Authorizer.Denial.VIP_NOT_OWNED));
            assertEquals(1, a.node().stats().denied(Authorizer.Denial.UNKNOWN_CALLER));
            assertEquals(acls, a.inspection().ingressAclCount(), "nothing opened for the refused calls");
            assertEquals(List.of(), InvariantChecker.violations(c.members()));
            fromPeer1.close();
            fromStranger.close();
        } finally {
            clients.terminate();
        }
    }

    private static Status.Code refused(PSP_GatewayClient client, MultiTunnelRequest request) {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> client.requestMultipleTunnelParams(request).toCompletableFuture().get(10, TimeUnit.SECONDS));
        return Peer.statusOf(e.getCause()).getCode();
    }
}
