package io.pspgateway.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.event.EventRecordingLogger;
import org.slf4j.event.SubstituteLoggingEvent;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.SubstituteLogger;

class DropLogTest {
    private final LinkedBlockingQueue<SubstituteLoggingEvent> events = new LinkedBlockingQueue<>();
    private final AtomicLong now = new AtomicLong(1_000);
    private final DropLog log = new DropLog(new EventRecordingLogger(new SubstituteLogger("test", events, false), events),
            Duration.ofSeconds(10), now::get);
    private final FlowKey rs = FlowKey.of(InetAddress.ofLiteral("fe80::1"), InetAddress.ofLiteral("ff02:0:0:0:0:0:0:2"));

    private List<String> lines() {
        List<String> out = new ArrayList<>();
        events.forEach(e -> out.add(MessageFormatter.arrayFormat(e.getMessage(), e.getArgumentArray()).getMessage()));
        return out;
    }

    @Test
    void theFirstDropOfAReasonIsLoggedThenAtMostOncePerIntervalWithTheCountBetween() {
        log.record(DropReason.MISS_UNTUNNELLABLE_DESTINATION, rs);
        for (int i = 0; i < 999; i++) {
            now.addAndGet(1_000_000);
            log.record(DropReason.MISS_UNTUNNELLABLE_DESTINATION, rs);
        }
        assertEquals(1, lines().size(), "1000 drops within the interval: one line\n" + lines());
        assertTrue(lines().getFirst().contains("dropped 1 packet(s) as MISS_UNTUNNELLABLE_DESTINATION"), lines().getFirst());
        assertTrue(lines().getFirst().contains("fe80::1 -> ff02::2"), "RFC 5952 addresses: " + lines().getFirst());

        log.record(DropReason.MISS_OTHER_INNER_VERSION, rs);
        assertEquals(2, lines().size(), "another reason has an interval of its own");

        now.addAndGet(10_000_000_000L);
        log.record(DropReason.MISS_UNTUNNELLABLE_DESTINATION, rs);
        assertEquals(3, lines().size());
        assertTrue(lines().get(2).contains("dropped 1000 packet(s)"), "the drops since the last line: " + lines().get(2));
    }
}
