package io.pspgateway.pcap;

/**
 * One captured frame.
 *
 * @param seconds      timestamp, whole seconds since the epoch
 * @param micros       timestamp, microseconds within the second
 * @param originalLength length of the frame on the wire (may exceed {@code data.length} when the capture was cut)
 * @param data         the captured bytes
 */
public record PcapRecord(long seconds, int micros, int originalLength, byte[] data) {

    /** True when the capture holds the whole frame. */
    public boolean complete() {
        return originalLength == data.length;
    }

    /** The same timestamp with other bytes, as a complete capture. */
    public PcapRecord withData(byte[] newData) {
        return new PcapRecord(seconds, micros, newData.length, newData);
    }
}
