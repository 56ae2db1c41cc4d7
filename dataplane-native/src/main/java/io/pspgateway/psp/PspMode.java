package io.pspgateway.psp;

/** PSP encapsulation mode. */
public enum PspMode {
    /** The whole inner IP packet travels encrypted inside a new outer IP/UDP/PSP header. */
    TUNNEL,
    /** The original IP header stays; UDP + PSP are inserted before the L4 header. */
    TRANSPORT
}
