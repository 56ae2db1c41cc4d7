package io.pspgateway.psp;

/** The Ethernet II header: its length and the Ethertypes this project reads and writes. */
public final class Ethernet {
    /** Destination MAC, source MAC, Ethertype (no VLAN tag). */
    public static final int HEADER = 14;
    public static final int TYPE_IPV4 = 0x0800;
    public static final int TYPE_IPV6 = 0x86DD;
    public static final int TYPE_ARP = 0x0806;

    private Ethernet() {
    }

    /** The Ethertype of {@code frame}, or -1 when it is too short for an Ethernet header. */
    public static int type(byte[] frame) {
        return frame.length < HEADER ? -1 : Ip.u16(frame, 12);
    }
}
