package io.pspgateway.dataplane.doca.dpdk;

import java.io.IOException;
import java.io.UncheckedIOException;
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
final class TestEal {
    static final List<String> ARGUMENTS = List.of("--no-huge", "-m", "64", "--no-pci", "--no-shconf", "-l", "0",
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
        Path library = Path.of(System.getProperty("pspgw.test.dpdk-shim", "target/native/libpspgw_dpdk.so"));
        if (!Files.isRegularFile(library)) {
            if ("true".equals(System.getenv("CI"))) {
                Assertions.fail("the DPDK shim was not built into " + library + " (src/main/c/build-dpdk-shim)");
            }
            System.err.println("SKIPPED: no DPDK shim at " + library + " (no DPDK development files when the build ran)");
            Assumptions.abort("no DPDK shim at " + library);
        }
        return DpdkShim.load(library);
    }

    static synchronized Eal get() throws Exception {
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
