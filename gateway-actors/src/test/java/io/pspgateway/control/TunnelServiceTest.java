package io.pspgateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.pspgateway.dataplane.DataplaneInspection;
import io.pspgateway.dataplane.DataplaneOps;
import io.pspgateway.proto.doca.KeyRotationRequest;
import io.pspgateway.proto.doca.MultiTunnelRequest;
import io.pspgateway.proto.doca.MultiTunnelResponse;
import io.pspgateway.proto.doca.PSP_GatewayClient;
import io.pspgateway.proto.doca.SingleTunnelRequest;
import io.pspgateway.proto.doca.TunnelParameters;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Broken requests of a peer get the right status and install nothing (on a data plane with no packet path). */
class TunnelServiceTest {
    static LocalCluster cluster;
    static ActorSystem<Void> clientSystem;
    static PSP_GatewayClient client;

    @BeforeAll
    static void start() throws Exception {
        // the client is gateway 1, a peer of gateway 0, by its certificate: what it asks for is checked, not who asks
        cluster = LocalCluster.startWithoutPackets(2, 3);
        clientSystem = ActorSystem.create(Behaviors.empty(), "broken-client");
        client = PSP_GatewayClient.create(new PeerDialing(cluster.tls(1), Optional.empty())
                .clientSettings(cluster.grpc(0), ControlSettings.from(ConfigFactory.load()), clientSystem), clientSystem);
    }

    @AfterAll
    static void stop() {
        client.close();
        clientSystem.terminate();
        cluster.close();
    }

    private static SingleTunnelRequest.Builder tunnel(String src, String dst) {
        return SingleTunnelRequest.newBuilder().setVirtSrcIp(src).setVirtDstIp(dst).setInnerType(4);
    }

    /** A request that accepts PSP version 1, so that what is refused is what the test names. */
    private static MultiTunnelRequest.Builder request() {
        return MultiTunnelRequest.newBuilder().addPspVersionsAccepted(1);
    }

    private static MultiTunnelResponse call(MultiTunnelRequest request) throws Exception {
        return client.requestMultipleTunnelParams(request).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static Status.Code refused(MultiTunnelRequest.Builder request) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> call(request.build()));
        return Peer.statusOf(e.getCause()).getCode();
    }

    private static DataplaneOps dataplane() {
        return cluster.get(0).dataplane();
    }

    private static DataplaneInspection inspection() {
        return cluster.get(0).inspection();
    }

    @Test
    void aGoodRequestGetsOneParameterSetPerTunnelInOrder() throws Exception {
        int aclsBefore = inspection().ingressAclCount();
        MultiTunnelResponse r = call(MultiTunnelRequest.newBuilder().setRequestId(42).addPspVersionsAccepted(1)
                .addTunnels(tunnel("10.2.0.1", "10.1.0.1")).addTunnels(tunnel("10.2.0.2", "10.1.0.2")).build());
        assertEquals(42, r.getRequestId());
        assertEquals(2, r.getTunnelsParamsCount());
        TunnelParameters p = r.getTunnelsParams(0);
        assertEquals(1, p.getPspVersion());
        assertEquals(32, p.getEncryptionKey().size());
        assertEquals("198.51.100.1", p.getIpAddr());
        assertEquals(4, p.getEncapType());
        assertTrue(p.getSpi() != r.getTunnelsParams(1).getSpi());
        assertEquals(aclsBefore + 2, inspection().ingressAclCount());
    }

    @Test
    void keyRotationRotatesAndIssueNewKeysIsRefusedAsInTheOriginal() throws Exception {
        long before = dataplane().counters().keyRotations();
        var done = client.requestKeyRotation(KeyRotationRequest.newBuilder().setRequestId(7).build())
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertEquals(7, done.getRequestId());
        assertEquals(before + 1, dataplane().counters().keyRotations());
        ExecutionException e = assertThrows(ExecutionException.class, () -> client.requestKeyRotation(
                KeyRotationRequest.newBuilder().setIssueNewKeys(true).build()).toCompletableFuture().get(10, TimeUnit.SECONDS));
        assertEquals(Status.Code.UNIMPLEMENTED, Peer.statusOf(e.getCause()).getCode());
        assertEquals(before + 1, dataplane().counters().keyRotations());

        // a peer asking again at once is refused: its peers could not re-key in time (and it cannot churn our keys)
        ExecutionException again = assertThrows(ExecutionException.class, () -> client.requestKeyRotation(
                KeyRotationRequest.newBuilder().setRequestId(8).build()).toCompletableFuture().get(10, TimeUnit.SECONDS));
        Status refused = Peer.statusOf(again.getCause());
        assertEquals(Status.Code.FAILED_PRECONDITION, refused.getCode());
        assertTrue(refused.getDescription().contains("min-rotation-interval"), refused.getDescription());
        assertEquals(before + 1, dataplane().counters().keyRotations());
    }

    @Test
    void badRequestsGetTheirStatusAndInstallNothing() {
        int acls = inspection().ingressAclCount();
        int slots = inspection().keySlotsInUse();
        assertEquals(Status.Code.INVALID_ARGUMENT, refused(request()), "no tunnels");
        assertEquals(Status.Code.INVALID_ARGUMENT, refused(request()
                .addTunnels(tunnel("not-an-ip", "10.1.0.1"))));
        assertEquals(Status.Code.INVALID_ARGUMENT, refused(request()
                .addTunnels(tunnel("10.2.0.1", "10.1.0.1")).addTunnels(tunnel("10.2.0.1", "999.1.0.1"))));
        assertEquals(Status.Code.INVALID_ARGUMENT, refused(MultiTunnelRequest.newBuilder().addPspVersionsAccepted(2)
                .addPspVersionsAccepted(3).addTunnels(tunnel("10.2.0.1", "10.1.0.1"))));
        assertEquals(Status.Code.INVALID_ARGUMENT, refused(request()
                .addTunnels(tunnel("10.2.0.1", "10.1.0.1").setInnerType(6))));
        assertEquals(Status.Code.INVALID_ARGUMENT, refused(request()
                .addTunnels(tunnel("10.2.0.1", "10.55.0.1"))), "a VIP this gateway does not serve");
        TunnelParameters badEncap = TunnelParameters.newBuilder().setIpAddr("192.0.2.9").setPspVersion(1).setSpi(7)
                .setEncryptionKey(ByteString.copyFrom(new byte[32])).setEncapType(5).build();
        assertEquals(Status.Code.INVALID_ARGUMENT, refused(request()
                .addTunnels(tunnel("10.2.0.1", "10.1.0.1").setReverseParams(badEncap))));
        TunnelParameters shortKey = badEncap.toBuilder().setEncapType(4).setEncryptionKey(ByteString.copyFrom(new byte[5])).build();
        assertEquals(Status.Code.INVALID_ARGUMENT, refused(request()
                .addTunnels(tunnel("10.2.0.1", "10.1.0.1").setReverseParams(shortKey))));
        assertEquals(Status.Code.INVALID_ARGUMENT, refused(MultiTunnelRequest.newBuilder().addTunnels(tunnel("10.2.0.1", "10.1.0.1"))),
                "no PSP version accepted: none in common");
        MultiTunnelRequest.Builder huge = request();
        for (int i = 0; i <= 4096; i++) {
            huge.addTunnels(tunnel("10.2.0." + (i & 0xFF), "10.1.0.1"));
        }
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused(huge));
        assertEquals(acls, inspection().ingressAclCount(), "no ACL opened by a refused request");
        assertEquals(slots, inspection().keySlotsInUse(), "no slot programmed by a refused request");
    }
}
