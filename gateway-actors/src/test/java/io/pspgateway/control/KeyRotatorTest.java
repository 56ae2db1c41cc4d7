package io.pspgateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Optional;
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

/** The key rotator alone, on manual time: rotations on request and on schedule, never closer than the minimum interval. */
@ExtendWith(TestKitJUnit5Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KeyRotatorTest {
    @JUnit5TestKit
    public final ActorTestKit testKit = new JUnit5TestKitBuilder().withName("key-rotator").withCustomConfig(SetupProbes.manualTime()).build();

    private final ManualTime time = ManualTime.get(testKit.system());

    private record Rotator(TestProbe<DataplaneActor.Command> dataplane, TestProbe<IngressGrants.Command> grants,
                           TestProbe<PeerDirectory.Command> directory, ActorRef<KeyRotator.Command> ref) {
        /** Asks for a rotation; when the data plane is asked, it answers {@code generation}. */
        KeyRotator.Rotated rotate(ActorTestKit kit, long generation) {
            TestProbe<KeyRotator.Rotated> reply = kit.createTestProbe();
            ref.tell(new KeyRotator.Rotate("the test", reply.getRef()));
            if (generation >= 0) {
                dataplane.expectMessageClass(DataplaneActor.Rotate.class).replyTo().tell(generation);
            }
            return reply.receiveMessage();
        }
    }

    private Rotator rotator(String keys) {
        ControlSettings settings = ControlSettings.from(ConfigFactory.parseString(keys).atPath("pspgw.keys").withFallback(ConfigFactory.load()));
        TestProbe<DataplaneActor.Command> dataplane = testKit.createTestProbe();
        TestProbe<IngressGrants.Command> grants = testKit.createTestProbe();
        TestProbe<PeerDirectory.Command> directory = testKit.createTestProbe();
        return new Rotator(dataplane, grants, directory, testKit.spawn(KeyRotator.create(dataplane.getRef(), grants.getRef(), Optional.empty(),
                directory.getRef(), settings)));
    }

    @Test
    void aRotationRetiresTheKeyItOverwroteAndAnotherWithinTheMinimumIntervalIsRefused() {
        Rotator r = rotator("rotation-interval = 0s\nmin-rotation-interval = 10s");
        assertEquals(new KeyRotator.Rotated(3, null), r.rotate(testKit, 3));
        assertEquals(new IngressGrants.KeyRetired(1), r.grants().expectMessageClass(IngressGrants.KeyRetired.class),
                "generation 3 overwrote key index 1");
        assertEquals(new PeerDirectory.TellKeysRotated(3), r.directory().expectMessageClass(PeerDirectory.TellKeysRotated.class),
                "the tunnel file's gateways are told, so they re-key");

        time.timePasses(Duration.ofMillis(9_999));
        KeyRotator.Rotated refused = r.rotate(testKit, -1);
        assertFalse(refused.done());
        assertTrue(refused.refused().contains("min-rotation-interval"), refused.refused());
        r.dataplane().expectNoMessage(Duration.ofMillis(50));

        time.timePasses(Duration.ofMillis(1));
        assertEquals(new KeyRotator.Rotated(4, null), r.rotate(testKit, 4), "allowed once the interval has passed");
    }

    @Test
    void theScheduleRotatesEveryInterval() {
        Rotator r = rotator("rotation-interval = 60s\nmin-rotation-interval = 10s");
        time.timePasses(Duration.ofSeconds(59));
        r.dataplane().expectNoMessage(Duration.ofMillis(50));
        time.timePasses(Duration.ofSeconds(1));
        r.dataplane().expectMessageClass(DataplaneActor.Rotate.class).replyTo().tell(1L);
        assertEquals(new IngressGrants.KeyRetired(1), r.grants().expectMessageClass(IngressGrants.KeyRetired.class));
        time.timePasses(Duration.ofSeconds(60));
        r.dataplane().expectMessageClass(DataplaneActor.Rotate.class);
    }

    @Test
    void aDataplaneThatFailsToRotateRefusesTheRotationAndStartsNoInterval() {
        Rotator r = rotator("rotation-interval = 0s\nmin-rotation-interval = 10s");
        TestProbe<KeyRotator.Rotated> reply = testKit.createTestProbe();
        r.ref().tell(new KeyRotator.Rotate("the test", reply.getRef()));
        r.dataplane().expectMessageClass(DataplaneActor.Rotate.class); // never answered
        time.timePasses(Duration.ofSeconds(5));
        assertFalse(reply.receiveMessage().done());
        r.grants().expectNoMessage(Duration.ofMillis(50));
        r.directory().expectNoMessage(Duration.ZERO);
        assertEquals(new KeyRotator.Rotated(1, null), r.rotate(testKit, 1), "no interval to wait: nothing rotated");
    }
}
