package io.pspgateway.dataplane;

/** Why a packet is in the miss queue (DOCA's RSS queue to the CPU). */
public enum HoldReason {
    /** Egress packet with no encrypt entry for its VIP pair: the control plane sets up a tunnel. */
    MISS,
    /** Copy of a received packet whose S bit was set (sample at receiver). */
    INGRESS_SAMPLE,
    /** Copy of a sent packet picked by egress sampling (1 in 2^N), sent with the S bit set. */
    EGRESS_SAMPLE
}
