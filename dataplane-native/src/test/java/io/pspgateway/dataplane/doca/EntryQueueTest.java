package io.pspgateway.dataplane.doca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** "Live on return": an add processes until DOCA reports its entry, and a failed one leaves nothing. */
class EntryQueueTest {
    private FakeDoca fake;
    private DocaFlow flow;
    private EntryQueue queue;
    private int liveAtStart;

    @BeforeEach
    void start() throws Exception {
        fake = FakeDoca.get();
        flow = DocaFlow.start(DocaFlowNative.bind(fake.lookup()), new DocaFlow.Settings(4, 2, MemorySegment.ofAddress(0x1000)));
        queue = new EntryQueue(flow);
        liveAtStart = fake.liveObjects();
    }

    @AfterEach
    void stop() {
        flow.close();
    }

    private MemorySegment add() {
        return queue.add(Arena.global(), () -> "test entry", (context, entry) -> flow.doca().addEntry(EntryQueue.QUEUE,
                MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL, MemorySegment.NULL,
                DocaAbi.DOCA_FLOW_NO_WAIT, context, entry)).handle();
    }

    /** The journal from the first add on, handle ids normalised. */
    private List<String> callsSinceStart() {
        List<String> calls = fake.journal().stream().map(c -> c.toString().replaceAll("#\\d+", "#N")).toList();
        int bind = calls.indexOf("doca_flow_shared_resources_bind type=4 ids=1..4 count=4 to=port#N");
        return calls.subList(bind + 1, calls.size());
    }

    @Test
    void anAddedEntryIsReportedBeforeAddReturnsAndStaysLive() {
        MemorySegment entry = add();
        assertFalse(entry.equals(MemorySegment.NULL));
        assertEquals(List.of("doca_flow_pipe_add_entry NULL fwd=NULL monitor=NULL -> entry#N", "doca_flow_entries_process port#N queue=0 max=1"), callsSinceStart());
        assertEquals(liveAtStart + 1, fake.liveObjects());
        assertEquals(0, flow.completions().waiting());
        queue.remove(entry);
        assertEquals(liveAtStart, fake.liveObjects());
    }

    @Test
    void anEntryDocaReportsAsFailedIsRemovedAndTheErrorSaysSo() {
        fake.failEntry(0);
        DocaCallException e = assertThrows(DocaCallException.class, this::add);
        assertEquals("test entry: DOCA reported the entry as failed", e.getMessage());
        assertEquals(liveAtStart, fake.liveObjects(), "the failed entry was removed");
        assertEquals(List.of("doca_flow_pipe_add_entry NULL fwd=NULL monitor=NULL -> entry#N", "doca_flow_entries_process port#N queue=0 max=1",
                "doca_flow_pipe_remove_entry entry#N", "doca_flow_entries_process port#N queue=0 max=1"), callsSinceStart());
        assertEquals(0, flow.completions().waiting());
        // the next add goes through
        queue.remove(add());
    }

    @Test
    void anAddCallThatFailsQueuesNothingAndWaitsForNothing() {
        fake.fail("doca_flow_pipe_add_entry", 0, DocaAbi.DOCA_ERROR_FULL);
        DocaCallException e = assertThrows(DocaCallException.class, this::add);
        assertEquals("doca_flow_pipe_add_entry failed: DOCA_ERROR_FULL (24)", e.getMessage());
        assertEquals(List.of("doca_flow_pipe_add_entry NULL fwd=NULL monitor=NULL -> entry#N"), callsSinceStart());
        assertEquals(0, flow.completions().waiting());
        assertEquals(liveAtStart, fake.liveObjects());
    }

    @Test
    void anEntryNotReportedInTimeIsRemovedAndItsLateReportIsIgnoredAndCounted() {
        fake.holdEntries(true);
        DocaCallException e = assertThrows(DocaCallException.class, this::add);
        assertEquals("test entry: DOCA did not report the entry within 1000 ms", e.getMessage());
        List<String> calls = callsSinceStart();
        assertEquals(1 + EntryQueue.MAX_ROUNDS + 2, calls.size(), "one add, every round, the removal and its processing");
        assertEquals("doca_flow_pipe_remove_entry entry#N", calls.get(1 + EntryQueue.MAX_ROUNDS));
        assertEquals(liveAtStart, fake.liveObjects());
        assertEquals(0, flow.completions().waiting());
        fake.holdEntries(false);
        long unknownBefore = flow.completions().unknownReports();
        queue.remove(add()); // processing now also reports the abandoned entry
        assertEquals(unknownBefore + 1, flow.completions().unknownReports());
    }

    @Test
    void aProcessCallThatFailsRemovesTheEntryAndWaitsForNothing() {
        fake.fail("doca_flow_entries_process", 0, DocaAbi.DOCA_ERROR_DRIVER);
        DocaCallException e = assertThrows(DocaCallException.class, this::add);
        assertEquals("doca_flow_entries_process failed: DOCA_ERROR_DRIVER (21)", e.getMessage());
        assertEquals(liveAtStart, fake.liveObjects(), "the entry was removed");
        assertEquals(0, flow.completions().waiting());
    }

    @Test
    void everyAddAndItsProcessingRunOnTheCallersThread() {
        queue.remove(add());
        assertEquals(1, fake.journal().stream().map(FakeDoca.Call::thread).distinct().count());
    }
}
