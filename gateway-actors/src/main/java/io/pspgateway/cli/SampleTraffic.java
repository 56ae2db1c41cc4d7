package io.pspgateway.cli;

import io.pspgateway.pcap.PcapRecord;
import io.pspgateway.psp.Ip;
import java.util.List;

/** A handful of Ethernet frames between two workloads, for the demo. */
final class SampleTraffic {
    private SampleTraffic() {
    }

    static List<PcapRecord> frames() {
        return List.of(
                frame(false, 17, 5353, 53, 120),
                frame(false, 6, 40000, 443, 1400),
                frame(true, 17, 6000, 7000, 64),
                frame(true, 6, 51000, 22, 900));
    }

    private static PcapRecord frame(boolean v6, int protocol, int sport, int dport, int payload) {
        int ipHeader = v6 ? 40 : 20;
        int l4Header = protocol == 6 ? 20 : 8;
        byte[] f = new byte[14 + ipHeader + l4Header + payload];
        byte[] dst = {0x02, 0, 0, 0, 0, 0x02};
        byte[] src = {0x02, 0, 0, 0, 0, 0x01};
        System.arraycopy(dst, 0, f, 0, 6);
        System.arraycopy(src, 0, f, 6, 6);
        put16(f, 12, v6 ? 0x86DD : 0x0800);
        int ip = 14;
        int l4Length = l4Header + payload;
        if (v6) {
            f[ip] = 0x60;
            put16(f, ip + 4, l4Length);
            f[ip + 6] = (byte) protocol;
            f[ip + 7] = 64;
            f[ip + 8] = (byte) 0xfd;
            f[ip + 23] = 1;
            f[ip + 24] = (byte) 0xfd;
            f[ip + 39] = 2;
        } else {
            f[ip] = 0x45;
            put16(f, ip + 2, ipHeader + l4Length);
            put16(f, ip + 6, 0x4000);
            f[ip + 8] = 64;
            f[ip + 9] = (byte) protocol;
            f[ip + 12] = 10;
            f[ip + 15] = 1;
            f[ip + 16] = 10;
            f[ip + 19] = 2;
            Ip.fixIpv4Checksum(f, ip, 20);
        }
        int l4 = ip + ipHeader;
        put16(f, l4, sport);
        put16(f, l4 + 2, dport);
        if (protocol == 6) {
            f[l4 + 12] = 0x50;
            f[l4 + 13] = 0x18;
        } else {
            put16(f, l4 + 4, l4Length);
        }
        for (int i = 0; i < payload; i++) {
            f[l4 + l4Header + i] = (byte) ('a' + i % 26);
        }
        return new PcapRecord(1_700_000_000L, 0, f.length, f);
    }

    private static void put16(byte[] b, int off, int v) {
        Ip.putU16(b, off, v);
    }
}
