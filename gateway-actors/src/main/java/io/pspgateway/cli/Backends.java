package io.pspgateway.cli;

import io.pspgateway.dataplane.Backend;
import io.pspgateway.config.HostPort;
import io.pspgateway.dataplane.doca.DocaBackend;
import io.pspgateway.dataplane.doca.DocaDevice;
import io.pspgateway.dataplane.doca.DocaFlowNative;
import io.pspgateway.dataplane.doca.DocaUnavailableException;
import io.pspgateway.dataplane.doca.dpdk.DpdkException;
import io.pspgateway.dataplane.soft.SoftBackend;
import io.pspgateway.dataplane.soft.SoftDataplaneSettings;
import io.pspgateway.psp.IpText;
import io.pspgateway.psp.PspHeader;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the data plane {@code --backend} names, with its ports: the one place a backend plugs in.
 * The backend owns its ports from then on and closes them when it is closed.
 */
final class Backends {
    private static final Logger log = LoggerFactory.getLogger(Backends.class);
    /** Without -m/--core-mask: the EAL's main lcore (the one thread it pins) on core 0. */
    private static final String DEFAULT_CORE_MASK = "0x1";

    private Backends() {
    }

    /** A backend named on the command line that this build cannot run. */
    static final class UnavailableBackendException extends Exception {
        UnavailableBackendException(String message) {
            super(message);
        }
    }

    static Backend open(GatewayOptions.BackendKind kind, DataplaneConfig config) throws IOException, UnavailableBackendException {
        return switch (kind) {
            case soft -> openSoft(config);
            case doca -> openDoca(config);
        };
    }

    /**
     * The uplink address with {@code --backend doca}: the address of the outer family the device
     * at {@code -p} carries, as the original takes it (BACKEND-NOTES 2.1 step 6). A
     * {@code --uplink-ip} that is not that address is refused, as is a {@code --udp-port} other
     * than PSP's: the NIC's pipes and encap headers use 1000.
     *
     * @throws UnavailableBackendException when DOCA is absent or another release, -p is missing or names no device, or the flags disagree with it
     */
    static InetAddress docaUplink(GatewayOptions o, Path libDir) throws UnavailableBackendException {
        try (DocaFlowNative doca = DocaFlowNative.load(libDir)) {
            if (o.pciAddr == null) {
                throw new UnavailableBackendException("--backend doca needs -p/--pci-addr, the PCI address of the PF (`lspci -D | grep -i mellanox`)");
            }
            if (o.udpPort != PspHeader.UDP_PORT) {
                throw new UnavailableBackendException("--udp-port " + o.udpPort + " does not apply with --backend doca: the NIC sends and "
                        + "matches PSP on UDP port " + PspHeader.UDP_PORT + "; drop --udp-port");
            }
            try (DocaDevice device = DocaDevice.open(doca, o.pciAddr)) {
                InetAddress address = device.address(o.outerIpType == GatewayOptions.IpType.ipv6);
                if (o.uplinkIp != null && !HostPort.ip(o.uplinkIp).equals(address)) {
                    throw new UnavailableBackendException("--uplink-ip " + o.uplinkIp + " is not the address of the device at " + o.pciAddr
                            + " (" + IpText.of(address) + "): with --backend doca the uplink is the device's; drop --uplink-ip or give that");
                }
                return address;
            }
        } catch (DocaUnavailableException e) {
            throw new UnavailableBackendException(e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new UnavailableBackendException("--uplink-ip: " + e.getMessage());
        }
    }

    /**
     * Starts the doca backend (DocaBackend): DOCA 3.0 from {@code pspgw.doca.lib-dir}, DPDK through
     * the shim, the device at -p. Whatever is missing or refused (DOCA, the shim, the device,
     * hugepages, a malformed MAC) ends in one line saying what and where, and exit status 2.
     */
    private static Backend openDoca(DataplaneConfig config) throws UnavailableBackendException {
        DataplaneConfig.DocaFlags doca = config.doca();
        String pci = doca.pciAddress().orElseThrow(() -> new UnavailableBackendException("--backend doca needs -p/--pci-addr"));
        List<String> eal = doca.ealArguments().isEmpty() ? DocaBackend.ealArguments(doca.coreMask().orElse(DEFAULT_CORE_MASK))
                : doca.ealArguments();
        try {
            return DocaBackend.open(new DocaBackend.Settings(doca.libDir(), doca.dpdkShim(), eal, pci, doca.representors().orElse("[0]"),
                    doca.dpdkPort(), doca.queues(), config.queues().missQueue(), doca.pollIdle(), config.mode(), config.keySlots(),
                    config.ingressAcl(), config.sampleLog2(), doca.maintainOrder(), config.cookie(), config.innerIpVersion(),
                    mac("--decap-dmac", doca.decapDmac()), mac("-n/--nexthop-dmac", doca.nexthopDmac())));
        } catch (DocaUnavailableException e) {
            throw new UnavailableBackendException(e.getMessage());
        } catch (DpdkException e) {
            throw new UnavailableBackendException("--backend doca: DPDK refused: " + e.getMessage()
                    + " (hugepages reserved and mounted? see docs/doca.md)");
        } catch (IllegalStateException e) {
            throw new UnavailableBackendException("--backend doca: " + e.getMessage());
        }
    }

    /** {@code text} as six bytes ("02:00:00:00:00:0a"), or empty when the flag was not given. */
    static Optional<byte[]> mac(String flag, Optional<String> text) throws UnavailableBackendException {
        if (text.isEmpty()) {
            return Optional.empty();
        }
        String[] parts = text.get().split("[:-]");
        byte[] mac = new byte[6];
        boolean ok = parts.length == 6;
        for (int i = 0; ok && i < 6; i++) {
            ok = parts[i].matches("[0-9a-fA-F]{1,2}");
            if (ok) {
                mac[i] = (byte) Integer.parseInt(parts[i], 16);
            }
        }
        if (!ok) {
            throw new UnavailableBackendException(flag + " " + text.get() + " is not a MAC address (six hex bytes, 02:00:00:00:00:0a)");
        }
        return Optional.of(mac);
    }

    private static Backend openSoft(DataplaneConfig config) throws IOException {
        reportIgnoredBySoft(config.doca());
        SoftDataplaneSettings settings = SoftDataplaneSettings.defaults().withKeySlots(config.keySlots())
                .withSampleLog2(config.sampleLog2()).withIngressAcl(config.ingressAcl()).withInnerIpVersion(config.innerIpVersion())
                .withQueues(config.queues().workers(), config.queues().batchSize(), config.queues().missQueue());
        return SoftBackend.open(settings, config.unsecuredPort(), config.psp(), config.queues().offloads());
    }

    private static void reportIgnoredBySoft(DataplaneConfig.DocaFlags doca) {
        List<String> ignored = new ArrayList<>();
        doca.pciAddress().ifPresent(v -> ignored.add("-p/--pci-addr"));
        doca.representors().ifPresent(v -> ignored.add("-r/--repr"));
        doca.coreMask().ifPresent(v -> ignored.add("-m/--core-mask"));
        doca.decapDmac().ifPresent(v -> ignored.add("--decap-dmac (the TUN device is L3)"));
        doca.nexthopDmac().ifPresent(v -> ignored.add("-n/--nexthop-dmac (the kernel routes the UDP socket's packets)"));
        if (doca.maintainOrder()) {
            ignored.add("--maintain-order (the soft pipeline keeps order anyway)");
        }
        if (!ignored.isEmpty()) {
            log.warn("ignored by the soft backend (they configure DOCA hardware): {}", String.join(", ", ignored));
        }
    }
}
