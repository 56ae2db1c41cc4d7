package io.pspgateway.pcap;

import java.io.IOException;

/** A pcap file that is not what it claims to be; the message says where. */
public final class PcapFormatException extends IOException {
    public PcapFormatException(String message) {
        super(message);
    }
}
