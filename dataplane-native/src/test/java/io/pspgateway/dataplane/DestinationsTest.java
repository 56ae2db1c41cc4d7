package io.pspgateway.dataplane;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.Inet6Address;
import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DestinationsTest {
    @ParameterizedTest(name = "{0}: untunnellable {1}")
    @CsvSource({
            "ff02::2, true", "ff02::16, true", "ff05::1:3, true", "fe80::1, true", "febf::1, true", "::1, true", "::, true",
            "fec0::1, false", "2001:db8::2, false", "fd00::2, false", "::2, false", "64:ff9b::a00:2, false",
            "224.0.0.251, true", "239.255.255.250, true", "255.255.255.255, true", "240.0.0.1, true", "169.254.1.1, true",
            "127.0.0.1, true", "0.0.0.0, true", "10.0.0.2, false", "169.253.0.1, false", "223.255.255.255, false", "198.51.100.2, false"})
    void multicastLinkLocalBroadcastLoopbackAndUnspecifiedAreNotForATunnel(String destination, boolean untunnellable) {
        InetAddress d = InetAddress.ofLiteral(destination);
        boolean v6 = d instanceof Inet6Address;
        byte[] header = new byte[v6 ? 40 : 20];
        header[0] = (byte) (v6 ? 0x60 : 0x45);
        System.arraycopy(d.getAddress(), 0, header, v6 ? 24 : 16, v6 ? 16 : 4);
        byte[] packet = new byte[header.length + 7];
        System.arraycopy(header, 0, packet, 7, header.length);
        assertEquals(untunnellable, Destinations.untunnellable(packet, 7, v6));
    }
}
