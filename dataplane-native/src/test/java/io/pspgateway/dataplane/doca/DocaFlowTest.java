package io.pspgateway.dataplane.doca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Starting and stopping DOCA Flow against the fake: the calls of BACKEND-NOTES 2.2-2.4 in their
 * order with their arguments (the expected lists are written from the notes, not from the code),
 * the undoing of a start that fails part way, and the one-per-process rule.
 */
class DocaFlowTest {
    private static final DocaFlow.Settings SETTINGS = new DocaFlow.Settings(256, 2, MemorySegment.ofAddress(0x1000));

    private FakeDoca fake;
    private DocaFlowNative doca;
    private int liveBefore;

    @BeforeEach
    void bind() throws Exception {
        fake = FakeDoca.get();
        doca = DocaFlowNative.bind(fake.lookup());
        liveBefore = fake.liveObjects();
    }

    @AfterEach
    void nothingIsLeftAlive() {
        assertEquals(liveBefore, fake.liveObjects(), "objects created and not destroyed");
    }

    /** The journal after the version check, as "function detail" lines. */
    private List<String> calls() {
        return fake.journal().stream().map(FakeDoca.Call::toString).filter(c -> !c.startsWith("doca_version_runtime")).toList();
    }

    private static final List<String> INIT = List.of(
            "doca_flow_cfg_create",
            "doca_flow_cfg_set_pipe_queues 2",
            "doca_flow_cfg_set_nr_counters 522",
            "doca_flow_cfg_set_mode_args switch,hws,isolated,expert",
            "doca_flow_cfg_set_cb_entry_process callback",
            "doca_flow_cfg_set_default_rss outer=0 inner=0 hash=0 queues=0,1",
            "doca_flow_cfg_set_nr_shared_resource 257 type=4",
            "doca_flow_cfg_set_nr_shared_resource 4 type=3",
            "doca_flow_init cfg#N",
            "doca_flow_cfg_destroy cfg#N");

    private static List<String> port(int id, String dev) {
        return List.of("doca_flow_port_cfg_create", "doca_flow_port_cfg_set_port_id " + id, "doca_flow_port_cfg_set_dev " + dev,
                "doca_flow_port_cfg_set_actions_mem_size 536870912", "doca_flow_port_start port_cfg#N", "doca_flow_port_cfg_destroy port_cfg#N");
    }

    /** Handle ids depend on what ran before in this JVM: "cfg#7" becomes "cfg#N". */
    private static List<String> normalised(List<String> calls) {
        return calls.stream().map(c -> c.replaceAll("#\\d+", "#N")).toList();
    }

    @Test
    void startInitialisesStartsThePfThenTheVfAndBindsEveryKeySlotToThePf() {
        try (DocaFlow flow = DocaFlow.start(doca, SETTINGS)) {
            List<String> calls = calls();
            List<String> expected = new java.util.ArrayList<>(INIT);
            expected.addAll(port(0, "dev"));
            expected.addAll(port(1, "NULL"));
            expected.add("doca_flow_shared_resources_bind type=4 ids=1..256 count=256 to=port#N");
            assertEquals(expected, normalised(calls));
            // the cfg destroyed is the one initialised
            assertEquals(calls.get(8).substring("doca_flow_init ".length()), calls.get(9).substring("doca_flow_cfg_destroy ".length()));
        }
        List<String> all = normalised(calls());
        assertEquals(List.of("doca_flow_port_stop port#N", "doca_flow_port_stop port#N", "doca_flow_destroy"),
                all.subList(all.size() - 3, all.size()));
    }

    /** The name of the PF's port handle: the port the key slots are bound to. */
    private static String pfName(List<String> calls) {
        return calls.getLast().substring(calls.getLast().indexOf("to=") + 3);
    }

    @Test
    void closeStopsTheVfBeforeThePfAndTheKeySlotsGoToThePf() {
        String pf;
        try (DocaFlow flow = DocaFlow.start(doca, SETTINGS)) {
            pf = pfName(calls());
        }
        List<String> stops = calls().stream().filter(c -> c.startsWith("doca_flow_port_stop")).toList();
        assertEquals(2, stops.size(), stops.toString());
        assertEquals("doca_flow_port_stop " + pf, stops.get(1));
    }

    @Test
    void theQueuesAndTunnelsSettingsShapeTheCountersRssAndSlots() {
        try (DocaFlow flow = DocaFlow.start(doca, new DocaFlow.Settings(3, 4, MemorySegment.ofAddress(0x1000)))) {
            List<String> calls = calls();
            assertTrue(calls.contains("doca_flow_cfg_set_pipe_queues 4"), calls.toString());
            assertTrue(calls.contains("doca_flow_cfg_set_nr_counters 16"), calls.toString());
            assertTrue(calls.contains("doca_flow_cfg_set_default_rss outer=0 inner=0 hash=0 queues=0,1,2,3"), calls.toString());
            assertTrue(calls.contains("doca_flow_cfg_set_nr_shared_resource 4 type=4"), calls.toString());
            assertTrue(normalised(calls).contains("doca_flow_shared_resources_bind type=4 ids=1..3 count=3 to=port#N"), calls.toString());
        }
    }

    @Test
    void aFailedInitLeavesNothingAndNamesTheCallAndError() {
        fake.fail("doca_flow_init", 0, DocaAbi.DOCA_ERROR_NOT_SUPPORTED);
        DocaCallException e = assertThrows(DocaCallException.class, () -> DocaFlow.start(doca, SETTINGS));
        assertEquals("doca_flow_init failed: DOCA_ERROR_NOT_SUPPORTED (4)", e.getMessage());
        List<String> calls = normalised(calls());
        // the cfg is destroyed; no port was started, and DOCA Flow, never initialised, is not destroyed
        assertEquals("doca_flow_cfg_destroy cfg#N", calls.getLast());
        assertTrue(calls.stream().noneMatch(c -> c.startsWith("doca_flow_destroy") || c.startsWith("doca_flow_port")), calls.toString());
        // and a second try starts from scratch
        DocaFlow.start(doca, SETTINGS).close();
    }

    @Test
    void aVfThatDoesNotStartStopsThePfAndDestroysDocaFlow() {
        fake.fail("doca_flow_port_start", 1, DocaAbi.DOCA_ERROR_NOT_FOUND);
        DocaCallException e = assertThrows(DocaCallException.class, () -> DocaFlow.start(doca, SETTINGS));
        assertEquals("doca_flow_port_start failed: DOCA_ERROR_NOT_FOUND (16)", e.getMessage());
        List<String> calls = normalised(calls());
        int failedStart = calls.lastIndexOf("doca_flow_port_start port_cfg#N");
        assertEquals(List.of("doca_flow_port_cfg_destroy port_cfg#N", "doca_flow_port_stop port#N", "doca_flow_destroy"),
                calls.subList(failedStart + 1, calls.size()));
    }

    @Test
    void aKeySlotBindThatFailsUndoesBothPorts() {
        fake.fail("doca_flow_shared_resources_bind", 0, DocaAbi.DOCA_ERROR_NO_MEMORY);
        assertThrows(DocaCallException.class, () -> DocaFlow.start(doca, SETTINGS));
        List<String> calls = normalised(calls());
        assertEquals(List.of("doca_flow_port_stop port#N", "doca_flow_port_stop port#N", "doca_flow_destroy"),
                calls.subList(calls.size() - 3, calls.size()));
    }

    @Test
    void aSecondDocaFlowInOneJvmIsRefusedWhileTheFirstRuns() {
        try (DocaFlow first = DocaFlow.start(doca, SETTINGS)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> DocaFlow.start(doca, SETTINGS));
            assertTrue(e.getMessage().contains("a second doca backend is refused"), e.getMessage());
        }
        DocaFlow.start(doca, SETTINGS).close();
    }

    @Test
    void everyCallComesFromTheThreadThatStartedAndClosed() {
        DocaFlow.start(doca, SETTINGS).close();
        List<Long> threads = fake.journal().stream().map(FakeDoca.Call::thread).distinct().toList();
        assertEquals(1, threads.size(), threads.toString());
    }
}
