package io.pspgateway.dataplane.port;

/**
 * What the ports' offloads did since they opened: the kernel's TCP super-packets split before
 * sealing and the segments coalesced again before delivery (TUN), the datagrams that left in one
 * UDP GSO send and arrived in one UDP GRO train (the PSP socket), and the times an offload was
 * found unusable and turned off. Every segment is also counted as a packet in the data plane's
 * own counters.
 *
 * @param superPacketsRead  TCP super-packets read from the TUN device (more than one segment each)
 * @param segmentsMade      packets those reads gave, single packets included
 * @param framesCoalesced   super-packets written to the TUN device
 * @param segmentsCoalesced the segments they carried
 * @param gsoSends          UDP sends that carried more than one datagram
 * @param gsoDatagrams      the datagrams they carried
 * @param groTrains         UDP receives that returned more than one datagram
 * @param groDatagrams      the datagrams they returned
 * @param fallbacks         offloads turned off after the kernel refused them (each logged)
 */
public record OffloadCounters(long superPacketsRead, long segmentsMade, long framesCoalesced, long segmentsCoalesced,
                              long gsoSends, long gsoDatagrams, long groTrains, long groDatagrams, long fallbacks) {
    public static final OffloadCounters NONE = new OffloadCounters(0, 0, 0, 0, 0, 0, 0, 0, 0);

    /** Both ports' counters together. */
    public OffloadCounters plus(OffloadCounters o) {
        return new OffloadCounters(superPacketsRead + o.superPacketsRead, segmentsMade + o.segmentsMade,
                framesCoalesced + o.framesCoalesced, segmentsCoalesced + o.segmentsCoalesced, gsoSends + o.gsoSends,
                gsoDatagrams + o.gsoDatagrams, groTrains + o.groTrains, groDatagrams + o.groDatagrams, fallbacks + o.fallbacks);
    }
}
