package io.pspgateway.cli;

import com.typesafe.config.Config;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The data plane's part of a gateway's configuration, whichever backend opens it.
 *
 * @param keySlots       crypto slots, the most tunnels at once (-x/--max-tunnels)
 * @param sampleLog2     sample 1 in 2^N packets, 0 for none (--sample-rate)
 * @param ingressAcl     check the ingress ACL after decryption (off with -a/--disable-ingress-acl)
 * @param innerIpVersion the inner IP version tunnels carry (--inner-ip-type)
 * @param unsecuredPort  the port towards the workloads: the TUN device of the soft backend (-d/--vf-name)
 * @param psp            where PSP arrives: the uplink address and --udp-port
 * @param queues         packet threads and queue sizes (HOCON {@code pspgw.dataplane})
 * @param doca           the flags only the doca backend reads
 */
record DataplaneConfig(int keySlots, int sampleLog2, boolean ingressAcl, int innerIpVersion, String unsecuredPort,
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
     * The original's device flags, each empty when not given, and where DOCA's libraries are
     * (HOCON {@code pspgw.doca.lib-dir}).
     */
    record DocaFlags(Optional<String> pciAddress, Optional<String> representors, Optional<String> coreMask,
                     Optional<String> decapDmac, Optional<String> nexthopDmac, boolean maintainOrder, Path libDir) {
    }

    /** Where DOCA's libraries are looked for: HOCON {@code pspgw.doca.lib-dir}. */
    static Path docaLibDir(com.typesafe.config.Config config) {
        return Path.of(config.getString("pspgw.doca.lib-dir"));
    }
}
