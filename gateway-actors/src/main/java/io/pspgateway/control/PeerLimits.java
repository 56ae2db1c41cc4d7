package io.pspgateway.control;

import com.typesafe.config.Config;

/**
 * What one peer may take of this gateway ({@code pspgw.peer-limits}), so that no peer, hostile or
 * broken, can starve the others: its request rate, the ingress grants it holds (SPIs with open
 * ACLs), and the crypto slots its reverse_params make us program; and a bound on all ingress ACLs
 * together. The last three default to {@code auto}, derived by {@link #resolve} from
 * {@code --max-tunnels} and the heap, so that a legitimate burst (every slot used at once, every
 * tunnel re-keyed once) passes untouched.
 *
 * @param requestsPerSecond   requests a peer may make a second, sustained
 * @param burst               requests a peer may make at once
 * @param grantsPerPeer       live ingress grants one peer may hold ({@link #AUTO} until resolved)
 * @param reverseSlotsPerPeer crypto slots the tunnels one peer handed us as reverse_params may hold ({@link #AUTO} until resolved)
 * @param ingressAcls         ingress ACL entries in all, for every peer and our own set-ups ({@link #AUTO} until resolved)
 */
public record PeerLimits(int requestsPerSecond, int burst, int grantsPerPeer, int reverseSlotsPerPeer, int ingressAcls) {

    /** Which limit refused a peer, and what is counted for it. */
    public enum Limit {
        /** Requests past the rate: one per request. */
        REQUEST_RATE,
        /** Requests carrying more than {@code max-tunnels-per-request} tunnels: one per request. */
        TUNNELS_PER_REQUEST,
        /** Requests that would take the peer past {@code grants-per-peer}: one per request. */
        GRANTS,
        /** Requests that would take all ingress ACLs past {@code ingress-acls}: one per request. */
        INGRESS_ACLS,
        /** Reverse parameters not adopted, the peer's share of our slots being full: one per tunnel. */
        REVERSE_SLOTS
    }

    /** A limit still to be derived by {@link #resolve}. */
    public static final int AUTO = 0;

    /**
     * What an ingress ACL costs, generously: the control plane and data plane together hold about
     * 0.95 KB per tunnel and gateway (docs/benchmarks/README.md), an ACL being a part of that.
     */
    static final long BYTES_PER_ACL = 1024;

    /** Reads {@code pspgw.peer-limits} from {@code pspgw}. */
    static PeerLimits from(Config pspgw) {
        Config c = pspgw.getConfig("peer-limits");
        return new PeerLimits(positive(c, "requests-per-second"), positive(c, "burst"), autoOrPositive(c, "grants-per-peer"),
                autoOrPositive(c, "reverse-slots-per-peer"), autoOrPositive(c, "ingress-acls"));
    }

    /**
     * These limits with every {@code auto} one derived for a gateway of {@code keySlots} crypto
     * slots ({@code --max-tunnels}) on a heap of at most {@code maxHeapBytes}:
     * <ul>
     *   <li>grants per peer: twice the slots. A peer like us holds at most one tunnel per slot to
     *       us, and for a while two grants per tunnel when it re-keys.</li>
     *   <li>reverse slots per peer: seven eighths of the slots. The last eighth stays for our own
     *       hosts' traffic and other peers; a direction not adopted is set up by us when our hosts
     *       send, so a legitimate peer loses nothing.</li>
     *   <li>ingress ACLs: what an eighth of the heap holds, and at least twice the slots (every
     *       tunnel re-keyed once).</li>
     * </ul>
     */
    public PeerLimits resolve(int keySlots, long maxHeapBytes) {
        int grants = grantsPerPeer != AUTO ? grantsPerPeer : saturated(2L * keySlots);
        int reverse = reverseSlotsPerPeer != AUTO ? reverseSlotsPerPeer : Math.max(1, keySlots - keySlots / 8);
        int acls = ingressAcls != AUTO ? ingressAcls : saturated(Math.max(2L * keySlots, maxHeapBytes / 8 / BYTES_PER_ACL));
        return new PeerLimits(requestsPerSecond, burst, grants, reverse, acls);
    }

    private static int saturated(long n) {
        return (int) Math.min(Integer.MAX_VALUE, n);
    }

    private static int positive(Config c, String path) {
        int v = c.getInt(path);
        if (v < 1) {
            throw new IllegalArgumentException("pspgw setting peer-limits." + path + " must be at least 1, got " + v);
        }
        return v;
    }

    private static int autoOrPositive(Config c, String path) {
        if (c.getValue(path).unwrapped() instanceof String s && s.equals("auto")) {
            return AUTO;
        }
        try {
            return positive(c, path);
        } catch (com.typesafe.config.ConfigException.WrongType e) {
            throw new IllegalArgumentException("pspgw setting peer-limits." + path + " must be auto or a number, got "
                    + c.getValue(path).render());
        }
    }
}
