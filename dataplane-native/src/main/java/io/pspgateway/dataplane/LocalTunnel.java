package io.pspgateway.dataplane;

import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import java.net.InetAddress;

/**
 * Sets up one direction of a tunnel between two data planes in the same process, doing by hand
 * what two control planes do over gRPC: the receiver mints an SPI and key and opens its ingress
 * ACL; the sender programs a key slot and adds the encrypt entry. For demos, benchmarks and
 * tests that run data planes without a control plane.
 */
public final class LocalTunnel {
    private LocalTunnel() {
    }

    /** One end: its data plane, physical (outer) address and VIP. */
    public record End(DataplaneOps dataplane, InetAddress physical, InetAddress vip) {
    }

    /**
     * Connects {@code sender} to {@code receiver} with key slot {@code cryptoId} of the sender.
     * The crypt offset leaves the inner IP header in the clear in tunnel mode (5 words for IPv4,
     * 10 for IPv6, the original gateway's defaults) and is 0 in transport mode. Returns the SPI.
     */
    public static int connect(End sender, End receiver, int cryptoId, PspMode mode, PspVersion version) {
        SpiKey minted = receiver.dataplane().mintSpiKeys(1, version).getFirst();
        try {
            receiver.dataplane().addIngressAcl(minted.spi(), sender.vip(), receiver.vip());
            sender.dataplane().programKeySlot(cryptoId, version, minted.key());
        } finally {
            minted.destroy();
        }
        int offset = mode == PspMode.TRANSPORT ? 0 : sender.vip().getAddress().length == 16 ? 10 : 5;
        sender.dataplane().addEncryptEntry(new EncryptEntry(sender.vip(), receiver.vip(), cryptoId, minted.spi(), version,
                mode, offset, null, sender.physical(), receiver.physical(), null));
        return minted.spi();
    }
}
