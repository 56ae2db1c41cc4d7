package io.pspgateway.control;

import static io.pspgateway.control.SetupProbes.flow;
import static io.pspgateway.control.SetupProbes.miss;
import static io.pspgateway.control.SetupProbes.remoteVip;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pspgateway.control.GatewayStats.HoldDrop;
import io.pspgateway.dataplane.HeldPacket;
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

/** The miss handler alone: its set-ups run against probes, its hold and retry times on manual time. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MissHandlerTest {
    @JUnit5TestKit
    public final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("miss-handler").withCustomConfig(SetupProbes.manualTime()).build();

    private final ManualTime time = ManualTime.get(testKit.system());

    private record Handler(SetupProbes probes, TestProbe<Tunnels.Command> tunnels, ActorRef<MissHandler.Command> ref) {
    }

    private Handler handler(String hocon) {
        SetupProbes p = new SetupProbes(testKit, "send-reverse-params = off\n" + hocon);
        TestProbe<Tunnels.Command> tunnels = testKit.createTestProbe();
        return new Handler(p, tunnels, testKit.spawn(MissHandler.create(p.deps, tunnels.getRef())));
    }

    @Test
    void aBatchsNewPairsShareOneSetUpAndTheirPacketsWaitAndGoOutInTheirArrivalOrderOnceUp() {
        Handler h = handler("");
        SetupProbes p = h.probes();
        List<HeldPacket> batch = List.of(miss(1, 0), miss(2, 0), miss(1, 1));
        h.ref().tell(new MissHandler.Missed(batch));

        assertEquals(List.of(remoteVip(1), remoteVip(2)), p.resolveAll(), "one set-up for the batch, each pair once");
        p.answer(i -> SetupProbes.granted(0x201 + i, (byte) 1));
        p.grantSlots(0, 2);
        p.installAll();
        p.slots.expectMessageClass(CryptoSlotPool.Transfer.class);
        Tunnels.Established handed = h.tunnels().expectMessageClass(Tunnels.Established.class);
        assertEquals(List.of(flow(1), flow(2)), handed.tunnels().stream().map(Tunnel::flow).toList());
        assertEquals(h.ref(), handed.goneTo());
        List<HeldPacket> out = p.dataplane.expectMessageClass(DataplaneActor.Reinject.class).packets();
        assertEquals(List.of(batch.get(0), batch.get(2)), out.stream().filter(q -> q.flow().equals(flow(1))).toList(),
                "each pair's packets in arrival order");
        assertEquals(java.util.Set.copyOf(batch), java.util.Set.copyOf(out));
        assertEquals(3, p.stats.delivered());

        // a packet that missed just before the tunnel came up goes straight out, without a set-up
        HeldPacket late = miss(1, 2);
        h.ref().tell(new MissHandler.Missed(List.of(late)));
        assertEquals(List.of(late), p.dataplane.expectMessageClass(DataplaneActor.Reinject.class).packets());
        p.directory.expectNoMessage(Duration.ofMillis(50));

        // once its tunnel is gone, the pair's next packet sets up a new one
        h.ref().tell(new MissHandler.Forget(List.of(flow(1))));
        h.ref().tell(new MissHandler.Missed(List.of(miss(1, 3))));
        assertEquals(List.of(remoteVip(1)), p.resolveAll());
    }

    @Test
    void packetsStillHeldWhenTheHoldTimeIsUpAreDroppedAndCountedWhileTheSetUpGoesOn() {
        Handler h = handler("hold-timeout = 2s");
        SetupProbes p = h.probes();
        h.ref().tell(new MissHandler.Missed(List.of(miss(1, 0), miss(1, 1))));
        p.resolveAll();
        p.peer.expectMessageClass(Peer.RequestTunnels.class); // the peer is slow
        time.timePasses(Duration.ofSeconds(2));
        // a message after the expiry, answered: the expiry has been handled when it is
        h.ref().tell(new MissHandler.Missed(List.of(miss(2, 0))));
        p.resolveAll();
        assertEquals(2, p.stats.dropped(HoldDrop.HOLD_TIMEOUT));
        assertEquals(3, p.stats.held());
    }

    @Test
    void aPairWhoseSetUpFailedIsDroppedAsRecentlyFailedUntilItMayBeTriedAgain() {
        Handler h = handler("retry-failed-after = 1s");
        SetupProbes p = h.probes();
        h.ref().tell(new MissHandler.Missed(List.of(miss(1, 0))));
        p.resolveNone();
        p.directory.awaitAssert(() -> {
            assertEquals(1, p.stats.dropped(HoldDrop.NO_PEER));
            return null;
        });
        h.ref().tell(new MissHandler.Missed(List.of(miss(1, 1))));
        h.ref().tell(new MissHandler.Missed(List.of(miss(2, 0))));
        assertEquals(List.of(remoteVip(2)), p.resolveAll(), "no second set-up for the pair that just failed");
        assertEquals(1, p.stats.dropped(HoldDrop.NO_PEER));
        assertEquals(1, p.stats.dropped(HoldDrop.RECENTLY_FAILED));

        time.timePasses(Duration.ofSeconds(1));
        h.ref().tell(new MissHandler.Missed(List.of(miss(1, 2))));
        assertEquals(List.of(remoteVip(1)), p.resolveAll(), "tried again once retry-failed-after has passed");
    }

    @Test
    void staticTunnelsThatFailAreTriedAgainTogetherAtDoublingIntervals() {
        Handler h = handler("retry-failed-after = 1s");
        SetupProbes p = h.probes();
        h.ref().tell(new MissHandler.Ensure(List.of(flow(1), flow(2))));
        PeerDirectory.ResolveAll asked = p.directory.expectMessageClass(PeerDirectory.ResolveAll.class);
        assertEquals(List.of(remoteVip(1), remoteVip(2)), asked.vips());
        // the first is served, the second is not (its gateway is not up yet)
        asked.replyTo().tell(new PeerDirectory.ResolvedAll(List.of(
                new PeerDirectory.Resolved(remoteVip(1), p.peer.getRef(), null), new PeerDirectory.Resolved(remoteVip(2), null, null))));
        p.answer(i -> SetupProbes.granted(0x201, (byte) 1));
        p.grantSlots(0, 1);
        p.installAll();
        // handed over after the failure was reported: the retry is scheduled by now
        h.tunnels().expectMessageClass(Tunnels.Established.class);

        time.timePasses(Duration.ofMillis(999));
        p.directory.expectNoMessage(Duration.ofMillis(50));
        time.timePasses(Duration.ofMillis(1));
        assertEquals(List.of(remoteVip(2)), p.resolveNone(), "only the failed one, after retry-failed-after");
        time.timePasses(Duration.ofMillis(1999));
        p.directory.expectNoMessage(Duration.ofMillis(50));
        time.timePasses(Duration.ofMillis(1));
        assertEquals(List.of(remoteVip(2)), p.resolveAll(), "then after twice as long");
    }

    @Test
    void aHoldQueueThatIsFullDropsAndCountsWhatDoesNotFit() {
        Handler h = handler("hold-per-flow = 2");
        SetupProbes p = h.probes();
        List<HeldPacket> batch = List.of(miss(1, 0), miss(1, 1), miss(1, 2));
        h.ref().tell(new MissHandler.Missed(batch));
        p.setUpAll(0, 0x201);
        assertEquals(batch.subList(0, 2), p.dataplane.expectMessageClass(DataplaneActor.Reinject.class).packets(), "the first two waited");
        assertEquals(1, p.stats.dropped(HoldDrop.HOLD_QUEUE_FULL));
    }
}
