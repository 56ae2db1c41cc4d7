package io.pspgateway.chaos;

import io.pspgateway.control.CryptoSlotPool;
import io.pspgateway.control.MissHandler;
import io.pspgateway.control.Peer;
import io.pspgateway.control.Session;
import io.pspgateway.control.Tunnels;

/**
 * Where a chaos scenario makes a control-plane actor throw, as a bug would, to check that
 * supervision brings back a consistent state: on receipt of one of its messages, before the actor
 * acts on it (the batch of misses: part way through holding it). The message classes are looked
 * up by name when this enum loads, so renaming one fails every chaos test instead of silently
 * injecting nothing.
 */
public enum CrashPoint {
    /** A Session just got its crypto slots, before it installs anything. */
    SESSION_SLOT_GRANTED(Session.class, "SlotsGranted"),
    /** A Peer got a gRPC answer (or failure), before it hands parameters to its sessions. */
    PEER_ANSWERED(Peer.class, "Answered"),
    /** The MissHandler is holding a batch of misses: it throws at a random packet of the batch. */
    MISS_HANDLER_MISSED(MissHandler.class, "Missed"),
    /** Tunnels hears of a peer's key rotation, before it re-keys anything: a restart releases every tunnel. */
    TUNNELS_PEER_KEYS(Tunnels.class, "PeerKeys"),
    /** The CryptoSlotPool is asked for slots, before it grants any. */
    SLOT_POOL_ALLOCATE(CryptoSlotPool.class, "Allocate");

    final Class<?> actor;
    final Class<?> message;

    CrashPoint(Class<?> actor, String message) {
        this.actor = actor;
        try {
            this.message = Class.forName(actor.getName() + "$" + message, false, actor.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(actor.getSimpleName() + " has no message " + message + " to crash on", e);
        }
    }
}
