package io.pspgateway.chaos;

import io.pspgateway.control.GatewayStats;
import io.pspgateway.control.IngressGrants;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.HoldReason;
import io.pspgateway.control.LocalCluster;
import io.pspgateway.psp.IpText;
import java.util.ArrayList;
import java.util.List;

/**
 * The invariants that must hold on every gateway once a scenario has quiesced, whatever faults it
 * injected:
 * <ul>
 *   <li>nothing in flight: every packet the host sent has been read by the data plane, and every
 *       miss the data plane queued has been taken by the slow path (without this, a check made
 *       before the slow path sees a burst would find 0 held = 0 re-injected + 0 dropped);</li>
 *   <li>conservation: every packet the slow path held was re-injected or counted as dropped;</li>
 *   <li>no leaks: crypto slots held by sessions = slots holding a key in the data plane = encrypt
 *       entries = established sessions (no slot without its session, no key left in a freed slot,
 *       no entry without its session, no session without its entry);</li>
 *   <li>no ingress ACL without an owner: every ACL of the data plane is a live grant of
 *       {@code IngressGrants}, which closes it when its peer leaves, its master key is retired or
 *       the session that minted it revokes it.</li>
 * </ul>
 */
public final class InvariantChecker {
    private InvariantChecker() {
    }

    /** What is violated now on any of {@code members} (empty when all holds). */
    public static List<String> violations(List<LocalCluster.Member> members) throws Exception {
        List<String> out = new ArrayList<>();
        for (LocalCluster.Member m : members) {
            GatewayStats s = m.node().stats();
            if (m.host() != null && m.host().sentPending() > 0) {
                out.add(m.name() + ": " + m.host().sentPending() + " packets from the host not read by the data plane yet");
            }
            long queued = m.dataplane().counters().held(HoldReason.MISS);
            if (queued != s.held()) {
                out.add(m.name() + ": the data plane queued " + queued + " misses, the slow path took " + s.held());
            }
            if (s.held() != s.delivered() + s.droppedTotal()) {
                out.add(m.name() + ": held " + s.held() + " != re-injected " + s.delivered() + " + dropped " + s.droppedTotal());
            }
            int poolSlots = m.node().slotsInUse();
            int keys = m.inspection().keySlotsInUse();
            int entries = m.inspection().encryptEntryCount();
            int sessions = m.node().tunnelsUp();
            if (poolSlots != keys || keys != entries || entries != sessions) {
                out.add(m.name() + ": slots held " + poolSlots + ", keys in slots " + keys + ", encrypt entries " + entries
                        + ", sessions up " + sessions + " (must all be equal)");
            }
            int acls = m.inspection().ingressAclCount();
            int owned = m.node().ingressGrants();
            if (acls != owned) {
                out.add(m.name() + ": " + acls + " ingress ACLs in the data plane, " + owned + " owned (live grants)");
            }
        }
        return out;
    }

    /**
     * The strict form of "no ingress ACL for an SPI nobody holds", on {@code members}: every ACL
     * must be for the SPI its sender's encrypt entry uses now. It holds once every pair has carried
     * traffic for longer than {@code pspgw.grant-idle-close} (grants a sender abandoned are closed
     * by usage; without traffic, only when their key is retired).
     */
    public static List<String> aclsHeldByNobody(List<LocalCluster.Member> members) throws Exception {
        List<String> out = new ArrayList<>();
        for (LocalCluster.Member m : members) {
            for (IngressGrants.Grant g : m.node().grants()) {
                LocalCluster.Member sender = members.get(LocalCluster.gatewayOfVip(IpText.of(g.source())));
                java.util.OptionalInt sending = sender.inspection().encryptEntrySpi(FlowKey.of(g.source(), g.destination()));
                if (sending.isEmpty() || sending.getAsInt() != g.spi()) {
                    out.add(m.name() + ": ACL for SPI " + Integer.toHexString(g.spi()) + " from " + IpText.of(g.source())
                            + " to " + IpText.of(g.destination()) + ", but " + sender.name() + " sends "
                            + (sending.isEmpty() ? "nothing" : "with SPI " + Integer.toHexString(sending.getAsInt())));
                }
            }
        }
        return out;
    }

    /** Waits up to {@code millis} for every invariant to hold on every gateway of {@code cluster}. */
    public static List<String> await(LocalCluster cluster, long millis) throws Exception {
        return await(cluster.members(), millis);
    }

    /** Waits up to {@code millis} for every invariant to hold on {@code members}; returns what is still violated then. */
    public static List<String> await(List<LocalCluster.Member> members, long millis) throws Exception {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        List<String> v = violations(members);
        while (!v.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            v = violations(members);
        }
        return v;
    }
}
