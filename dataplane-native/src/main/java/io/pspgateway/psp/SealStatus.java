package io.pspgateway.psp;

/** Outcome of sealing one packet. Everything but {@link #SEALED} leaves the packet unsent. */
public enum SealStatus {
    SEALED,
    /** Not an IPv4 or IPv6 packet, or shorter than its own IP header. */
    MALFORMED_INNER,
    /** The IP length field disagrees with the packet's length. */
    BAD_INNER_LENGTH,
    /**
     * Transport mode over IPv6 with an extension header (or no next header) after the fixed header:
     * PSP's UDP header would have to follow the extension headers, which the sealer does not walk.
     */
    UNSUPPORTED_NEXT_HEADER,
    /** The crypt offset reaches past the end of the payload; the reference skips these too. */
    CRYPT_OFFSET_PAST_END,
    /** The encapsulated packet would not fit the buffer's headroom, tailroom or 64 KiB. */
    TOO_BIG
}
