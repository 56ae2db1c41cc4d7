package io.pspgateway.control;

import static io.pspgateway.control.SetupProbes.flow;
import static io.pspgateway.control.SetupProbes.granted;
import static io.pspgateway.control.SetupProbes.remoteVip;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Status;
import io.pspgateway.config.HostPort;
import io.pspgateway.dataplane.FlowKey;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** The owner of established tunnels alone: its re-key sessions run against probes, its retries on manual time. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TunnelsTest {
    @JUnit5TestKit
    public final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("tunnels").withCustomConfig(SetupProbes.manualTime()).build();

    private final ManualTime time = ManualTime.get(testKit.system());

    private static final InetAddress OTHER_PEER = HostPort.ip("192.0.2.3");

    private record Owner(SetupProbes probes, TestProbe<MissHandler.Command> missHandler, ActorRef<Tunnels.Command> ref) {
        List<FlowKey> tunnels(ActorTestKit kit) {
            TestProbe<List<FlowKey>> reply = kit.createTestProbe();
            ref.tell(new Tunnels.GetTunnels(reply.getRef()));
            return reply.receiveMessage();
        }
    }

    /** Tunnels holding {@code established}, handed over by a miss-handler probe. */
    private Owner owner(Tunnel... established) {
        SetupProbes p = new SetupProbes(testKit, "grpc.breaker-reset = 5s");
        TestProbe<MissHandler.Command> missHandler = testKit.createTestProbe();
        ActorRef<Tunnels.Command> ref = testKit.spawn(Tunnels.create(p.deps));
        ref.tell(new Tunnels.Established(List.of(established), missHandler.getRef()));
        return new Owner(p, missHandler, ref);
    }

    private static Tunnel tunnel(int i, int spi, InetAddress peer) {
        return new Tunnel(flow(i), i, spi, -1, peer, new IngressGrants.Grant(0x300 + i, remoteVip(i), SetupProbes.LOCAL_VIP), true);
    }

    @Test
    void aRotationReKeysTheTunnelsOnTheKeyThePeerRetiresNextInOneSessionAndNoOthers() {
        Tunnel onKeyZero = tunnel(1, 0x0000_0201, SetupProbes.PEER_UPLINK);
        Tunnel onKeyOne = tunnel(2, 0x8000_0202, SetupProbes.PEER_UPLINK);
        Tunnel elsewhere = tunnel(3, 0x0000_0203, OTHER_PEER);
        Owner o = owner(onKeyZero, onKeyOne, elsewhere);
        SetupProbes p = o.probes();

        // generation 1: key 1 is active, key 0 is retired by the next rotation
        o.ref().tell(new Tunnels.PeerKeys(SetupProbes.PEER_UPLINK, 1));
        assertEquals(List.of(remoteVip(1)), p.resolveAll(), "only the tunnel on key 0, and only towards that peer");
        p.answer(i -> granted(0x8000_0301, (byte) 3));
        DataplaneActor.Install install = p.installAll();
        assertEquals(1, install.entries().getFirst().cryptoId(), "its own slot, reprogrammed");
        p.dataplane.expectNoMessage(Duration.ofMillis(50));
        assertEquals(Set.of(flow(1), flow(2), flow(3)), Set.copyOf(o.tunnels(testKit)));
        assertEquals(1, p.stats.tunnelsRekeyed());

        // generation 2: key 0 is active; both tunnels towards the peer are on key 1 now
        o.ref().tell(new Tunnels.PeerKeys(SetupProbes.PEER_UPLINK, 2));
        assertEquals(Set.of(remoteVip(1), remoteVip(2)), Set.copyOf(p.resolveAll()), "both, in one session");
    }

    @Test
    void aReKeyThatFailsKeepsTheOldSpiAndIsTriedAgainAfterTheBreakerReset() {
        Owner o = owner(tunnel(1, 0x0000_0201, SetupProbes.PEER_UPLINK));
        SetupProbes p = o.probes();
        o.ref().tell(new Tunnels.PeerKeys(SetupProbes.PEER_UPLINK, 1));
        p.resolveAll();
        p.answer(i -> SetupProbes.refused(Status.UNAVAILABLE));
        p.directory.awaitAssert(() -> {
            assertEquals(1, p.stats.rekeysFailed());
            return null;
        });
        assertEquals(List.of(flow(1)), o.tunnels(testKit), "still established, on its old SPI");
        p.dataplane.expectNoMessage(Duration.ofMillis(50));

        time.timePasses(Duration.ofMillis(4999));
        p.directory.expectNoMessage(Duration.ofMillis(50));
        time.timePasses(Duration.ofMillis(1));
        assertEquals(List.of(remoteVip(1)), p.resolveAll(), "tried again");
    }

    @Test
    void aPeerThatLeavesTakesItsTunnelsTheirSlotsAndReverseGrantsAndTheMissHandlerForgetsThem() {
        Tunnel gone = tunnel(1, 0x0000_0201, SetupProbes.PEER_UPLINK);
        Owner o = owner(gone, tunnel(2, 0x0000_0202, OTHER_PEER));
        SetupProbes p = o.probes();
        o.ref().tell(new Tunnels.PeerGone(SetupProbes.PEER_UPLINK));
        p.expectReleased(flow(1), 1);
        assertEquals(new IngressGrants.Revoke(gone.reverseGrant()), p.grants.expectMessageClass(IngressGrants.Revoke.class),
                "the peer that could send with it is gone");
        assertEquals(new MissHandler.Forget(List.of(flow(1))), o.missHandler().expectMessageClass(MissHandler.Forget.class));
        assertEquals(List.of(flow(2)), o.tunnels(testKit));
    }

    @Test
    void aTunnelWhoseRemoteVipMovedIsClosedAndItsReverseGrantKept() {
        Tunnel moved = tunnel(1, 0x0000_0201, SetupProbes.PEER_UPLINK);
        Owner o = owner(moved, tunnel(2, 0x0000_0202, SetupProbes.PEER_UPLINK));
        SetupProbes p = o.probes();
        o.ref().tell(new Tunnels.Owners(vip -> vip.equals(remoteVip(1)) ? OTHER_PEER : vip.equals(remoteVip(2)) ? SetupProbes.PEER_UPLINK : null));
        p.expectReleased(flow(1), 1);
        assertEquals(new MissHandler.Forget(List.of(flow(1))), o.missHandler().expectMessageClass(MissHandler.Forget.class));
        // the old owner is still there and may be sending with our reverse parameters until it re-tunnels
        p.grants.expectNoMessage(Duration.ofMillis(50));
        assertEquals(List.of(flow(2)), o.tunnels(testKit));
    }

    @Test
    void aTunnelClosedWhileItIsReKeyedIsReleasedByItsSessionAfterItsInstallAndOnlyThenForgotten() {
        Tunnel t = tunnel(1, 0x0000_0201, SetupProbes.PEER_UPLINK);
        Owner o = owner(t);
        SetupProbes p = o.probes();
        o.ref().tell(new Tunnels.PeerKeys(SetupProbes.PEER_UPLINK, 1));
        p.resolveAll();
        p.answer(i -> granted(0x8000_0301, (byte) 3));
        p.dataplane.expectMessageClass(DataplaneActor.Install.class); // on its way

        o.ref().tell(new Tunnels.PeerGone(SetupProbes.PEER_UPLINK));
        p.expectReleased(flow(1), 1);
        assertEquals(new IngressGrants.Revoke(t.reverseGrant()), p.grants.expectMessageClass(IngressGrants.Revoke.class));
        assertEquals(new MissHandler.Forget(List.of(flow(1))), o.missHandler().expectMessageClass(MissHandler.Forget.class));
        p.dataplane.expectNoMessage(Duration.ofMillis(50));
        assertEquals(List.of(), o.tunnels(testKit));
    }

    @Test
    void closeAllReleasesEveryTunnelForTheMissHandlerThatRestarted() {
        Owner o = owner(tunnel(1, 0x0000_0201, SetupProbes.PEER_UPLINK), tunnel(2, 0x0000_0202, OTHER_PEER));
        SetupProbes p = o.probes();
        o.ref().tell(new Tunnels.CloseAll(o.missHandler().getRef()));
        assertEquals(2, p.dataplane.receiveSeveralMessages(2).size());
        assertEquals(2, p.slots.receiveSeveralMessages(2).size());
        assertEquals(2, o.missHandler().receiveSeveralMessages(2).size());
        assertEquals(List.of(), o.tunnels(testKit));
    }
}
