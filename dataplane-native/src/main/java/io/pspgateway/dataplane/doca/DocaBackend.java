package io.pspgateway.dataplane.doca;

import io.pspgateway.dataplane.Backend;
import io.pspgateway.dataplane.DataplaneInspection;
import io.pspgateway.dataplane.DataplaneOps;
import io.pspgateway.dataplane.MissQueue;
import io.pspgateway.dataplane.doca.dpdk.DpdkException;
import io.pspgateway.dataplane.doca.dpdk.DpdkPort;
import io.pspgateway.dataplane.doca.dpdk.DpdkShim;
import io.pspgateway.dataplane.doca.dpdk.DpdkSlowPath;
import io.pspgateway.dataplane.doca.dpdk.Eal;
import io.pspgateway.psp.PspMode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The doca backend as a gateway runs it on a BlueField-3 or ConnectX-7: DOCA 3.0's libraries, DPDK's
 * EAL, the PF opened by PCI address and probed into DPDK, its DPDK port with the slow path's
 * queues, and DOCA Flow's pipeline on it. It starts them in the original's order (BACKEND-NOTES
 * 2.1-2.3) and {@link #close} releases them in the reverse one (2.16): the pollers, DOCA Flow
 * (its entries, keys, ports and pipes), the DPDK port, the device. The EAL stays for the rest of
 * the process: it cannot start twice in one.
 */
public final class DocaBackend implements Backend {
    private static final Logger log = LoggerFactory.getLogger(DocaBackend.class);
    /** mbuf data room, DPDK's default: 2048 bytes of packet after 128 of headroom. */
    private static final int DATA_ROOM = 2176;
    private static final int SLOT = 2048;
    private static final int DESCRIPTORS = 512;
    private static final int BURST = 64;

    /**
     * What the backend starts with.
     *
     * @param libDir         DOCA's libraries (HOCON {@code pspgw.doca.lib-dir})
     * @param dpdkShim       the DPDK shim built against DOCA's DPDK (HOCON {@code pspgw.doca.dpdk-shim})
     * @param ealArguments   DPDK's EAL arguments ({@link #ealArguments})
     * @param pciAddress     the PF (-p/--pci-addr)
     * @param representors   its VF representors as DPDK lists them (-r/--repr, default "[0]")
     * @param dpdkPort       the PF's DPDK port: 0, the first one probed, as the original
     * @param queues         receive queues and pollers, pipe queues and RSS queues (the original's 2)
     * @param missQueue      held packets the miss queue keeps
     * @param pollIdle       the longest a poller sleeps on an empty queue
     * @param mode           tunnel or transport
     * @param maxTunnels     crypto slots and tunnel pipe sizes (-x/--max-tunnels)
     * @param acl            the ingress ACL on (off with -a)
     * @param sampleRateLog2 sample 1 in 2^N packets, 0 for none
     * @param maintainOrder  --maintain-order
     * @param cookie         virtualization cookies (--cookie)
     * @param innerIpVersion the inner IP version tunnels carry
     * @param decapDmac      the destination MAC of decapsulated packets (--decap-dmac; tunnel mode needs it)
     * @param nexthopDmac    the destination MAC of encrypted packets when a tunnel names none (-n)
     */
    public record Settings(Path libDir, Path dpdkShim, List<String> ealArguments, String pciAddress, String representors, int dpdkPort,
                           int queues, int missQueue, Duration pollIdle, PspMode mode, int maxTunnels, boolean acl, int sampleRateLog2,
                           boolean maintainOrder, boolean cookie, int innerIpVersion, Optional<byte[]> decapDmac,
                           Optional<byte[]> nexthopDmac) {
        public Settings {
            ealArguments = List.copyOf(ealArguments);
        }
    }

    private final DocaFlowNative doca;
    private final DocaDevice device;
    private final DpdkPort port;
    private final DpdkSlowPath slowPath;
    private final DocaDataplane dataplane;
    private boolean closed;

    private DocaBackend(DocaFlowNative doca, DocaDevice device, DpdkPort port, DpdkSlowPath slowPath, DocaDataplane dataplane) {
        this.doca = doca;
        this.device = device;
        this.port = port;
        this.slowPath = slowPath;
        this.dataplane = dataplane;
    }

    /**
     * The EAL arguments of the original (BACKEND-NOTES 2.1 step 2): EAL probes no PCI device
     * itself ({@code -a 00:00.0}; DOCA probes the PF), runs its main lcore on {@code coreMask}
     * (only the thread that starts it is pinned: the pollers are the JVM's), and keeps its files
     * under a prefix of this process's own.
     */
    public static List<String> ealArguments(String coreMask) {
        return List.of("-a", "00:00.0", "-c", coreMask, "--file-prefix", "pspgw_" + ProcessHandle.current().pid());
    }

    /**
     * Starts everything, or nothing: what started before a failure is released again.
     *
     * @throws DocaUnavailableException when DOCA, the shim or the device is missing, or the device does not probe
     * @throws DpdkException when DPDK refuses the EAL or the port
     */
    public static DocaBackend open(Settings s) throws DocaUnavailableException {
        if (s.mode() == PspMode.TUNNEL && s.decapDmac().isEmpty()) {
            throw new DocaUnavailableException("--backend doca in tunnel mode needs --decap-dmac, the MAC decapsulated packets are "
                    + "sent to (the VF's)");
        }
        DocaFlowNative doca = DocaFlowNative.load(s.libDir());
        List<AutoCloseable> started = new ArrayList<>();
        started.add(doca);
        try {
            Eal eal = Eal.start(DpdkShim.load(s.dpdkShim()), s.ealArguments());
            DocaDevice device = DocaDevice.open(doca, s.pciAddress());
            started.add(device);
            device.probeDpdkPort(s.representors());
            DpdkPort port = DpdkPort.open(eal, s.dpdkPort(), new DpdkPort.Settings(s.queues(), s.queues() + 1, DESCRIPTORS,
                    (2 * s.queues() + 1) * DESCRIPTORS + BURST * (s.queues() + 1) - 1, DATA_ROOM, true));
            started.add(port);
            DpdkSlowPath slowPath = DpdkSlowPath.start(port, new MissQueue(s.missQueue()),
                    new DpdkSlowPath.Settings(s.queues(), BURST, SLOT, s.pollIdle(), s.innerIpVersion()));
            started.add(slowPath);
            byte[] pfMac = port.mac();
            DocaDataplane dataplane = DocaDataplane.open(doca, new DocaDataplane.Config(
                    new DocaFlow.Settings(s.maxTunnels(), s.queues(), device.handle()),
                    new DocaPipeline.Settings(s.mode(), s.maxTunnels(), s.queues(), s.acl(), s.sampleRateLog2(), s.maintainOrder(),
                            s.cookie(), pfMac, s.decapDmac().orElse(null)), s.nexthopDmac()), slowPath);
            log.info("doca backend started: DOCA {}, PF {} (DPDK port {}, {}, MAC {}), {} queue(s), {} tunnels", doca.runtimeVersion(),
                    device.pciAddress(), port.id(), port.driver(), HexFormat.ofDelimiter(":").formatHex(pfMac), s.queues(), s.maxTunnels());
            return new DocaBackend(doca, device, port, slowPath, dataplane);
        } catch (DocaUnavailableException | RuntimeException e) {
            for (AutoCloseable c : started.reversed()) {
                try {
                    c.close();
                } catch (Exception suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    @Override
    public DataplaneOps ops() {
        return dataplane;
    }

    @Override
    public DataplaneInspection inspection() {
        return dataplane;
    }

    @Override
    public String description() {
        return "doca backend, PF " + device.pciAddress() + " (DPDK port " + port.id() + ", " + port.driver() + ")";
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            slowPath.close();
            dataplane.close();
        } finally {
            port.close();
            device.close();
            doca.close();
        }
    }
}
