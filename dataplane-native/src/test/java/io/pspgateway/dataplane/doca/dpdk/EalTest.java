package io.pspgateway.dataplane.doca.dpdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.dataplane.doca.DocaUnavailableException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class EalTest {
    @Test
    void theEalPinsOnlyItsOwnThreadAndThreadsStartedAfterwardsKeepEveryCpu() throws Exception {
        Eal eal = TestEal.get();
        Map<Long, String> before = TestEal.cpusBeforeTheEal();
        String everyCpu = TestEal.cpusOf(Path.of("/proc/thread-self"));
        Assumptions.assumeTrue(Runtime.getRuntime().availableProcessors() > 1,
                "one CPU: a pin to it cannot be told from no pin (SKIPPED)");
        // the thread must outlive collections: an executor nobody references is shut down when collected,
        // by a cleaner a moment after the collection
        System.gc();
        for (int i = 0; i < 10; i++) {
            Thread.sleep(50);
            assertEquals(1, TestEal.cpusOfEveryThread().keySet().stream().filter(tid -> Eal.THREAD.equals(TestEal.nameOf(tid))).count(),
                    "the " + Eal.THREAD + " thread is still there " + (i + 1) * 50 + " ms after a collection");
        }
        Map<Long, String> now = TestEal.cpusOfEveryThread();
        List<Long> ealThreads = now.keySet().stream().filter(tid -> Eal.THREAD.equals(TestEal.nameOf(tid))).toList();
        assertEquals(1, ealThreads.size(), "one " + Eal.THREAD + " thread: " + ealThreads);
        assertEquals("0", now.get(ealThreads.getFirst()), "rte_eal_init with -l 0 pins its caller to CPU 0");
        assertNotEquals("0", everyCpu, "the test thread is not pinned");
        for (Map.Entry<Long, String> e : before.entrySet()) {
            if (now.containsKey(e.getKey())) {
                assertEquals(e.getValue(), now.get(e.getKey()), "thread " + e.getKey() + " (" + TestEal.nameOf(e.getKey())
                        + ") kept its CPUs through rte_eal_init");
            }
        }
        AtomicReference<String> started = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> started.set(TestEal.cpusOf(Path.of("/proc/thread-self"))));
        t.join();
        assertEquals(everyCpu, started.get(), "a thread started after the EAL runs on every CPU");
        assertTrue(eal.portCount() >= 1, "the ring ports were probed: " + eal.portCount());
    }

    @Test
    void theSameArgumentsGetTheRunningEalAndOthersAreRefused() throws Exception {
        Eal eal = TestEal.get();
        assertSame(eal, Eal.start(TestEal.shim(), TestEal.ARGUMENTS));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Eal.start(TestEal.shim(), List.of("--no-huge")));
        assertTrue(e.getMessage().contains("already runs in this process with " + TestEal.ARGUMENTS), e.getMessage());
    }

    @Test
    void aShimLackingOneFunctionIsRefusedNamingIt() throws Exception {
        Path library = TestEal.shimPath();
        SymbolLookup real = SymbolLookup.libraryLookup(library, Arena.global());
        SymbolLookup withoutTx = name -> name.equals("pspgw_tx_copy") ? java.util.Optional.empty() : real.find(name);
        DocaUnavailableException e = assertThrows(DocaUnavailableException.class, () -> DpdkShim.bind(withoutTx));
        assertTrue(e.getMessage().contains("lacks [pspgw_tx_copy]"), e.getMessage());
    }

    @Test
    void aMissingShimSaysWhereItWasLookedForAndHowToBuildIt() {
        DocaUnavailableException e = assertThrows(DocaUnavailableException.class, () -> DpdkShim.load(Path.of("/nonexistent/libpspgw_dpdk.so")));
        assertTrue(e.getMessage().contains("/nonexistent/libpspgw_dpdk.so is not there") && e.getMessage().contains("build-dpdk-shim"),
                e.getMessage());
    }
}
