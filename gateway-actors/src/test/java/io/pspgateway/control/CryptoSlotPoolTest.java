package io.pspgateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.pekko.actor.testkit.typed.annotations.JUnit5TestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.JUnit5TestKitBuilder;
import org.apache.pekko.actor.testkit.typed.javadsl.TestKitJUnit5Extension;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CryptoSlotPoolTest {
    @JUnit5TestKit
    public final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("crypto-slot-pool").build();

    /** A pool of {@code size} slots, the data plane it tells to wipe, and a way to ask it. */
    private final class Pool {
        final TestProbe<DataplaneActor.Command> dataplane = testKit.createTestProbe();
        final ActorRef<CryptoSlotPool.Command> pool;
        final TestProbe<CryptoSlotPool.Granted> reply = testKit.createTestProbe();

        final GatewayStats stats = new GatewayStats();

        Pool(int size) {
            this(size, size);
        }

        Pool(int size, int sharePerPeer) {
            pool = testKit.spawn(CryptoSlotPool.create(size, sharePerPeer, dataplane.getRef(), stats, ActorDecorator.NONE));
        }

        List<Integer> allocate(ActorRef<?> owner, int count) {
            return allocate(owner, count, null).cryptoIds();
        }

        CryptoSlotPool.Granted allocate(ActorRef<?> owner, int count, String behalfOf) {
            pool.tell(new CryptoSlotPool.Allocate(owner, count, behalfOf, reply.getRef()));
            return reply.receiveMessage();
        }

        int inUse() {
            TestProbe<Integer> inUse = testKit.createTestProbe();
            pool.tell(new CryptoSlotPool.GetInUse(inUse.getRef()));
            return inUse.receiveMessage();
        }
    }

    @Test
    void grantsDistinctSlotsUpToTheLimitThenRefuses() {
        Pool p = new Pool(2);
        ActorRef<Object> owner = testKit.<Object>createTestProbe().getRef();
        assertEquals(List.of(0), p.allocate(owner, 1));
        assertEquals(List.of(1), p.allocate(owner, 1));
        assertEquals(List.of(), p.allocate(owner, 1));
        p.pool.tell(new CryptoSlotPool.Release(0));
        assertEquals(List.of(0), p.allocate(owner, 1), "a released slot is granted again");
    }

    @Test
    void aBatchGetsWhatIsFreeAndNoMore() {
        Pool p = new Pool(5);
        ActorRef<Object> owner = testKit.<Object>createTestProbe().getRef();
        assertEquals(List.of(0, 1), p.allocate(owner, 2));
        p.pool.tell(new CryptoSlotPool.Release(0));
        assertEquals(List.of(0, 2, 3, 4), p.allocate(owner, 10), "the free ones, lowest first, up to the limit");
        assertEquals(5, p.inUse());
    }

    @Test
    void anOwnerThatDiesHoldingASlotHasItWipedAndFreed() {
        Pool p = new Pool(1);
        ActorRef<Object> owner = testKit.spawn(Behaviors.receiveMessage(m -> Behaviors.stopped()));
        assertEquals(List.of(0), p.allocate(owner, 1));
        owner.tell("crash");
        assertEquals(new DataplaneActor.WipeSlot(0), p.dataplane.expectMessageClass(DataplaneActor.WipeSlot.class));
        assertEquals(0, p.inUse());
    }

    @Test
    void aTransferredSlotFollowsItsNewOwner() {
        Pool p = new Pool(2);
        ActorRef<Object> session = testKit.spawn(Behaviors.receiveMessage(m -> Behaviors.stopped()));
        ActorRef<Object> keeper = testKit.spawn(Behaviors.receiveMessage(m -> Behaviors.stopped()));
        assertEquals(List.of(0, 1), p.allocate(session, 2));
        p.pool.tell(new CryptoSlotPool.Transfer(List.of(1), keeper));
        session.tell("stop");
        // the session's own slot is wiped, the handed-over one stays
        assertEquals(new DataplaneActor.WipeSlot(0), p.dataplane.expectMessageClass(DataplaneActor.WipeSlot.class));
        p.dataplane.expectNoMessage(java.time.Duration.ofMillis(200));
        assertEquals(1, p.inUse());
        keeper.tell("stop");
        assertEquals(new DataplaneActor.WipeSlot(1), p.dataplane.expectMessageClass(DataplaneActor.WipeSlot.class));
        assertEquals(0, p.inUse());
    }

    @Test
    void aPeersReverseParamsGetNoMoreThanItsShareWhileOthersAndOurOwnTrafficStillGetSlots() {
        Pool p = new Pool(10, 3);
        ActorRef<Object> session = testKit.<Object>createTestProbe().getRef();
        ActorRef<Object> tunnels = testKit.<Object>createTestProbe().getRef();
        assertEquals(List.of(0, 1), p.allocate(session, 2, "peer a").cryptoIds());
        CryptoSlotPool.Granted past = p.allocate(session, 2, "peer a");
        assertEquals(List.of(2), past.cryptoIds(), "only what is left of a's share");
        assertTrue(past.shortBecause().contains("reverse-slots-per-peer"), past.shortBecause());
        assertEquals(java.util.Map.of("peer a", java.util.Map.of(PeerLimits.Limit.REVERSE_SLOTS, 1L)), p.stats.limitedByPeer());
        assertEquals(List.of(3, 4, 5), p.allocate(session, 3, "peer b").cryptoIds(), "another peer has a share of its own");
        assertEquals(List.of(6, 7, 8, 9), p.allocate(session, 5, null).cryptoIds(), "our own traffic is not held to a share");

        // handed to the owner of established tunnels, the slots still count against a's share...
        p.pool.tell(new CryptoSlotPool.Transfer(List.of(0, 1, 2), tunnels));
        p.pool.tell(new CryptoSlotPool.Release(9));
        assertEquals(List.of(), p.allocate(session, 1, "peer a").cryptoIds());
        // ...until one is released
        p.pool.tell(new CryptoSlotPool.Release(1));
        assertEquals(List.of(1), p.allocate(session, 1, "peer a").cryptoIds());
        assertEquals(null, p.allocate(session, 1, null).shortBecause(), "slot 9 is free again");
        assertTrue(p.allocate(session, 1, null).shortBecause().contains("--max-tunnels"));
    }
}
