package io.pspgateway.dataplane.doca.dpdk;

import static java.lang.foreign.ValueLayout.ADDRESS;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DPDK's environment (EAL), initialised once per process: a second {@code rte_eal_init} fails, so
 * {@link #start} hands back the running EAL to a caller asking for the same arguments and refuses
 * other arguments, and a failed start stays failed.
 *
 * <p>{@code rte_eal_init} pins the thread that calls it to the main lcore's CPU, and every thread
 * that thread starts afterwards inherits the pin. So it runs on a platform thread of its own,
 * {@value #THREAD}, which then starts nothing and only waits: the JVM's threads, and every thread
 * they start, keep the process's CPUs. The pollers are ordinary (non-EAL) threads: DPDK's queues
 * and mempools serve them without lcore ids.
 */
public final class Eal {
    /** The name of the thread that initialised the EAL (and carries its CPU pin). */
    public static final String THREAD = "pspgw-eal";

    private static final Logger log = LoggerFactory.getLogger(Eal.class);
    private static Eal running;
    private static String failure;

    private final DpdkShim shim;
    private final List<String> arguments;
    /**
     * The EAL thread's executor, held for the life of the process: one no longer referenced is
     * shut down when collected ({@link Executors#newSingleThreadExecutor}), and its thread with it.
     */
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name(THREAD).daemon(true).unstarted(r));

    private Eal(DpdkShim shim, List<String> arguments) {
        this.shim = shim;
        this.arguments = List.copyOf(arguments);
    }

    /**
     * The EAL of this process, initialised with {@code arguments} (without the program name) on
     * the first call.
     *
     * @throws DpdkException when {@code rte_eal_init} fails (then every later call does too)
     * @throws IllegalStateException when the EAL runs with other arguments, or failed before
     */
    public static synchronized Eal start(DpdkShim shim, List<String> arguments) {
        if (running != null) {
            if (!running.arguments.equals(arguments)) {
                throw new IllegalStateException("DPDK's EAL already runs in this process with " + running.arguments
                        + " and cannot start again with " + arguments);
            }
            return running;
        }
        if (failure != null) {
            throw new IllegalStateException("DPDK's EAL failed to start in this process (" + failure + ") and cannot be started again");
        }
        Eal eal = new Eal(shim, arguments);
        int parsed = eal.initialise();
        if (parsed < 0) {
            DpdkException e = new DpdkException("rte_eal_init " + arguments, parsed);
            failure = e.getMessage();
            throw e;
        }
        log.info("DPDK EAL started with {} on thread {}; {} port(s)", arguments, THREAD, shim.portCount());
        running = eal;
        return eal;
    }

    /** Runs {@code rte_eal_init} on the EAL thread, which then stays parked holding the pin. */
    private int initialise() {
        try {
            return thread.submit(() -> {
                // argv stays alive for the process: the EAL may keep pointers into it
                Arena forever = Arena.global();
                List<String> argv = new ArrayList<>();
                argv.add("pspgw");
                argv.addAll(arguments);
                MemorySegment array = forever.allocate(ADDRESS, argv.size() + 1L);
                for (int i = 0; i < argv.size(); i++) {
                    array.setAtIndex(ADDRESS, i, forever.allocateFrom(argv.get(i)));
                }
                return shim.ealInit(argv.size(), array);
            }).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while DPDK's EAL started", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("rte_eal_init threw", e.getCause());
        }
        // the executor is never shut down: its one thread stays, parked, so the pin stays on it alone
    }

    /** The shim this EAL runs under. */
    DpdkShim shim() {
        return shim;
    }

    /** The arguments it started with. */
    public List<String> arguments() {
        return arguments;
    }

    /** Ethernet ports DPDK has probed. */
    public int portCount() {
        return shim.portCount();
    }
}
