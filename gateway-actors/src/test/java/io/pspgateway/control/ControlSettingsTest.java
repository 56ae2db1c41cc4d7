package io.pspgateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The project's own knobs: defaults, and bad values refused with the setting named. */
class ControlSettingsTest {

    private static ControlSettings with(String hocon) {
        return ControlSettings.from(ConfigFactory.parseString(hocon).withFallback(ConfigFactory.load()));
    }

    @Test
    void keyRotationDefaultsToOnRequestWithAMinimumIntervalAndGrantsCloseWhenIdle() {
        ControlSettings s = with("");
        assertEquals(Duration.ZERO, s.rotationInterval());
        assertEquals(Duration.ofSeconds(30), s.minRotationInterval());
        assertEquals(Duration.ofSeconds(10), s.grantIdleClose());
    }

    @Test
    void aRotationScheduleTighterThanTheMinimumIntervalIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> with("pspgw.keys { rotation-interval = 10s, min-rotation-interval = 30s }"));
        assertTrue(e.getMessage().contains("keys.rotation-interval"), e.getMessage());
        assertEquals(Duration.ofMinutes(5), with("pspgw.keys.rotation-interval = 5m").rotationInterval());
    }

    @Test
    void countsBelowOneAreRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> with("pspgw.hold-per-flow = 0"));
        assertTrue(e.getMessage().contains("hold-per-flow"), e.getMessage());
    }

    @Test
    void peerLimitsDeriveFromTheSlotsAndTheHeapUnlessSet() {
        PeerLimits declared = with("").peerLimits();
        assertEquals(new PeerLimits(200, 400, PeerLimits.AUTO, PeerLimits.AUTO, PeerLimits.AUTO), declared);
        long gib = 1L << 30;
        assertEquals(new PeerLimits(200, 400, 512, 224, 131_072), declared.resolve(256, gib), "a GiB of heap holds 131 072 ACLs");
        assertEquals(new PeerLimits(200, 400, 800_000, 350_000, 800_000), declared.resolve(400_000, gib),
                "never fewer ACLs than twice the slots");
        assertEquals(1, declared.resolve(1, gib).reverseSlotsPerPeer(), "a gateway of one slot still adopts");
        PeerLimits set = with("pspgw.peer-limits { grants-per-peer = 10, reverse-slots-per-peer = 3, ingress-acls = 50 }").peerLimits();
        assertEquals(new PeerLimits(200, 400, 10, 3, 50), set.resolve(256, gib), "set limits are kept as they are");
    }

    @Test
    void peerLimitsThatAreNeitherAutoNorACountAreRefusedByName() {
        IllegalArgumentException word = assertThrows(IllegalArgumentException.class, () -> with("pspgw.peer-limits.grants-per-peer = lots"));
        assertTrue(word.getMessage().contains("peer-limits.grants-per-peer") && word.getMessage().contains("auto"), word.getMessage());
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class, () -> with("pspgw.peer-limits.ingress-acls = 0"));
        assertTrue(zero.getMessage().contains("peer-limits.ingress-acls"), zero.getMessage());
    }
}
