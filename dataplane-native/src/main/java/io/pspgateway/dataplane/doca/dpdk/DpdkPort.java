package io.pspgateway.dataplane.doca.dpdk;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One started DPDK Ethernet port with its receive and transmit queues and the mbuf pool they fill
 * from, as the slow path uses the PF (BACKEND-NOTES 2.1 step 7): flow-isolated where the driver
 * can isolate, the flow-metadata dynfield registered. {@link #close} stops the port, closes it
 * and frees the pool, in that order.
 *
 * <p>A DPDK queue is not thread safe: each queue must have one user at a time (one poller per
 * receive queue and its transmit twin, one re-injecting thread on a transmit queue of its own).
 */
public final class DpdkPort implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DpdkPort.class);
    /** What pspgw_port_setup's step argument names (see pspgw_dpdk.c). */
    private static final String[] STEPS = {"", "rte_eth_dev_info_get", "rte_flow_isolate", "rte_eth_dev_configure",
        "rte_eth_rx_queue_setup", "rte_eth_tx_queue_setup", "rte_eth_dev_start"};
    private static final int STEP_ISOLATE = 2;
    private static final int ENODEV = 19;
    private static final int ENOSYS = 38;
    private static final int ENOTSUP = 95;

    /**
     * How to set a port up.
     *
     * @param rxQueues receive queues (DOCA's RSS spreads misses over them)
     * @param txQueues transmit queues (one per poller and one for re-injection)
     * @param descriptors descriptors per queue (the driver may adjust them)
     * @param mbufs mbufs in the pool
     * @param dataRoom bytes per mbuf, DPDK's headroom included
     * @param isolate flow-isolated mode, as the original (only the flows DOCA installs reach the queues)
     */
    public record Settings(int rxQueues, int txQueues, int descriptors, int mbufs, int dataRoom, boolean isolate) {
        public Settings {
            if (rxQueues < 1 || txQueues < 1 || descriptors < 1 || mbufs < 1 || dataRoom < 256) {
                throw new IllegalArgumentException("a DPDK port needs at least one queue each way, descriptors, mbufs and 256-byte mbufs: "
                        + this);
            }
        }
    }

    private final DpdkShim shim;
    private final short port;
    private final Settings settings;
    private final MemorySegment pool;
    private final String driver;
    private final byte[] mac;
    private boolean closed;

    private DpdkPort(DpdkShim shim, short port, Settings settings, MemorySegment pool, String driver, byte[] mac) {
        this.shim = shim;
        this.port = port;
        this.settings = settings;
        this.pool = pool;
        this.driver = driver;
        this.mac = mac;
    }

    /**
     * Sets port {@code portId} of {@code eal} up and starts it. On a driver that cannot isolate
     * flows, the port runs without isolation (said in the log): every packet it receives then
     * reaches the pollers.
     *
     * @throws DpdkException naming the call that failed; nothing is left allocated then
     */
    public static DpdkPort open(Eal eal, int portId, Settings settings) {
        DpdkShim shim = eal.shim();
        if (portId < 0 || portId > 0xFFFF) {
            throw new IllegalArgumentException("a DPDK port number is 0 to 65535, not " + portId);
        }
        short port = (short) portId;
        int registered = shim.metadataRegister();
        if (registered < 0) {
            throw new DpdkException("rte_flow_dynf_metadata_register", registered);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(64);
            int rc = shim.portDriver(port, name, 64);
            // port ids are not dense (a closed port leaves a hole), so the driver is asked, not the count
            if (rc == -ENODEV) {
                throw new IllegalArgumentException("DPDK has no port " + portId + " (" + eal.portCount() + " available)");
            }
            if (rc < 0) {
                throw new DpdkException("rte_eth_dev_info_get of port " + port, rc);
            }
            String driver = name.getString(0);
            MemorySegment macBytes = arena.allocate(6);
            rc = shim.portMac(port, macBytes);
            if (rc < 0) {
                throw new DpdkException("rte_eth_macaddr_get of port " + port, rc);
            }
            MemorySegment created = arena.allocate(ADDRESS);
            rc = shim.poolCreate(arena.allocateFrom("pspgw_port" + port), settings.mbufs(), (short) settings.dataRoom(), created);
            if (rc < 0) {
                throw new DpdkException("rte_pktmbuf_pool_create of " + settings.mbufs() + " mbufs for port " + port, rc);
            }
            MemorySegment pool = created.get(ADDRESS, 0);
            try {
                setUp(shim, port, settings, pool, driver, arena.allocate(JAVA_INT));
            } catch (RuntimeException e) {
                shim.poolFree(pool);
                throw e;
            }
            log.info("DPDK port {} ({}) started: {} rx and {} tx queue(s) of {} descriptors, {} mbufs", port, driver,
                    settings.rxQueues(), settings.txQueues(), settings.descriptors(), settings.mbufs());
            return new DpdkPort(shim, port, settings, pool, driver, macBytes.toArray(JAVA_BYTE));
        }
    }

    private static void setUp(DpdkShim shim, short port, Settings s, MemorySegment pool, String driver, MemorySegment step) {
        int rc = shim.portSetup(port, (short) s.rxQueues(), (short) s.txQueues(), (short) s.descriptors(), pool, s.isolate() ? 1 : 0, step);
        if (rc < 0 && step.get(JAVA_INT, 0) == STEP_ISOLATE && (rc == -ENOSYS || rc == -ENOTSUP)) {
            log.warn("DPDK port {} ({}) cannot isolate flows ({}): it runs without isolation, and every packet it receives reaches "
                    + "the miss pollers", port, driver, DpdkException.describe(rc));
            rc = shim.portSetup(port, (short) s.rxQueues(), (short) s.txQueues(), (short) s.descriptors(), pool, 0, step);
        }
        if (rc < 0) {
            int failed = step.get(JAVA_INT, 0);
            String call = failed > 0 && failed < STEPS.length ? STEPS[failed] : "pspgw_port_setup";
            shim.portClose(port);
            throw new DpdkException(call + " of port " + port + " (" + driver + ")", rc);
        }
    }

    /** The port's number in DPDK. */
    public int id() {
        return port;
    }

    /** The driver DPDK bound it to ("mlx5_pci", "net_ring"). */
    public String driver() {
        return driver;
    }

    /** Its MAC address (the PF's: the source of ARP and neighbour answers). */
    public byte[] mac() {
        return mac.clone();
    }

    public Settings settings() {
        return settings;
    }

    /**
     * Receives up to {@code into.capacity()} packets waiting on receive queue {@code queue} into
     * {@code into}, without waiting; their mbufs are back in the pool when this returns.
     *
     * @return how many packets {@code into} now holds
     */
    public int receive(int queue, PacketBurst into) {
        // DPDK's burst functions do not check the queue: an unconfigured one is a crash
        checkQueue(queue, settings.rxQueues(), "receive");
        int n = shim.rxCopy(port, (short) queue, into.data, into.slot(), into.lengths, into.metas, (short) into.capacity());
        if (n < 0) {
            throw new DpdkException("rte_eth_rx_burst on port " + port + " queue " + queue, n);
        }
        return n;
    }

    /**
     * Sends the first {@code count} packets of {@code from} on transmit queue {@code queue}, in order.
     *
     * @return how many the driver took (the first ones); the rest were not sent
     * @throws DpdkException when the pool had too few mbufs for the burst (ENOBUFS): nothing was sent
     */
    public int send(int queue, PacketBurst from, int count) {
        checkQueue(queue, settings.txQueues(), "transmit");
        if (count < 0 || count > from.capacity()) {
            throw new IllegalArgumentException("cannot send " + count + " packets of a burst of " + from.capacity());
        }
        int n = shim.txCopy(port, (short) queue, pool, from.data, from.slot(), from.lengths, from.metas, (short) count);
        if (n < 0) {
            throw new DpdkException("rte_eth_tx_burst on port " + port + " queue " + queue, n);
        }
        return n;
    }

    private void checkQueue(int queue, int queues, String kind) {
        if (queue < 0 || queue >= queues) {
            throw new IllegalArgumentException("port " + port + " has " + queues + " " + kind + " queue(s), no queue " + queue);
        }
    }

    /** Mbufs in the pool now (all of them but those the driver's queues hold). */
    public int mbufsAvailable() {
        return shim.poolAvailable(pool);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        int stopped = shim.portStop(port);
        int closedRc = shim.portClose(port);
        shim.poolFree(pool);
        if (stopped < 0 || closedRc < 0) {
            log.warn("DPDK port {} did not stop cleanly: stop {}, close {}", port, stopped, closedRc);
        }
    }
}
