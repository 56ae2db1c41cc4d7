package io.pspgateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

        Pool(int size) {
            pool = testKit.spawn(CryptoSlotPool.create(size, dataplane.getRef(), ActorDecorator.NONE));
        }

        List<Integer> allocate(ActorRef<?> owner, int count) {
            pool.tell(new CryptoSlotPool.Allocate(owner, count, reply.getRef()));
            return reply.receiveMessage().cryptoIds();
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
}
