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

    @Test
    void grantsDistinctSlotsUpToTheLimitThenRefuses() {
        TestProbe<DataplaneActor.Command> dataplane = testKit.createTestProbe();
        ActorRef<CryptoSlotPool.Command> pool = testKit.spawn(CryptoSlotPool.create(2, dataplane.getRef(), CrashPoints.NONE));
        TestProbe<CryptoSlotPool.Granted> reply = testKit.createTestProbe();
        TestProbe<Object> owner = testKit.createTestProbe();
        pool.tell(new CryptoSlotPool.Allocate(owner.getRef(), 1, reply.getRef()));
        pool.tell(new CryptoSlotPool.Allocate(owner.getRef(), 1, reply.getRef()));
        pool.tell(new CryptoSlotPool.Allocate(owner.getRef(), 1, reply.getRef()));
        assertEquals(List.of(0), reply.receiveMessage().cryptoIds());
        assertEquals(List.of(1), reply.receiveMessage().cryptoIds());
        assertEquals(List.of(), reply.receiveMessage().cryptoIds());
        pool.tell(new CryptoSlotPool.Release(0));
        pool.tell(new CryptoSlotPool.Allocate(owner.getRef(), 1, reply.getRef()));
        assertEquals(List.of(0), reply.receiveMessage().cryptoIds(), "a released slot is granted again");
    }

    @Test
    void aBatchGetsWhatIsFreeAndNoMore() {
        TestProbe<DataplaneActor.Command> dataplane = testKit.createTestProbe();
        ActorRef<CryptoSlotPool.Command> pool = testKit.spawn(CryptoSlotPool.create(5, dataplane.getRef(), CrashPoints.NONE));
        TestProbe<CryptoSlotPool.Granted> reply = testKit.createTestProbe();
        TestProbe<Object> owner = testKit.createTestProbe();
        pool.tell(new CryptoSlotPool.Allocate(owner.getRef(), 2, reply.getRef()));
        assertEquals(List.of(0, 1), reply.receiveMessage().cryptoIds());
        pool.tell(new CryptoSlotPool.Release(0));
        pool.tell(new CryptoSlotPool.Allocate(owner.getRef(), 10, reply.getRef()));
        assertEquals(List.of(0, 2, 3, 4), reply.receiveMessage().cryptoIds(), "the free ones, lowest first, up to the limit");
        TestProbe<Integer> inUse = testKit.createTestProbe();
        pool.tell(new CryptoSlotPool.GetInUse(inUse.getRef()));
        assertEquals(5, inUse.receiveMessage());
    }

    @Test
    void anOwnerThatDiesHoldingASlotHasItWipedAndFreed() {
        TestProbe<DataplaneActor.Command> dataplane = testKit.createTestProbe();
        ActorRef<CryptoSlotPool.Command> pool = testKit.spawn(CryptoSlotPool.create(1, dataplane.getRef(), CrashPoints.NONE));
        TestProbe<CryptoSlotPool.Granted> reply = testKit.createTestProbe();
        ActorRef<Object> owner = testKit.spawn(Behaviors.receiveMessage(m -> Behaviors.stopped()));
        pool.tell(new CryptoSlotPool.Allocate(owner, 1, reply.getRef()));
        assertEquals(List.of(0), reply.receiveMessage().cryptoIds());
        owner.tell("crash");
        assertEquals(new DataplaneActor.WipeSlot(0), dataplane.expectMessageClass(DataplaneActor.WipeSlot.class));
        TestProbe<Integer> inUse = testKit.createTestProbe();
        pool.tell(new CryptoSlotPool.GetInUse(inUse.getRef()));
        assertEquals(0, inUse.receiveMessage());
    }
}
