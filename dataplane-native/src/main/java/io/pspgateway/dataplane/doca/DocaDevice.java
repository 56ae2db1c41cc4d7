package io.pspgateway.dataplane.doca;

import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_DEVINFO_CREATE_LIST;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_DEVINFO_DESTROY_LIST;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_DEVINFO_GET_IPV4_ADDR;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_DEVINFO_GET_IPV6_ADDR;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_DEVINFO_IS_EQUAL_PCI_ADDR;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_DEV_AS_DEVINFO;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_DEV_CLOSE;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_DEV_OPEN;
import static io.pspgateway.dataplane.doca.DocaSymbol.DOCA_DPDK_PORT_PROBE;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * The PF's {@code doca_dev}, opened by PCI address as the original does (BACKEND-NOTES 2.1 step
 * 4: the device list, the entry whose address matches, open, the list destroyed) and closed by
 * {@link #close()}, after DOCA Flow has stopped. It also gives the address the device carries,
 * which is the gateway's uplink address with {@code --backend doca} (step 6).
 */
public final class DocaDevice implements AutoCloseable {
    /** {@code BB:DD.F} or {@code DDDD:BB:DD.F}, hexadecimal: what {@code -p/--pci-addr} takes. */
    private static final Pattern PCI_ADDRESS = Pattern.compile("([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]");

    /** The original's mlx5 device arguments: hardware steering, extended metadata, no default FDB rule, per-vport matching. */
    static final String PORT_DEVARGS = "dv_flow_en=2,dv_xmeta_en=4,fdb_def_rule_en=0,vport_match=1,repr_matching_en=0,representor=";

    private final DocaFlowNative doca;
    private final String pciAddress;
    private final MemorySegment device;
    private boolean closed;

    private DocaDevice(DocaFlowNative doca, String pciAddress, MemorySegment device) {
        this.doca = doca;
        this.pciAddress = pciAddress;
        this.device = device;
    }

    /** Whether {@code text} is a PCI address as {@code -p/--pci-addr} takes it. */
    public static boolean isPciAddress(String text) {
        return PCI_ADDRESS.matcher(text).matches();
    }

    /**
     * Opens the device at {@code pciAddress}.
     *
     * @throws DocaUnavailableException when the address is malformed, no DOCA device has it, or DOCA refuses to open it
     */
    public static DocaDevice open(DocaFlowNative doca, String pciAddress) throws DocaUnavailableException {
        if (!isPciAddress(pciAddress)) {
            throw new DocaUnavailableException("--backend doca: -p/--pci-addr " + pciAddress + " is not a PCI address (BB:DD.F or DDDD:BB:DD.F)");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment listHolder = arena.allocate(ADDRESS);
            MemorySegment count = arena.allocate(JAVA_INT);
            doca.call(DOCA_DEVINFO_CREATE_LIST, listHolder, count);
            MemorySegment list = listHolder.get(ADDRESS, 0);
            try {
                int devices = count.get(JAVA_INT, 0);
                MemorySegment infos = list.reinterpret(ADDRESS.byteSize() * devices);
                MemorySegment address = arena.allocateFrom(pciAddress);
                MemorySegment equal = arena.allocate(JAVA_BYTE);
                for (int i = 0; i < devices; i++) {
                    MemorySegment info = infos.getAtIndex(ADDRESS, i);
                    doca.call(DOCA_DEVINFO_IS_EQUAL_PCI_ADDR, info, address, equal);
                    if (equal.get(JAVA_BYTE, 0) != 0) {
                        MemorySegment deviceHolder = arena.allocate(ADDRESS);
                        doca.call(DOCA_DEV_OPEN, info, deviceHolder);
                        return new DocaDevice(doca, pciAddress, deviceHolder.get(ADDRESS, 0));
                    }
                }
                throw new DocaUnavailableException("--backend doca: no DOCA device at PCI address " + pciAddress + " (-p/--pci-addr) among the "
                        + devices + " found: `lspci -D | grep -i mellanox` lists the candidates");
            } finally {
                doca.call(DOCA_DEVINFO_DESTROY_LIST, list);
            }
        } catch (DocaCallException e) {
            throw new DocaUnavailableException("--backend doca: the device at " + pciAddress + " does not open: " + e.getMessage());
        }
    }

    public String pciAddress() {
        return pciAddress;
    }

    /** The {@code doca_dev}: DOCA Flow's PF port is started on it. */
    MemorySegment handle() {
        return device;
    }

    /**
     * Makes the device a DPDK port, with the VF representors {@code representors} ("[0]"), as
     * the original does (BACKEND-NOTES 2.1 step 5): the PF becomes the first port DPDK has, its
     * representors the next ones.
     *
     * @throws DocaUnavailableException when DOCA refuses (no hugepages, the device not in switchdev mode)
     */
    public void probeDpdkPort(String representors) throws DocaUnavailableException {
        String devargs = PORT_DEVARGS + representors;
        try (Arena arena = Arena.ofConfined()) {
            doca.call(DOCA_DPDK_PORT_PROBE, device, arena.allocateFrom(devargs));
        } catch (DocaCallException e) {
            throw new DocaUnavailableException("--backend doca: the device at " + pciAddress + " does not probe into DPDK with \""
                    + devargs + "\": " + e.getMessage() + " (hugepages reserved? the PF in switchdev mode?)");
        }
    }

    /**
     * The device's own address of the outer family: the uplink address peers send PSP to.
     *
     * @throws DocaUnavailableException when the device has no address of that family
     */
    public InetAddress address(boolean ipv6) throws DocaUnavailableException {
        int size = ipv6 ? 16 : 4;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = devinfo();
            MemorySegment bytes = arena.allocate(size);
            doca.call(ipv6 ? DOCA_DEVINFO_GET_IPV6_ADDR : DOCA_DEVINFO_GET_IPV4_ADDR, info, bytes, size);
            return InetAddress.getByAddress(bytes.toArray(JAVA_BYTE));
        } catch (DocaCallException e) {
            throw new DocaUnavailableException("--backend doca: the device at " + pciAddress + " has no IPv" + (ipv6 ? 6 : 4)
                    + " address for the outer header (--outer-ip-type): " + e.getMessage());
        } catch (UnknownHostException e) {
            throw new IllegalStateException("an address of " + size + " bytes", e);
        }
    }

    private MemorySegment devinfo() {
        try {
            return (MemorySegment) doca.handle(DOCA_DEV_AS_DEVINFO).invokeExact(device);
        } catch (Throwable t) {
            throw new IllegalStateException("doca_dev_as_devinfo threw", t);
        }
    }

    /** Closes the device; DOCA Flow's ports on it must be stopped first. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            doca.call(DOCA_DEV_CLOSE, device);
        }
    }
}
