package io.pspgateway.dataplane.doca;

import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Small numbers standing for IPv6 peer VIPs: a 128-bit address and a second one do not fit one
 * match, so the first pipe tags a packet with its peer's index and the next matches the index
 * (BACKEND-NOTES 2.8, 2.9). An index lives while any entry uses it and is then reused; with it
 * may live the EGR_ACL entry that tags packets to that peer, removed with the last user.
 * Single writer: the data plane's.
 */
final class PeerIndexes {
    private static final class Peer {
        final int index;
        int users;
        MemorySegment stage;

        Peer(int index) {
            this.index = index;
        }
    }

    private final Map<InetAddress, Peer> peers = new HashMap<>();
    private final TreeSet<Integer> free = new TreeSet<>();
    private int next = 1;

    /** The index of {@code vip}, counting one more user; a new VIP takes the smallest free index. */
    int acquire(InetAddress vip) {
        Peer peer = peers.computeIfAbsent(vip, v -> new Peer(free.isEmpty() ? next++ : free.pollFirst()));
        peer.users++;
        return peer.index;
    }

    /** One user fewer; when none is left, the index is freed and the peer's tagging entry, if any, returned for removal. */
    Optional<MemorySegment> release(InetAddress vip) {
        Peer peer = peers.get(vip);
        if (peer == null || --peer.users > 0) {
            return Optional.empty();
        }
        peers.remove(vip);
        free.add(peer.index);
        return Optional.ofNullable(peer.stage);
    }

    /** The EGR_ACL entry tagging packets to {@code vip}, once added. */
    Optional<MemorySegment> stage(InetAddress vip) {
        Peer peer = peers.get(vip);
        return peer == null ? Optional.empty() : Optional.ofNullable(peer.stage);
    }

    void stage(InetAddress vip, MemorySegment entry) {
        peers.get(vip).stage = entry;
    }

    int size() {
        return peers.size();
    }
}
