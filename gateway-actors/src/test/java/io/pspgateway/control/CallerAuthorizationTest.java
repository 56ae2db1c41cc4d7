package io.pspgateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.pspgateway.chaos.InvariantChecker;
import io.pspgateway.dataplane.DataplaneCounters;
import io.pspgateway.dataplane.DropReason;
import io.pspgateway.dataplane.port.MemoryPort;
import io.pspgateway.proto.doca.KeyRotationRequest;
import io.pspgateway.proto.doca.MultiTunnelRequest;
import io.pspgateway.proto.doca.MultiTunnelResponse;
import io.pspgateway.proto.doca.PSP_GatewayClient;
import io.pspgateway.proto.doca.SingleTunnelRequest;
import io.pspgateway.proto.doca.TunnelParameters;
import io.pspgateway.psp.InnerPackets;
import io.pspgateway.psp.IvSequence;
import io.pspgateway.psp.OuterIp;
import io.pspgateway.psp.PacketBuffer;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspSealer;
import io.pspgateway.psp.PspVersion;
import io.pspgateway.psp.SealStatus;
import io.pspgateway.psp.SourcePortPolicy;
import io.pspgateway.psp.TxSecurityAssociation;
import io.pspgateway.tls.Certificates;
import io.pspgateway.tls.GrpcTls;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.grpc.GrpcClientSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hostile callers against gateway 0 of two (mutual TLS, tunnel files): each is refused with
 * nothing minted, opened or programmed, while gateway 1, its peer, is served in the same run.
 */
class CallerAuthorizationTest {
    static LocalCluster cluster;
    static ActorSystem<Void> clients;

    /** What a request may change on gateway 0: slots, ACLs, grants, tunnels served, its data plane's counters. */
    private record Books(int slots, int acls, int grants, long served, DataplaneCounters counters) {
    }

    private Books before;

    @BeforeAll
    static void start() throws Exception {
        cluster = LocalCluster.start(2);
        clients = ActorSystem.create(Behaviors.empty(), "callers");
    }

    @AfterAll
    static void stop() {
        clients.terminate();
        cluster.close();
    }

    private static Books books() throws Exception {
        LocalCluster.Member gw0 = cluster.get(0);
        return new Books(gw0.inspection().keySlotsInUse(), gw0.inspection().ingressAclCount(), gw0.node().ingressGrants(),
                gw0.node().stats().tunnelsServed(), gw0.dataplane().counters());
    }

    /** Gateway 1, a peer, is served: before every hostile call, so that the books are compared after a legitimate change. */
    @BeforeEach
    void aPeerIsServed() throws Exception {
        MultiTunnelResponse ok = call(peerClient(), tunnel("10.2.0.1", "10.1.0.1"));
        assertEquals(1, ok.getTunnelsParamsCount());
        before = books();
    }

    private static void assertNothingChanged(Books before) throws Exception {
        assertEquals(before, books(), "a refused caller changed nothing");
        assertEquals(List.of(), InvariantChecker.violations(cluster.members()));
    }

    private static MultiTunnelRequest tunnel(String source, String destination) {
        return MultiTunnelRequest.newBuilder().addPspVersionsAccepted(1).addTunnels(SingleTunnelRequest.newBuilder()
                .setVirtSrcIp(source).setVirtDstIp(destination).setInnerType(4)).build();
    }

    private static GrpcClientSettings settings(Optional<GrpcTls> tls, Optional<InetAddress> source) {
        return new PeerDialing(tls, source).clientSettings(cluster.grpc(0), ControlSettings.from(ConfigFactory.load()), clients);
    }

    private static PSP_GatewayClient peerClient() {
        return PSP_GatewayClient.create(settings(cluster.tls(1), Optional.empty()), clients);
    }

    private static PSP_GatewayClient client(GrpcTls tls) {
        return PSP_GatewayClient.create(settings(Optional.of(tls), Optional.empty()), clients);
    }

    private static MultiTunnelResponse call(PSP_GatewayClient client, MultiTunnelRequest request) throws Exception {
        try {
            return client.requestMultipleTunnelParams(request).toCompletableFuture().get(15, TimeUnit.SECONDS);
        } finally {
            client.close();
        }
    }

    private static Status.Code refused(PSP_GatewayClient client, Function<PSP_GatewayClient, CompletionStage<?>> call) {
        try {
            ExecutionException e = assertThrows(ExecutionException.class, () -> call.apply(client).toCompletableFuture().get(15, TimeUnit.SECONDS));
            return Peer.statusOf(e.getCause()).getCode();
        } finally {
            client.close();
        }
    }

    private static Status.Code refused(PSP_GatewayClient client, MultiTunnelRequest request) {
        return refused(client, c -> c.requestMultipleTunnelParams(request));
    }

    private static long denied(Authorizer.Denial why) {
        return cluster.get(0).node().stats().denied(why);
    }

    @Test
    void aCallerWithoutACertificateIsUnauthenticated() throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", cluster.authority().certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext trustOnly = SSLContext.getInstance("TLSv1.3");
        trustOnly.init(null, tmf.getTrustManagers(), null);
        long was = denied(Authorizer.Denial.NO_CERTIFICATE);
        GrpcClientSettings noCertificate = settings(Optional.empty(), Optional.empty()).withTls(true).withSslContext(trustOnly);
        assertEquals(Status.Code.UNAUTHENTICATED, refused(PSP_GatewayClient.create(noCertificate, clients), tunnel("10.2.0.1", "10.1.0.1")));
        assertEquals(was + 1, denied(Authorizer.Denial.NO_CERTIFICATE));
        assertNothingChanged(before);
    }

    @Test
    void certificatesOfAnotherCaOrExpiredAreRefusedAndCounted() throws Exception {
        GrpcTls server = cluster.tls(0).orElseThrow();
        long handshakes = server.handshakesRefused();
        long certificateless = denied(Authorizer.Denial.NO_CERTIFICATE);
        // the server names its CA in its certificate request; the JDK's client then offers no certificate of another CA
        Certificates.Issued otherCa = Certificates.newAuthority("another CA", Duration.ofDays(1));
        Certificates.Issued foreign = Certificates.issue(otherCa, "gw1", List.of(InetAddress.ofLiteral("127.0.0.2")), Duration.ofDays(1));
        GrpcTls foreignMaterial = GrpcTls.of(List.of(cluster.authority().certificate()), List.of(foreign.certificate()), foreign.key());
        assertEquals(Status.Code.UNAUTHENTICATED, refused(client(foreignMaterial), tunnel("10.2.0.1", "10.1.0.1")));
        assertEquals(certificateless + 1, denied(Authorizer.Denial.NO_CERTIFICATE));
        // an expired certificate of our CA is offered, and fails gateway 0's trust manager
        Certificates.Issued expired = cluster.issue("gw1", List.of(InetAddress.ofLiteral("127.0.0.2")), Duration.ofSeconds(-30));
        assertNotEquals(Status.Code.OK, refused(client(cluster.material(expired)), tunnel("10.2.0.1", "10.1.0.1")));
        assertEquals(handshakes + 1, server.handshakesRefused(), "the expired certificate's handshake refused and counted");
        assertNothingChanged(before);
    }

    @Test
    void aPeerTellingOfANegativeKeyGenerationIsRefusedAsAnInvalidArgument() throws Exception {
        io.pspgateway.proto.keys.GatewayKeysClient keys = io.pspgateway.proto.keys.GatewayKeysClient.create(
                settings(cluster.tls(1), Optional.empty()), clients);
        try {
            // a uint64 past 2^63 arrives as a negative long: beyond any count of rotations
            ExecutionException e = assertThrows(ExecutionException.class, () -> keys.keysRotated(
                    io.pspgateway.proto.keys.KeysRotatedRequest.newBuilder().setKeyGeneration(-1).build()).toCompletableFuture()
                    .get(15, TimeUnit.SECONDS));
            Status status = Peer.statusOf(e.getCause());
            assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode());
            assertTrue(status.getDescription().contains("18446744073709551615"), status.getDescription());
            // a sane generation from the same peer is taken
            keys.keysRotated(io.pspgateway.proto.keys.KeysRotatedRequest.newBuilder().setKeyGeneration(1).build())
                    .toCompletableFuture().get(15, TimeUnit.SECONDS);
        } finally {
            keys.close();
        }
        assertNothingChanged(before);
    }

    @Test
    void aValidCertificateOfAGatewayThatIsNoPeerIsDeniedForgedHeadersOrNot() throws Exception {
        Certificates.Issued stranger = cluster.issue("gw9", List.of(InetAddress.ofLiteral("127.0.0.99")), Duration.ofDays(1));
        long was = denied(Authorizer.Denial.UNKNOWN_CALLER);
        assertEquals(Status.Code.PERMISSION_DENIED, refused(client(cluster.material(stranger)), tunnel("10.2.0.1", "10.1.0.1")));
        // identity is never read from what the caller sends
        String peerName = "peer 127.0.0.2:" + cluster.grpc(1).getPort();
        assertEquals(Status.Code.PERMISSION_DENIED, refused(client(cluster.material(stranger)), c -> c.requestMultipleTunnelParams()
                .addHeader("x-pspgw-caller", peerName).addHeader("x-forwarded-for", "127.0.0.2")
                .invoke(tunnel("10.2.0.1", "10.1.0.1"))));
        assertEquals(Status.Code.PERMISSION_DENIED, refused(client(cluster.material(stranger)),
                c -> c.requestKeyRotation(KeyRotationRequest.newBuilder().setRequestId(1).build())));
        // the project's own re-key call is behind the same gate
        io.pspgateway.proto.keys.GatewayKeysClient keys = io.pspgateway.proto.keys.GatewayKeysClient.create(
                settings(Optional.of(cluster.material(stranger)), Optional.empty()), clients);
        try {
            ExecutionException e = assertThrows(ExecutionException.class, () -> keys.keysRotated(
                    io.pspgateway.proto.keys.KeysRotatedRequest.newBuilder().setKeyGeneration(1).build()).toCompletableFuture()
                    .get(15, TimeUnit.SECONDS));
            assertEquals(Status.Code.PERMISSION_DENIED, Peer.statusOf(e.getCause()).getCode());
        } finally {
            keys.close();
        }
        assertEquals(was + 4, denied(Authorizer.Denial.UNKNOWN_CALLER));
        assertNothingChanged(before);
    }

    @Test
    void aPeerClaimingAVipThatIsNotItsOwnIsDeniedAndMintsNothing() throws Exception {
        long was = denied(Authorizer.Denial.VIP_NOT_OWNED);
        assertEquals(Status.Code.PERMISSION_DENIED, refused(peerClient(), tunnel("10.3.0.1", "10.1.0.1")));
        // one foreign pair among good ones refuses the whole request
        MultiTunnelRequest mixed = tunnel("10.2.0.1", "10.1.0.2").toBuilder().addTunnels(SingleTunnelRequest.newBuilder()
                .setVirtSrcIp("10.1.0.3").setVirtDstIp("10.1.0.1").setInnerType(4)).build();
        assertEquals(Status.Code.PERMISSION_DENIED, refused(peerClient(), mixed));
        // reverse parameters for a pair it does not own would have us send its traffic to it
        TunnelParameters reverse = TunnelParameters.newBuilder().setIpAddr("198.51.100.2").setPspVersion(1).setSpi(0x1234)
                .setEncryptionKey(ByteString.copyFrom(new byte[32])).setEncapType(4).build();
        MultiTunnelRequest withReverse = MultiTunnelRequest.newBuilder().addPspVersionsAccepted(1).addTunnels(SingleTunnelRequest
                .newBuilder().setVirtSrcIp("10.9.0.1").setVirtDstIp("10.1.0.1").setInnerType(4).setReverseParams(reverse)).build();
        assertEquals(Status.Code.PERMISSION_DENIED, refused(peerClient(), withReverse));
        assertEquals(was + 3, denied(Authorizer.Denial.VIP_NOT_OWNED));
        assertNothingChanged(before);
        assertEquals(0, cluster.get(0).node().stats().tunnelsUp(), "no reverse tunnel installed");
    }

    @Test
    void aPacketSealedWithAGrantedSpiButFromAnotherSourceVipIsDroppedByTheIngressAcl() throws Exception {
        // gateway 1 is granted an SPI to send from 10.2.0.7 to 10.1.0.1, and seals a packet from 10.2.0.8 with it
        TunnelParameters granted = call(peerClient(), tunnel("10.2.0.7", "10.1.0.1")).getTunnelsParams(0);
        TxSecurityAssociation sa = new TxSecurityAssociation(granted.getSpi(),
                PspVersion.fromWire(granted.getPspVersion()),
                TxSecurityAssociation.aesKey(granted.getEncryptionKey().toByteArray()),
                IvSequence.counterFrom(1), PspMode.TUNNEL, 0, false, 0,
                OuterIp.between(cluster.get(1).physical(), cluster.get(0).physical()),
                SourcePortPolicy.FLOW_HASH);
        long aclMisses = cluster.get(0).dataplane().counters().dropped(DropReason.INGRESS_ACL_MISS);
        MemoryPort wire = cluster.network().attach(InetAddress.ofLiteral("198.51.100.77"));
        try {
            for (String source : new String[] {"10.2.0.8", "10.2.0.7"}) {
                byte[] inner = InnerPackets.udp(InetAddress.ofLiteral(source), InetAddress.ofLiteral("10.1.0.1"), 5);
                PacketBuffer pkt = new PacketBuffer(2048);
                pkt.load(inner, 0, inner.length, PacketBuffer.DEFAULT_HEADROOM);
                assertEquals(SealStatus.SEALED, new PspSealer().seal(pkt, sa));
                assertTrue(wire.send(pkt.toByteArray()));
            }
            byte[] delivered = cluster.get(0).host().take(10_000);
            assertEquals("10.2.0.7", InetAddress.getByAddress(Arrays.copyOfRange(delivered, 12, 16)).getHostAddress(),
                    "only the packet from the granted source VIP is delivered");
            OnDemandTunnelTest.eventually(() -> cluster.get(0).dataplane().counters()
                    .dropped(DropReason.INGRESS_ACL_MISS) == aclMisses + 1, "the other is an ACL miss");
            assertEquals(null, cluster.get(0).host().take(300));
        } finally {
            cluster.network().detach(InetAddress.ofLiteral("198.51.100.77"));
        }
    }

    @Test
    void aPlaintextClientGetsNothingFromATlsGateway() throws Exception {
        assertNotEquals(Status.Code.OK, refused(PSP_GatewayClient.create(settings(Optional.empty(), Optional.empty()), clients),
                tunnel("10.2.0.1", "10.1.0.1")));
        assertNothingChanged(before);
    }

    @Test
    void ourClientSendsNothingToAServerWhoseCertificateNamesAnotherAddress() throws Exception {
        // gateways 0 and 1 have certificates for their addresses; gateway 2's names 127.0.0.99
        Certificates.Issued ca = Certificates.newAuthority("impostor test CA", Duration.ofDays(1));
        try (LocalCluster c = LocalCluster.startWithTls(3, 3, i -> {
            Certificates.Issued own = Certificates.issue(ca, "gw" + i, List.of(InetAddress.ofLiteral(i < 2 ? "127.0.0." + (i + 1)
                    : "127.0.0.99")), Duration.ofDays(1));
            try {
                return GrpcTls.of(List.of(ca.certificate()), List.of(own.certificate()), own.key());
            } catch (GeneralSecurityException e) {
                throw new AssertionError(e);
            }
        })) {
            LocalCluster.Member a = c.get(0);
            LocalCluster.Member impostor = c.get(2);
            a.host().send(InnerPackets.udp(a.vip(), c.get(1).vip(), 1));
            assertEquals(1, InnerPackets.sequence(c.get(1).host().take(10_000)), "the legitimate peer is served");
            a.host().send(InnerPackets.udp(a.vip(), impostor.vip(), 2));
            OnDemandTunnelTest.eventually(() -> a.node().stats().tunnelsFailed() == 1, "the tunnel to gw2 failed");
            assertEquals(0, impostor.node().stats().tunnelsServed(), "the request never reached the impostor");
            assertEquals(0, impostor.inspection().ingressAclCount());
            assertTrue(c.tls(0).orElseThrow().handshakesRefused() >= 1, "gateway 0 refused the impostor's certificate");
        }
    }

    @Test
    void inAClusterAMemberWhoseCertificateNamesAnotherGatewayIsNeverCalled() throws Exception {
        // gateway 2 starts as itself, then signs with a certificate of the CA for its address that names
        // gateway gw9, not the id gw2 it announces, as a gateway run with other code could: from then on
        // its announcement is not believed, so no peer of it is made and nothing is asked of it
        Certificates.Issued ca = Certificates.newAuthority("cluster id test CA", Duration.ofDays(1));
        try (LocalCluster c = LocalCluster.startClusteredWithTls(3, 3, i -> material(ca, "gw" + i, i))) {
            LocalCluster.Member a = c.get(0);
            awaitView(a, 0, List.of("gw1", "gw2"));
            Certificates.Issued misnamed = Certificates.issue(ca, "gw9", List.of(InetAddress.ofLiteral("127.0.0.3")),
                    List.of(LocalCluster.TEST_VIPS), Duration.ofDays(1));
            c.tls(2).orElseThrow().replace(List.of(ca.certificate()), List.of(misnamed.certificate()), misnamed.key());
            c.get(2).node().announce(io.pspgateway.cluster.VipPrefixes.parse(List.of("10.3.0.0/24")));
            awaitView(a, 1, List.of("gw1"));
            a.host().send(InnerPackets.udp(a.vip(), c.get(1).vip(), 1));
            assertEquals(1, InnerPackets.sequence(c.get(1).host().take(10_000)), "a member proving its id is served");
            a.host().send(InnerPackets.udp(a.vip(), c.get(2).vip(), 2));
            OnDemandTunnelTest.eventually(() -> a.node().stats().dropped(GatewayStats.HoldDrop.NO_PEER) >= 1,
                    "traffic to gw2's VIP finds no gateway (a counted drop)");
            assertEquals(0, c.get(2).node().stats().tunnelsServed(), "nothing was asked of the member that is not who it announces");
        }
    }

    private static GrpcTls material(Certificates.Issued ca, String name, int i) {
        Certificates.Issued own = Certificates.issue(ca, name, List.of(InetAddress.ofLiteral("127.0.0." + (i + 1))),
                List.of(LocalCluster.TEST_VIPS), Duration.ofDays(1));
        try {
            return GrpcTls.of(List.of(ca.certificate()), List.of(own.certificate()), own.key());
        } catch (GeneralSecurityException e) {
            throw new AssertionError(e);
        }
    }

    /** Waits until gateway {@code a} sees three members, has refused at least {@code refused} announcements and believes {@code gateways}. */
    private static void awaitView(LocalCluster.Member a, long refused, List<String> gateways) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (a.node().clusterMembersUp() != 3 || a.node().announcementsRefused() < refused
                || !a.node().clusterGateways().equals(gateways)) {
            assertTrue(System.nanoTime() < deadline, "gw0 should believe " + gateways + ": " + a.node().clusterGateways()
                    + ", refused " + a.node().announcementsRefused());
            Thread.sleep(50);
        }
    }
}
