package io.pspgateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.typesafe.config.ConfigFactory;
import io.pspgateway.cluster.GatewayInfo;
import io.pspgateway.cluster.VipPrefixes;
import io.pspgateway.config.TunnelConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** Longest prefix, the file over the cluster, and a prefix claimed twice used for neither. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PeerDirectoryTest {
    @JUnit5TestKit
    public final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("peer-directory").build();

    private static GatewayInfo gateway(String id, int port, String... prefixes) {
        return new GatewayInfo(id, "127.0.0.1", port, "198.51.100." + port % 250, VipPrefixes.parse(List.of(prefixes)), List.of(1, 0), 1, 0);
    }

    @Test
    void resolvesByLongestPrefixWithTheFileWinningAndConflictsUnused() throws Exception {
        TunnelConfig file = TunnelConfig.parse("""
                { "peers": [ { "remote-grpc-address": "127.0.0.1:4001",
                               "sessions": [ { "local-vip": "10.0.0.1", "remote-vips": [ "10.9.0.0/24" ] } ] } ] }
                """, "t.json");
        ActorRef<PeerDirectory.Command> directory = testKit.spawn(PeerDirectory.create(file,
                ControlSettings.from(ConfigFactory.load()), PeerDialing.PLAINTEXT_ANY_SOURCE, List.of(1, 0), new GatewayStats(), ActorDecorator.NONE, authorizer -> { }));
        directory.tell(new PeerDirectory.ClusterView(List.of(
                gateway("g1", 5001, "10.9.0.0/24"),
                gateway("g2", 5002, "10.8.0.0/24"),
                gateway("g3", 5003, "10.8.0.0/24"),
                gateway("g4", 5004, "10.7.0.0/16", "10.7.1.0/24"),
                gateway("g5", 5005, "10.7.0.0/24"),
                gateway("g6", 5006, "fd00:1::/32"),
                gateway("g7", 5007, "fd00:1:2::/48"),
                gateway("g8", 5008, "fd00:1:2:3:8000::/65"))));
        TestProbe<PeerDirectory.Resolved> reply = testKit.createTestProbe();

        directory.tell(new PeerDirectory.Resolve(InetAddress.getByName("10.9.0.5"), reply.getRef()));
        assertEquals(new InetSocketAddress("127.0.0.1", 4001), reply.receiveMessage().address(), "the file wins");

        directory.tell(new PeerDirectory.Resolve(InetAddress.getByName("10.8.0.1"), reply.getRef()));
        assertNull(reply.receiveMessage().peer(), "claimed by two live gateways: used for neither");

        directory.tell(new PeerDirectory.Resolve(InetAddress.getByName("10.7.0.9"), reply.getRef()));
        assertEquals(5005, reply.receiveMessage().address().getPort(), "longest prefix: /24 over /16");
        directory.tell(new PeerDirectory.Resolve(InetAddress.getByName("10.7.2.9"), reply.getRef()));
        assertEquals(5004, reply.receiveMessage().address().getPort());

        directory.tell(new PeerDirectory.Resolve(InetAddress.getByName("fd00:1:2:3:8000::1"), reply.getRef()));
        assertEquals(5008, reply.receiveMessage().address().getPort(), "IPv6: a prefix longer than 64 bits");
        directory.tell(new PeerDirectory.Resolve(InetAddress.getByName("fd00:1:2:3:7fff::1"), reply.getRef()));
        assertEquals(5007, reply.receiveMessage().address().getPort(), "IPv6: outside the /65, inside the /48");
        directory.tell(new PeerDirectory.Resolve(InetAddress.getByName("fd00:1:9::1"), reply.getRef()));
        assertEquals(5006, reply.receiveMessage().address().getPort());

        directory.tell(new PeerDirectory.Resolve(InetAddress.getByName("10.6.0.1"), reply.getRef()));
        assertNull(reply.receiveMessage().address(), "nobody serves it");
    }

    /** A directory fed by the cluster only, and probes standing in for the actors it reports to. */
    private record Listening(ActorRef<PeerDirectory.Command> directory, TestProbe<Tunnels.Command> missHandler,
                             TestProbe<IngressGrants.Command> grants) {
    }

    private Listening listening() {
        ActorRef<PeerDirectory.Command> directory = testKit.spawn(PeerDirectory.create(TunnelConfig.empty(),
                ControlSettings.from(ConfigFactory.load()), PeerDialing.PLAINTEXT_ANY_SOURCE, List.of(1, 0), new GatewayStats(), ActorDecorator.NONE, authorizer -> { }));
        Listening l = new Listening(directory, testKit.createTestProbe(), testKit.createTestProbe());
        directory.tell(new PeerDirectory.Listen(l.missHandler().getRef(), l.grants().getRef()));
        return l;
    }

    @Test
    void anotherIncarnationOnTheSameAddressesMeansTheOldOneIsGone() throws Exception {
        Listening l = listening();
        ActorRef<PeerDirectory.Command> directory = l.directory();
        TestProbe<Tunnels.Command> missHandler = l.missHandler();
        TestProbe<IngressGrants.Command> grants = l.grants();
        GatewayInfo first = gateway("g1", 5001, "10.9.0.0/24");
        directory.tell(new PeerDirectory.ClusterView(List.of(first)));
        missHandler.expectMessageClass(Tunnels.PeerKeys.class);
        missHandler.expectMessageClass(Tunnels.Owners.class);

        directory.tell(new PeerDirectory.ClusterView(List.of(first.withPrefixes(VipPrefixes.parse(List.of("10.9.0.0/16"))))));
        missHandler.expectMessageClass(Tunnels.Owners.class);
        grants.expectMessageClass(IngressGrants.Owners.class);
        grants.expectMessageClass(IngressGrants.Owners.class);

        // the same gateway, same addresses, restarted: the view changes in one step, old to new
        directory.tell(new PeerDirectory.ClusterView(List.of(first.withIncarnation(2))));
        Tunnels.PeerGone gone = missHandler.expectMessageClass(Tunnels.PeerGone.class);
        assertEquals(InetAddress.getByName(first.physical()), gone.physical(), "sessions to the old incarnation close");
        assertEquals(InetAddress.getByName(first.physical()), grants.expectMessageClass(IngressGrants.PeerGone.class).physical());
        assertEquals(0, missHandler.expectMessageClass(Tunnels.PeerKeys.class).generation(), "the new incarnation's keys");
    }

    @Test
    void aGatewayThatRotatesItsKeysHasItsSessionsToldAndStays() throws Exception {
        Listening l = listening();
        TestProbe<Tunnels.Command> missHandler = l.missHandler();
        ActorRef<PeerDirectory.Command> directory = l.directory();
        GatewayInfo g = gateway("g1", 5001, "10.9.0.0/24").withKeyGeneration(4);
        directory.tell(new PeerDirectory.ClusterView(List.of(g)));
        assertEquals(new Tunnels.PeerKeys(InetAddress.getByName(g.physical()), 4), missHandler.expectMessageClass(Tunnels.PeerKeys.class));
        missHandler.expectMessageClass(Tunnels.Owners.class);

        directory.tell(new PeerDirectory.ClusterView(List.of(g.withKeyGeneration(5))));
        assertEquals(new Tunnels.PeerKeys(InetAddress.getByName(g.physical()), 5), missHandler.expectMessageClass(Tunnels.PeerKeys.class),
                "the rotation is passed on, and the gateway is not taken for gone");
        missHandler.expectMessageClass(Tunnels.Owners.class);
        assertEquals(1, g.withKeyGeneration(5).activeKeyIndex());

        directory.tell(new PeerDirectory.ClusterView(List.of(g.withKeyGeneration(5).withPrefixes(VipPrefixes.parse(List.of("10.9.0.0/16"))))));
        missHandler.expectMessageClass(Tunnels.Owners.class);
        missHandler.expectNoMessage(java.time.Duration.ofMillis(200));
    }
}
