package io.pspgateway.control;

/**
 * Places inside the control-plane actors where a chaos test can make them throw, as a bug would,
 * to check that supervision brings back a consistent state. The product runs with {@link #NONE}.
 */
@FunctionalInterface
public interface CrashPoints {
    /** Where an actor can be made to crash. */
    enum Point {
        /** A Session just granted its crypto slot, before it installs anything. */
        SESSION_SLOT_GRANTED,
        /** A Peer got a gRPC answer (or failure), before it hands parameters to its sessions. */
        PEER_ANSWERED,
        /** The MissHandler got a batch of misses, before it holds any of them. */
        MISS_HANDLER_MISSED,
        /** The CryptoSlotPool is asked for a slot, before it grants one. */
        SLOT_POOL_ALLOCATE
    }

    /** Called at {@code point}; throws to crash the calling actor there. */
    void reach(Point point);

    CrashPoints NONE = point -> { };
}
