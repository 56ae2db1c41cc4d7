package io.pspgateway.control;

import static io.pspgateway.control.SetupProbes.flow;
import static io.pspgateway.control.SetupProbes.granted;
import static io.pspgateway.control.SetupProbes.refused;
import static io.pspgateway.control.SetupProbes.remoteVip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.pspgateway.control.GatewayStats.HoldDrop;
import java.time.Duration;
import java.util.List;
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

/** One set-up or re-key, alone: every actor it talks to is a probe, its time-out on manual time. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SessionTest {
    @JUnit5TestKit
    public final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("session").withCustomConfig(SetupProbes.manualTime()).build();

    private final ManualTime time = ManualTime.get(testKit.system());

    private record Parent(TestProbe<Session.Outcomes> outcomes, TestProbe<Tunnels.Command> tunnels) {
    }

    private Parent parent() {
        return new Parent(testKit.createTestProbe(), testKit.createTestProbe());
    }

    @Test
    void aSetUpResolvesMintsAsksAllocatesInstallsAndHandsTheTunnelsOverWithTheirSlots() {
        SetupProbes p = new SetupProbes(testKit, "");
        Parent parent = parent();
        ActorRef<Session.Command> session = testKit.spawn(Session.request(List.of(flow(1), flow(2)), p.deps,
                parent.outcomes().getRef(), parent.tunnels().getRef()));

        assertEquals(List.of(remoteVip(1), remoteVip(2)), p.resolveAll(), "one lookup for the batch");
        assertEquals(List.of(new DataplaneActor.AclPair(remoteVip(1), SetupProbes.LOCAL_VIP),
                new DataplaneActor.AclPair(remoteVip(2), SetupProbes.LOCAL_VIP)), p.mint(0x100), "reverse SPIs for the way back");
        List<Peer.Wanted> asked = p.answer(i -> granted(0x8000_0201 + i, (byte) 7));
        assertEquals(2, asked.size(), "one request for both");
        assertEquals(0x100, asked.get(0).reverse().getSpi(), "the reverse parameters go with the request");
        assertEquals(List.of(4, 5), p.grantSlots(4, 2));
        DataplaneActor.Install install = p.installAll();
        assertEquals(List.of(4, 5), install.entries().stream().map(DataplaneActor.Slotted::cryptoId).toList());
        assertEquals(0x8000_0201, install.entries().get(0).entry().spi());
        p.expectTransfer(List.of(4, 5), parent.tunnels().getRef());

        Session.Outcomes reported = parent.outcomes().receiveMessage();
        assertTrue(reported.last());
        Tunnel first = reported.outcomes().get(0).tunnel();
        assertEquals(new Tunnel(flow(1), 4, 0x8000_0201, -1, SetupProbes.PEER_UPLINK,
                new IngressGrants.Grant(0x100, remoteVip(1), SetupProbes.LOCAL_VIP), true), first);
        assertEquals(2, p.stats.tunnelsUp());
        parent.outcomes().expectTerminated(session);
    }

    @Test
    void aDirectionThePeerRefusesFailsAloneWhileTheOtherGoesOn() {
        SetupProbes p = new SetupProbes(testKit, "");
        Parent parent = parent();
        testKit.spawn(Session.request(List.of(flow(1), flow(2)), p.deps, parent.outcomes().getRef(), parent.tunnels().getRef()));
        p.resolveAll();
        p.mint(0x100);
        p.answer(i -> i == 0 ? refused(Status.RESOURCE_EXHAUSTED.withDescription("no slot")) : granted(0x201, (byte) 1));

        // the refused direction reports at once, with its hold-drop reason; it never had a slot
        Session.Outcome failed = parent.outcomes().receiveMessage().outcomes().getFirst();
        assertEquals(flow(1), failed.flow());
        assertEquals(HoldDrop.NO_CRYPTO_SLOT, failed.failure());
        assertNull(failed.tunnel());
        // its reverse parameters reached the peer, which may send with them: that grant stays until the peer leaves
        p.grants.expectNoMessage(Duration.ofMillis(50));
        // the other one goes on alone
        assertEquals(List.of(9), p.grantSlots(9, 1));
        assertEquals(1, p.installAll().entries().size());
        assertEquals(flow(2), parent.outcomes().receiveMessage().outcomes().getFirst().flow());
    }

    @Test
    void noSlotLeftFailsTheDirectionsBeyondTheGrantAndReleasesNothingTheyNeverHad() {
        SetupProbes p = new SetupProbes(testKit, "send-reverse-params = off");
        Parent parent = parent();
        testKit.spawn(Session.request(List.of(flow(1), flow(2)), p.deps, parent.outcomes().getRef(), parent.tunnels().getRef()));
        p.resolveAll();
        p.answer(i -> granted(0x201 + i, (byte) 1));
        p.grantSlots(0, 1);
        Session.Outcome failed = parent.outcomes().receiveMessage().outcomes().getFirst();
        assertEquals(flow(2), failed.flow());
        assertEquals(HoldDrop.NO_CRYPTO_SLOT, failed.failure());
        assertEquals(1, p.installAll().entries().size(), "the direction with a slot is installed");
        p.dataplane.expectNoMessage(Duration.ofMillis(50));
    }

    @Test
    void aSetUpThatOutlivesItsBudgetFailsAndReleasesWhatItHolds() {
        SetupProbes p = new SetupProbes(testKit, "send-reverse-params = off");
        Parent parent = parent();
        ActorRef<Session.Command> session = testKit.spawn(Session.request(List.of(flow(1)), p.deps, parent.outcomes().getRef(),
                parent.tunnels().getRef()));
        p.resolveAll();
        p.answer(i -> granted(0x201, (byte) 1));
        p.grantSlots(3, 1);
        p.dataplane.expectMessageClass(DataplaneActor.Install.class); // never answered

        time.timePasses(p.settings.control().setupBudget());
        Session.Outcome o = parent.outcomes().receiveMessage().outcomes().getFirst();
        assertEquals(HoldDrop.TUNNEL_FAILED, o.failure());
        p.expectReleased(flow(1), 3);
        parent.outcomes().expectTerminated(session);
    }

    private static Tunnel established(int i, int cryptoId, int spi) {
        return new Tunnel(flow(i), cryptoId, spi, 0, SetupProbes.PEER_UPLINK,
                new IngressGrants.Grant(0x300 + i, remoteVip(i), SetupProbes.LOCAL_VIP), true);
    }

    @Test
    void aReKeyAsksWithoutReverseParametersAndReprogramsTheTunnelsOwnSlot() {
        SetupProbes p = new SetupProbes(testKit, "");
        Parent parent = parent();
        Tunnel old = established(1, 6, 0x0000_0201);
        testKit.spawn(Session.rekey(List.of(old), p.deps, parent.outcomes().getRef(), parent.tunnels().getRef()));
        p.resolveAll();
        List<Peer.Wanted> asked = p.answer(i -> granted(0x8000_0202, (byte) 9));
        assertNull(asked.getFirst().reverse(), "the peer's own tunnel towards us re-keys itself");
        DataplaneActor.Install install = p.installAll();
        assertEquals(6, install.entries().getFirst().cryptoId(), "the same slot, no new one");
        byte[] nines = new byte[32];
        java.util.Arrays.fill(nines, (byte) 9);
        assertArrayEquals(nines, install.entries().getFirst().key());

        Session.Outcome o = parent.outcomes().receiveMessage().outcomes().getFirst();
        assertTrue(o.up());
        assertEquals(old.rekeyed(0x8000_0202, 0), o.tunnel());
        assertEquals(1, p.stats.tunnelsRekeyed());
        p.slots.expectNoMessage(Duration.ofMillis(50));
    }

    @Test
    void aReKeyThePeerRefusesHandsTheTunnelBackUnchangedAndReleasesNothing() {
        SetupProbes p = new SetupProbes(testKit, "");
        Parent parent = parent();
        Tunnel old = established(1, 6, 0x0000_0201);
        testKit.spawn(Session.rekey(List.of(old), p.deps, parent.outcomes().getRef(), parent.tunnels().getRef()));
        p.resolveAll();
        p.answer(i -> refused(Status.UNAVAILABLE));
        Session.Outcome o = parent.outcomes().receiveMessage().outcomes().getFirst();
        assertFalse(o.up());
        assertEquals(old, o.tunnel(), "the old SPI still works until the peer's next rotation");
        assertEquals(1, p.stats.rekeysFailed());
        p.dataplane.expectNoMessage(Duration.ofMillis(50));
        p.slots.expectNoMessage(Duration.ZERO);
        p.grants.expectNoMessage(Duration.ZERO);
    }

    @Test
    void aReKeyStoppedByItsOwnerReleasesTheTunnelAfterItsOwnInstall() {
        SetupProbes p = new SetupProbes(testKit, "");
        Parent parent = parent();
        Tunnel old = established(1, 6, 0x0000_0201);
        ActorRef<Session.Command> session = testKit.spawn(Session.rekey(List.of(old), p.deps, parent.outcomes().getRef(),
                parent.tunnels().getRef()));
        p.resolveAll();
        p.answer(i -> granted(0x8000_0202, (byte) 9));
        p.dataplane.expectMessageClass(DataplaneActor.Install.class);
        // the peer left while the install was on its way: its reverse grant goes too
        session.tell(new Session.StopRekey(flow(1), true));
        p.expectReleased(flow(1), 6);
        assertEquals(new IngressGrants.Revoke(old.reverseGrant()), p.grants.expectMessageClass(IngressGrants.Revoke.class));
        assertNull(parent.outcomes().receiveMessage().outcomes().getFirst().tunnel(), "nothing is left of it");
        parent.outcomes().expectTerminated(session);
    }
}
