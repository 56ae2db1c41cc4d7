package io.pspgateway.psp;

/**
 * What the opener learned from the PSP header of the last packet it opened, for the caller's
 * ACL, sampling and statistics. One per packet thread, overwritten by every {@link PspOpener#open}.
 */
public final class RxInfo {
    int spi;
    PspVersion version;
    long iv;
    boolean sample;
    boolean drop;
    boolean cookiePresent;
    long cookie;
    int nextHeader;
    boolean tunnel;
    int payloadBytes;

    public int spi() {
        return spi;
    }

    public PspVersion version() {
        return version;
    }

    public long iv() {
        return iv;
    }

    /** The S bit: the sender asks the receiver to sample this packet. */
    public boolean sample() {
        return sample;
    }

    /** The D bit: drop after sampling. */
    public boolean drop() {
        return drop;
    }

    public boolean cookiePresent() {
        return cookiePresent;
    }

    public long cookie() {
        return cookie;
    }

    public int nextHeader() {
        return nextHeader;
    }

    public boolean tunnel() {
        return tunnel;
    }

    /** Bytes between the PSP header (with its extension) and the ICV: what the spec's byte counters count. */
    public int payloadBytes() {
        return payloadBytes;
    }
}
