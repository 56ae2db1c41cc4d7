package io.pspgateway.dataplane;

import io.pspgateway.psp.OpenStatus;
import io.pspgateway.psp.SealStatus;

/**
 * Every reason the data plane drops a packet. Each drop is counted under exactly one reason;
 * nothing is dropped silently.
 */
public enum DropReason {
    // egress (host -> network)
    /** Not an IPv4/IPv6 packet, or too short for its header. */
    EGRESS_MALFORMED,
    /** The IP length field disagrees with the packet. */
    EGRESS_BAD_LENGTH,
    /** Transport mode over IPv6 with a next header other than TCP/UDP. */
    EGRESS_UNSUPPORTED_NEXT_HEADER,
    /** The session's crypt offset reaches past the end of this packet. */
    EGRESS_CRYPT_OFFSET_PAST_END,
    /** The encapsulated packet would exceed the buffer or 64 KiB, or the path MTU refused it (the UDP port sends with DF). */
    EGRESS_TOO_BIG,
    /** The entry's crypto slot was wiped or reprogrammed after the entry was added. */
    EGRESS_NO_KEY_SLOT,
    /**
     * Missed the encrypt table, but no tunnel can serve its destination: multicast, link-local,
     * broadcast, loopback or unspecified (the kernel's router solicitations, MLD reports and mDNS
     * into the TUN device). No set-up is started.
     */
    MISS_UNTUNNELLABLE_DESTINATION,
    /** Missed the encrypt table with the IP version that {@code --inner-ip-type} does not select. No set-up is started. */
    MISS_OTHER_INNER_VERSION,
    /** Missed the encrypt table and the miss queue was full. */
    MISS_QUEUE_FULL,
    /** A sampled packet's mirror copy did not fit the miss queue (the packet itself was sent). */
    SAMPLE_COPY_LOST,
    /** The secure port could not take the packet (its queue or socket buffer was full). */
    EGRESS_PORT_FULL,

    // ingress (network -> host)
    /** Outer packet truncated, or lengths that disagree with it (spec: rx bad). */
    INGRESS_MALFORMED,
    /** An outer IPv4 fragment. */
    INGRESS_FRAGMENT,
    /** Not UDP to the PSP port. */
    INGRESS_NOT_PSP,
    /** Bad PSP header: extension length, crypt offset, always-1 bit (spec: rx bad; DOCA: bad trailer). */
    INGRESS_BAD_HEADER,
    /** Version this receiver does not support. */
    INGRESS_UNSUPPORTED_VERSION,
    /** No key: the SPI's master key generation is gone (spec: rx error). */
    INGRESS_NO_KEY,
    /** The ICV did not match (spec: rx auth fail; DOCA syndrome "ICV Fail"). */
    INGRESS_AUTH_FAILED,
    /** Tunnel mode inner packet not of the IP version Next Header names. */
    INGRESS_BAD_INNER,
    /** Decrypted fine, but no ingress ACL entry allows this SPI and VIP pair. */
    INGRESS_ACL_MISS,
    /** The sender set the D bit: drop after sampling. */
    INGRESS_DROP_BIT,
    /** The plain port could not take the packet. */
    INGRESS_PORT_FULL,
    /** A port dropped the packet on receive (larger than a packet buffer, or truncated by the kernel). */
    PORT_RECEIVE_DROPS,
    // the doca backend's slow path (DPDK queues to and from the CPU)
    /** ARP or neighbour discovery from the VF that is not a request or solicitation it answers (or is malformed). */
    NEIGHBOUR_NOT_ANSWERED,
    /** An ARP reply or neighbour advertisement the transmit queue or the mbuf pool could not take. */
    NEIGHBOUR_REPLY_LOST,
    /** A held packet that could not go back to the NIC: its transmit queue stayed full, or the mbuf pool was empty. */
    REINJECT_FAILED,

    /** A bug: an unexpected exception on the packet path (logged). */
    INTERNAL_ERROR;

    /** The drop reason for a seal that did not succeed. */
    public static DropReason of(SealStatus status) {
        return switch (status) {
            case MALFORMED_INNER -> EGRESS_MALFORMED;
            case BAD_INNER_LENGTH -> EGRESS_BAD_LENGTH;
            case UNSUPPORTED_NEXT_HEADER -> EGRESS_UNSUPPORTED_NEXT_HEADER;
            case CRYPT_OFFSET_PAST_END -> EGRESS_CRYPT_OFFSET_PAST_END;
            case TOO_BIG -> EGRESS_TOO_BIG;
            case SEALED -> throw new IllegalArgumentException("a sealed packet is not a drop");
        };
    }

    /** The drop reason for an open that did not succeed. */
    public static DropReason of(OpenStatus status) {
        return switch (status) {
            case TRUNCATED, BAD_LENGTH -> INGRESS_MALFORMED;
            case FRAGMENT -> INGRESS_FRAGMENT;
            case NOT_UDP, WRONG_PORT -> INGRESS_NOT_PSP;
            case BAD_HEADER_EXTENSION, CRYPT_OFFSET_PAST_END, ALWAYS_ONE_BIT_CLEAR -> INGRESS_BAD_HEADER;
            case UNSUPPORTED_VERSION -> INGRESS_UNSUPPORTED_VERSION;
            case NO_KEY -> INGRESS_NO_KEY;
            case AUTH_FAILED -> INGRESS_AUTH_FAILED;
            case BAD_INNER -> INGRESS_BAD_INNER;
            case OPENED -> throw new IllegalArgumentException("an opened packet is not a drop");
        };
    }
}
