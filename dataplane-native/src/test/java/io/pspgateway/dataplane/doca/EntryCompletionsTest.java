package io.pspgateway.dataplane.doca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The token table behind "live on return": bounded, and a place comes back when its token is taken or abandoned. */
class EntryCompletionsTest {
    @Test
    void anAbandonedOrUnreportedTokenIsStillInProcessAndFreesItsPlace() {
        EntryCompletions completions = new EntryCompletions();
        MemorySegment token = completions.expect();
        assertEquals(DocaAbi.DOCA_FLOW_ENTRY_STATUS_IN_PROCESS, completions.outcome(token));
        assertEquals(1, completions.waiting());
        completions.abandon(token);
        assertEquals(0, completions.waiting());
        assertEquals(DocaAbi.DOCA_FLOW_ENTRY_STATUS_IN_PROCESS, completions.outcome(token), "a forgotten token has no outcome");
    }

    @Test
    void tokensAreDistinctAndTheTableRefusesMoreThanItHoldsUntilOneIsAbandoned() {
        EntryCompletions completions = new EntryCompletions();
        List<MemorySegment> waiting = new ArrayList<>();
        for (int i = 0; i < 1024; i++) {
            waiting.add(completions.expect());
        }
        assertEquals(1024, completions.waiting());
        assertNotEquals(waiting.get(0).address(), waiting.get(1).address());
        assertThrows(IllegalStateException.class, completions::expect);
        completions.abandon(waiting.getFirst());
        MemorySegment next = completions.expect();
        assertEquals(1024, completions.waiting());
        assertNotEquals(waiting.getFirst().address(), next.address(), "a place is reused, a token never");
    }
}
