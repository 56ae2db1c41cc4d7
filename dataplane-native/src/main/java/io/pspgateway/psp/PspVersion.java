package io.pspgateway.psp;

/**
 * The four PSP versions of the specification. The version selects the AEAD, the length of the
 * derived key and whether the payload is encrypted or only authenticated.
 */
public enum PspVersion {
    /** AES-GCM-128: 128-bit derived key, payload encrypted. */
    V0(0, 16, true),
    /** AES-GCM-256: 256-bit derived key, payload encrypted. */
    V1(1, 32, true),
    /** AES-GMAC-128: 128-bit derived key, payload authenticated but sent in the clear. */
    V2(2, 16, false),
    /** AES-GMAC-256: 256-bit derived key, payload authenticated but sent in the clear. */
    V3(3, 32, false);

    private static final PspVersion[] BY_WIRE = values();

    private final int wire;
    private final int keyBytes;
    private final boolean encrypts;

    PspVersion(int wire, int keyBytes, boolean encrypts) {
        this.wire = wire;
        this.keyBytes = keyBytes;
        this.encrypts = encrypts;
    }

    /** The 4-bit value carried in the header's Version field. */
    public int wire() {
        return wire;
    }

    /** Length of the derived AES key in bytes (16 or 32). */
    public int keyBytes() {
        return keyBytes;
    }

    /** True for the AES-GCM versions, false for the authentication-only AES-GMAC versions. */
    public boolean encrypts() {
        return encrypts;
    }

    /** The version for a header's 4-bit Version field, or null when the value is not defined. */
    public static PspVersion fromWire(int wire) {
        return wire >= 0 && wire < BY_WIRE.length ? BY_WIRE[wire] : null;
    }
}
