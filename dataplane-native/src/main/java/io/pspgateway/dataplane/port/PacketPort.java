package io.pspgateway.dataplane.port;

import io.pspgateway.psp.PacketBuffer;
import java.io.IOException;

/**
 * One side of the data plane: the plain side carries inner IP packets to and from local
 * workloads (a TUN device), the secure side carries PSP packets to and from peers (a UDP socket).
 * Both speak whole IP packets: a secure port that sits on a UDP socket synthesises the outer IP
 * and UDP headers on receive and strips them on send, so the codec sees one format everywhere.
 *
 * <p>A port is used by one receiving thread at a time; {@link #send} may be called from several
 * threads (a packet worker and the re-injection path).
 */
public interface PacketPort extends AutoCloseable {

    /**
     * Waits up to {@code timeoutNanos} for packets and fills {@code batch[0..n)}, returning n
     * (0 when the time ran out). Each filled buffer starts at least
     * {@link PacketBuffer#DEFAULT_HEADROOM} bytes into its array, so the packet can grow in place.
     *
     * @throws IOException when the port is broken or closed
     */
    int receive(PacketBuffer[] batch, long timeoutNanos) throws IOException;

    /**
     * Sends {@code packets[0..count)} in order without blocking for long; returns how many the
     * port took. The rest were not sent: the caller counts them as dropped. The bytes are copied
     * or written out before this returns, so the buffers may be reused at once.
     *
     * @throws IOException when the port is broken or closed
     */
    int send(PacketBuffer[] packets, int count) throws IOException;

    /**
     * Packets the port itself dropped on receive (too big for a buffer, truncated by the kernel)
     * since it opened; the data plane reports them as {@code PORT_RECEIVE_DROPS}.
     */
    default long receiveDrops() {
        return 0;
    }

    /**
     * Packets this port took from {@link #send} but refused to put on the wire because they were
     * larger than the path allows; the data plane reports them as {@code EGRESS_TOO_BIG}.
     */
    default long sendDrops() {
        return 0;
    }

    /** What this port's offloads did; {@link OffloadCounters#NONE} for a port without any. */
    default OffloadCounters offloadCounters() {
        return OffloadCounters.NONE;
    }

    /** The offloads in effect, for the start-up log ("none" for a port without any). */
    default String offloads() {
        return "none";
    }

    /** A name for logs and errors ("tun psp0", "udp [::]:1000", "memory a"). */
    String name();

    /** Releases the port; a blocked {@link #receive} returns or throws promptly. */
    @Override
    void close();
}
