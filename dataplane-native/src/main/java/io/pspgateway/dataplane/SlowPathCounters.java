package io.pspgateway.dataplane;

/**
 * What a hardware backend's slow path did since start, beyond what it held and dropped (those are
 * in {@link DataplaneCounters#held} and {@link DataplaneCounters#drops}): the packets the NIC
 * sent to the CPU, the neighbour discovery answered there, and the held packets put back. The
 * soft backend has no such path ({@link #NONE}).
 *
 * @param received    packets taken from the NIC's queues to the CPU
 * @param arpAnswered ARP requests answered
 * @param ndAnswered  IPv6 neighbour solicitations answered
 * @param reinjected  held packets put back in front of the NIC's egress pipes
 */
public record SlowPathCounters(long received, long arpAnswered, long ndAnswered, long reinjected) {
    public static final SlowPathCounters NONE = new SlowPathCounters(0, 0, 0, 0);
}
