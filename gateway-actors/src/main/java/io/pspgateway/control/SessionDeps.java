package io.pspgateway.control;

import io.pspgateway.dataplane.FlowKey;
import org.apache.pekko.actor.typed.ActorRef;

/** What every {@link Session} needs from the gateway, and how a tunnel direction is given back. */
record SessionDeps(ActorRef<PeerDirectory.Command> directory, ActorRef<CryptoSlotPool.Command> slots,
                   ActorRef<DataplaneActor.Command> dataplane, ActorRef<IngressGrants.Command> grants, GatewaySettings settings,
                   GatewayStats stats, ActorDecorator decorator) {

    /**
     * Gives back what a tunnel direction is made of: its entry and crypto slot ({@code cryptoId} -1
     * when it never got one) and the ACL of its reverse SPI — unless the peer may be sending with
     * it: the reverse parameters went out and the peer is still there (even if its answer never
     * reached us), in which case the grant stays until the peer leaves or the key is retired.
     */
    void release(FlowKey flow, int cryptoId, IngressGrants.Grant reverseGrant, boolean reverseSent, boolean peerGone) {
        if (cryptoId >= 0) {
            dataplane.tell(new DataplaneActor.Uninstall(flow, cryptoId));
            slots.tell(new CryptoSlotPool.Release(cryptoId));
        }
        if (reverseGrant != null && (!reverseSent || peerGone)) {
            grants.tell(new IngressGrants.Revoke(reverseGrant));
        }
    }
}
