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
}
