package io.pspgateway.cli;

import com.typesafe.config.Config;
import io.pspgateway.dataplane.doca.dpdk.DpdkShim;
import io.pspgateway.psp.PspMode;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The data plane's part of a gateway's configuration, whichever backend opens it.
 *
 * @param keySlots       crypto slots, the most tunnels at once (-x/--max-tunnels)
 * @param sampleLog2     sample 1 in 2^N packets, 0 for none (--sample-rate)
 * @param ingressAcl     check the ingress ACL after decryption (off with -a/--disable-ingress-acl)
 * @param innerIpVersion the inner IP version tunnels carry (--inner-ip-type)
 * @param mode           tunnel or transport (--mode)
 * @param cookie         virtualization cookies in every PSP header (--cookie)
 * @param unsecuredPort  the port towards the workloads: the TUN device of the soft backend (-d/--vf-name)
 * @param psp            where PSP arrives: the uplink address and --udp-port
 * @param queues         packet threads and queue sizes (HOCON {@code pspgw.dataplane})
 * @param doca           the flags only the doca backend reads
 */
record DataplaneConfig(int keySlots, int sampleLog2, boolean ingressAcl, int innerIpVersion, PspMode mode, boolean cookie, String unsecuredPort,
                       InetSocketAddress psp, Queues queues, DocaFlags doca) {

    /**
     * {@code pspgw.dataplane}: packet threads per direction, packets per port call, the slow
     * path's queue, and whether the soft backend's ports use the kernel's offloads (TUN TSO and
     * coalescing, UDP GSO and GRO).
     */
    record Queues(int workers, int batchSize, int missQueue, boolean offloads) {
        static Queues from(Config config) {
            Config c = config.getConfig("pspgw.dataplane");
            return new Queues(c.getInt("workers"), c.getInt("batch-size"), c.getInt("miss-queue"), c.getBoolean("offloads"));
        }
    }

    /**
     * The original's device flags, each empty when not given, and HOCON {@code pspgw.doca}: where
     * DOCA's libraries and the DPDK shim are, and how the slow path runs.
     */
    record DocaFlags(Optional<String> pciAddress, Optional<String> representors, Optional<String> coreMask,
                     Optional<String> decapDmac, Optional<String> nexthopDmac, boolean maintainOrder, Path libDir, Path dpdkShim,
                     List<String> ealArguments, int dpdkPort, int queues, Duration pollIdle) {
        static DocaFlags from(GatewayOptions o, Config config) {
            Config c = config.getConfig("pspgw.doca");
            String shim = c.getString("dpdk-shim");
            return new DocaFlags(Optional.ofNullable(o.pciAddr), Optional.ofNullable(o.repr), Optional.ofNullable(o.coreMask),
                    Optional.ofNullable(o.decapDmac), Optional.ofNullable(o.nexthopDmac), o.maintainOrder, docaLibDir(config),
                    shim.isEmpty() ? builtShim() : Path.of(shim), c.getStringList("eal-arguments"), c.getInt("dpdk-port"), c.getInt("queues"),
                    c.getDuration("poll-idle"));
        }
    }

    /** Where DOCA's libraries are looked for: HOCON {@code pspgw.doca.lib-dir}. */
    static Path docaLibDir(com.typesafe.config.Config config) {
        return Path.of(config.getString("pspgw.doca.lib-dir"));
    }

    /**
     * The shim this checkout's build made: dataplane-native/target/native beside the jar or
     * classes the gateway runs from (gateway-actors/target/pspgw.jar or a module's target/classes,
     * three levels below the checkout).
     */
    private static Path builtShim() {
        try {
            Path code = Path.of(DpdkShim.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path checkout = code.getParent().getParent().getParent();
            return checkout.resolve("dataplane-native/target/native/libpspgw_dpdk.so");
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return Path.of("dataplane-native/target/native/libpspgw_dpdk.so");
        }
    }
}
