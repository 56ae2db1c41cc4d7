package io.pspgateway.psp;

/**
 * Outcome of opening one received packet. Every status but {@link #OPENED} is a drop, and each
 * maps onto one of the receive counters the spec asks for ({@link SpecCounter}).
 */
public enum OpenStatus {
    OPENED(SpecCounter.RX_PACKETS),
    /** Not an IPv4/IPv6 packet, or shorter than the headers it claims. */
    TRUNCATED(SpecCounter.RX_BAD),
    /** An IP or UDP length field disagrees with the packet. */
    BAD_LENGTH(SpecCounter.RX_BAD),
    /** An IPv4 fragment: PSP packets are never reassembled here. */
    FRAGMENT(SpecCounter.RX_BAD),
    /** Not UDP (or IPv6 with extension headers before UDP). */
    NOT_UDP(SpecCounter.NOT_PSP),
    /** UDP, but not to the PSP port. */
    WRONG_PORT(SpecCounter.NOT_PSP),
    /** Hdr Ext Len is 0, runs past the packet, or is too short for a cookie the V bit announces. */
    BAD_HEADER_EXTENSION(SpecCounter.RX_BAD),
    /** The crypt offset reaches past the end of the payload. */
    CRYPT_OFFSET_PAST_END(SpecCounter.RX_BAD),
    /** The Version field names no PSP version, or one this receiver does not accept. */
    UNSUPPORTED_VERSION(SpecCounter.RX_BAD),
    /** The always-1 bit of byte 3 is clear. */
    ALWAYS_ONE_BIT_CLEAR(SpecCounter.RX_BAD),
    /** No key for this SPI (unknown, or its master key generation is dead). */
    NO_KEY(SpecCounter.RX_ERRORS),
    /** The ICV did not match: wrong key, or the packet was changed on the way. */
    AUTH_FAILED(SpecCounter.RX_AUTH_FAIL),
    /** Tunnel mode, but the decrypted inner packet is not of the IP version Next Header names. */
    BAD_INNER(SpecCounter.RX_BAD);

    /** The spec's receive statistics (PSP Architecture Specification, "Statistics"). */
    public enum SpecCounter { RX_PACKETS, RX_AUTH_FAIL, RX_ERRORS, RX_BAD, NOT_PSP }

    private final SpecCounter counter;

    OpenStatus(SpecCounter counter) {
        this.counter = counter;
    }

    /** The spec counter a packet with this status counts under. */
    public SpecCounter specCounter() {
        return counter;
    }
}
