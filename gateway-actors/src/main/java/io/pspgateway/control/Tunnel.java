package io.pspgateway.control;

import io.pspgateway.dataplane.FlowKey;
import java.net.InetAddress;

/**
 * An established tunnel direction once its {@link Session} has set it up and stopped: all that
 * re-keying and releasing it need, owned by {@link Tunnels} (a few dozen bytes where a live actor
 * would take kilobytes).
 *
 * @param flow          the VIP pair, local to remote
 * @param cryptoId      its crypto slot (Tunnels holds it in the pool)
 * @param spi           the SPI its entry sends with
 * @param spiGeneration the peer's key generation known when that SPI was asked for; -1 when not known
 * @param peerPhysical  the peer's outer address
 * @param reverseGrant  the ACL of the reverse SPI the session minted for the peer, if any
 * @param reverseSent   whether those reverse parameters went out (the peer may send with them)
 */
record Tunnel(FlowKey flow, int cryptoId, int spi, long spiGeneration, InetAddress peerPhysical,
              IngressGrants.Grant reverseGrant, boolean reverseSent) {

    /** The same tunnel sending with {@code newSpi}, asked for when the peer's keys were at {@code generation}. */
    Tunnel rekeyed(int newSpi, long generation) {
        return new Tunnel(flow, cryptoId, newSpi, generation, peerPhysical, reverseGrant, reverseSent);
    }

    /**
     * Whether our SPI is of a key the peer at key generation {@code peerGeneration} no longer mints
     * under: its index (bit 31) is not the active one, or it was asked for two rotations ago or more
     * (the index has come round again). Such an SPI dies at the peer's next rotation.
     */
    boolean spiOfRetiringKey(long peerGeneration) {
        boolean otherKey = (spi >>> 31) != (int) (peerGeneration & 1);
        boolean twoRotationsOld = spiGeneration >= 0 && peerGeneration - spiGeneration >= 2;
        return otherKey || twoRotationsOld;
    }
}
