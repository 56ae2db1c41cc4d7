package io.pspgateway.dataplane.doca.dpdk;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The one EAL of the test JVM (a second {@code rte_eal_init} fails in a process), over DPDK's ring
 * driver with no hugepages, no PCI and no shared config: {@code net_ring0} (port 0, opened once
 * and shared, as a PF's queues would be) and {@code net_ring1} (port 1, for the tests that close
 * a port). The CPUs every thread of the JVM may run on are read just before the EAL starts.
 */
public final class TestEal {
    public static final List<String> ARGUMENTS = List.of("--no-huge", "-m", "64", "--no-pci", "--no-shconf", "-l", "0",
            "--vdev=net_ring0", "--vdev=net_ring1", "--log-level=lib.eal:warning");
    /**
     * Settings of the shared port: two pollers with their transmit twins, the re-injection queue
     * (2), and a receive queue 2 no poller reads, where the ring hands back what queue 2 sent.
     */
    static final DpdkPort.Settings SHARED = new DpdkPort.Settings(3, 3, 256, 2047, 2176, true);

    private static Eal eal;
    private static Map<Long, String> cpusBefore;
    private static DpdkPort shared;

    private TestEal() {
    }

    /** The shim the build made; skips the test (loudly) where it could not, fails under CI=true. */
    static DpdkShim shim() throws Exception {
        return DpdkShim.load(shimPath());
    }

    /** Where the build put the shim; skips the test (loudly) where it could not build it, fails under CI=true. */
    public static Path shimPath() {
        Path library = Path.of(System.getProperty("pspgw.test.dpdk-shim", "target/native/libpspgw_dpdk.so"));
        if (!Files.isRegularFile(library)) {
            if ("true".equals(System.getenv("CI"))) {
                Assertions.fail("the DPDK shim was not built into " + library + " (src/main/c/build-dpdk-shim)");
            }
            System.err.println("SKIPPED: no DPDK shim at " + library + " (no DPDK development files when the build ran)");
            Assumptions.abort("no DPDK shim at " + library);
        }
        return library;
    }

    public static synchronized Eal get() throws Exception {
        if (eal == null) {
            DpdkShim shim = shim();
            cpusBefore = cpusOfEveryThread();
            eal = Eal.start(shim, ARGUMENTS);
        }
        return eal;
    }

    /** Port 0, set up with {@link #SHARED} once for the whole JVM. */
    static synchronized DpdkPort sharedPort() throws Exception {
        if (shared == null) {
            shared = DpdkPort.open(get(), 0, SHARED);
        }
        return shared;
    }

    /**
     * Two new ring ports joined back to back ({@code src/test/c/ring_pair.c}), {@code queues}
     * each way: what one sends on queue q, the other receives on queue q.
     *
     * @return the two DPDK port ids
     */
    public static synchronized int[] ringPair(String name, int queues) throws Exception {
        get();
        Path library = Path.of(System.getProperty("pspgw.test.ring-pair", "target/native-test/libpspgw_ring_pair.so"));
        if (!Files.isRegularFile(library)) {
            Assertions.fail("the ring pair helper was not built into " + library + " though the shim was (src/test/c/build-ring-pair)");
        }
        Linker linker = Linker.nativeLinker();
        SymbolLookup helper = SymbolLookup.libraryLookup(library, Arena.global());
        MethodHandle pair = linker.downcallHandle(helper.find("pspgw_test_ring_pair").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT, ADDRESS, ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(JAVA_SHORT);
            MemorySegment b = arena.allocate(JAVA_SHORT);
            int rc;
            try {
                rc = (int) pair.invokeExact(arena.allocateFrom(name), (short) queues, a, b);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
            Assertions.assertEquals(0, rc, "rte_eth_from_rings for " + name);
            return new int[] {a.get(JAVA_SHORT, 0), b.get(JAVA_SHORT, 0)};
        }
    }

    /** Each thread's CPUs just before the EAL started, by thread id. */
    static synchronized Map<Long, String> cpusBeforeTheEal() {
        return cpusBefore;
    }

    /** Every thread of this process (by Linux thread id) and the CPUs it may run on ("0-1"). */
    static Map<Long, String> cpusOfEveryThread() {
        Map<Long, String> cpus = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    cpus.put(Long.parseLong(task.getFileName().toString()), cpusOf(task));
                } catch (UncheckedIOException gone) {
                    // the thread ended while we listed
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return cpus;
    }

    /** The CPUs of the task at {@code task} (/proc/self/task/TID). */
    static String cpusOf(Path task) {
        try {
            return Files.readAllLines(task.resolve("status")).stream().filter(l -> l.startsWith("Cpus_allowed_list:"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElseThrow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The name of the task at /proc/self/task/{@code tid}. */
    static String nameOf(long tid) {
        try {
            return Files.readString(Path.of("/proc/self/task/" + tid + "/comm")).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
