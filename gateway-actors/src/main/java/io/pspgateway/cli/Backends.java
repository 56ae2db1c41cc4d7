package io.pspgateway.cli;

import io.pspgateway.dataplane.Backend;
import io.pspgateway.dataplane.doca.DocaFlowNative;
import io.pspgateway.dataplane.doca.DocaUnavailableException;
import io.pspgateway.dataplane.soft.SoftBackend;
import io.pspgateway.dataplane.soft.SoftDataplaneSettings;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the data plane {@code --backend} names, with its ports: the one place a backend plugs in.
 * The backend owns its ports from then on and closes them when it is closed.
 */
final class Backends {
    private static final Logger log = LoggerFactory.getLogger(Backends.class);

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
     * Binds DOCA 3.0 from {@code pspgw.doca.lib-dir}. Where it is absent (or another release) the
     * operator gets one line saying what was not found where and what to install or set. Where it
     * is present this build still stops: its doca backend has the DOCA Flow control path
     * (DocaDataplane) but neither opens the device nor has the DPDK slow path (misses,
     * re-injection) yet, so it could not carry a packet.
     */
    private static Backend openDoca(DataplaneConfig config) throws UnavailableBackendException {
        try (DocaFlowNative doca = DocaFlowNative.load(config.doca().libDir())) {
            throw new UnavailableBackendException("--backend doca: DOCA " + doca.runtimeVersion() + " found in "
                    + config.doca().libDir() + ", but this build's doca backend cannot open the device and has no DPDK slow path yet; run --backend soft");
        } catch (DocaUnavailableException e) {
            throw new UnavailableBackendException(e.getMessage());
        }
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
