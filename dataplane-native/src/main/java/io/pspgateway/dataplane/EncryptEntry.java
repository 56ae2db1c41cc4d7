package io.pspgateway.dataplane;

import io.pspgateway.psp.PspHeader;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * An egress ACL entry with its encrypt action (DOCA's egress pipe entry): packets from
 * {@code sourceVip} to {@code destinationVip} are sealed with the key in slot {@code cryptoId}
 * under {@code spi} and sent to the peer's physical address.
 *
 * @param sourceVip        inner source VIP (a local workload)
 * @param destinationVip   inner destination VIP (behind the peer)
 * @param cryptoId         the key slot holding the peer-minted key for {@code spi}
 * @param spi              the SPI the peer minted
 * @param version          the PSP version the key was derived for
 * @param mode             tunnel or transport
 * @param cryptOffsetWords crypt offset, 4-byte units
 * @param cookie           the virtualization cookie to send, or null for none
 * @param localOuter       our physical (outer source) address
 * @param peerOuter        the peer's physical (outer destination) address, of the same family
 * @param nextHopMac       next-hop MAC where the secure port is L2; null on L3 ports (TUN/UDP)
 */
public record EncryptEntry(InetAddress sourceVip, InetAddress destinationVip, int cryptoId, int spi, PspVersion version,
                           PspMode mode, int cryptOffsetWords, Long cookie, InetAddress localOuter,
                           InetAddress peerOuter, byte[] nextHopMac) {

    public EncryptEntry {
        Objects.requireNonNull(sourceVip, "sourceVip");
        Objects.requireNonNull(destinationVip, "destinationVip");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(localOuter, "localOuter");
        Objects.requireNonNull(peerOuter, "peerOuter");
        if ((sourceVip instanceof Inet4Address) != (destinationVip instanceof Inet4Address)) {
            throw new IllegalArgumentException("source and destination VIP must be of one IP family");
        }
        if ((localOuter instanceof Inet4Address) != (peerOuter instanceof Inet4Address)) {
            throw new IllegalArgumentException("local and peer outer addresses must be of one IP family");
        }
        if (cryptOffsetWords < 0 || cryptOffsetWords > PspHeader.MAX_CRYPT_OFFSET_WORDS) {
            throw new IllegalArgumentException("crypt offset must be 0.." + PspHeader.MAX_CRYPT_OFFSET_WORDS + " words");
        }
        if (nextHopMac != null && nextHopMac.length != 6) {
            throw new IllegalArgumentException("next-hop MAC must be 6 bytes");
        }
        nextHopMac = nextHopMac == null ? null : nextHopMac.clone();
    }

    /** The VIP pair this entry matches. */
    public FlowKey flow() {
        return FlowKey.of(sourceVip, destinationVip);
    }
}
