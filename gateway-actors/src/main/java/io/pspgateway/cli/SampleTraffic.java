package io.pspgateway.cli;

import io.pspgateway.pcap.PcapRecord;
import io.pspgateway.psp.InnerPackets;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** A handful of Ethernet frames between two workloads, for the demo. */
final class SampleTraffic {
    private SampleTraffic() {
    }

    static List<PcapRecord> frames() {
        InetAddress a4 = address("10.0.0.1");
        InetAddress b4 = address("10.0.0.2");
        InetAddress a6 = address("fd00::1");
        InetAddress b6 = address("fd00::2");
        return List.of(
                frame(InnerPackets.udp(a4, b4, 5353, 53, 1, 120)),
                frame(InnerPackets.tcp(a4, b4, 40000, 443, 1, 1400)),
                frame(InnerPackets.udp(a6, b6, 6000, 7000, 2, 64)),
                frame(InnerPackets.tcp(a6, b6, 51000, 22, 2, 900)));
    }

    private static PcapRecord frame(byte[] packet) {
        byte[] f = InnerPackets.ethernet(packet);
        return new PcapRecord(1_700_000_000L, 0, f.length, f);
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
