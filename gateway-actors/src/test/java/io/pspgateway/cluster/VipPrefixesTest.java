package io.pspgateway.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.NotSerializableException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The packed prefix form and the gossip wire form of a gateway's announcement. */
class VipPrefixesTest {

    @Test
    void parsesMasksAndWritesPrefixesBack() {
        VipPrefixes p = VipPrefixes.parse(List.of("10.2.0.7/24", "10.3.4.5", "fd00:0:0:1::9/64", "0.0.0.0/0", "10.9.8.255/21"));
        assertEquals(List.of("10.2.0.0/24", "10.3.4.5/32", "fd00:0:0:1::/64", "0.0.0.0/0", "10.9.8.0/21"), p.asStrings());
        assertEquals(5, p.size());
        assertEquals(6 + 6 + 18 + 6 + 6, p.packedSize(), "one byte of length, one of size, then the address");
        assertEquals(p, VipPrefixes.unpack(p.pack()));
    }

    @Test
    void namesTheBadPrefix() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> VipPrefixes.parse(List.of("10.0.0.0/33")))
                .getMessage().contains("10.0.0.0/33"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> VipPrefixes.parse(List.of("10.0.0.0/x")))
                .getMessage().contains("not a number"));
        assertThrows(IllegalArgumentException.class, () -> VipPrefixes.parse(List.of("gw.example/24")));
    }

    @Test
    void refusesMalformedPackedForms() {
        assertThrows(IllegalArgumentException.class, () -> VipPrefixes.unpack(new byte[] {24}), "truncated header");
        assertThrows(IllegalArgumentException.class, () -> VipPrefixes.unpack(new byte[] {24, 4, 10, 0}), "truncated address");
        assertThrows(IllegalArgumentException.class, () -> VipPrefixes.unpack(new byte[] {24, 5, 10, 0, 0, 0, 0}), "bad size");
        assertThrows(IllegalArgumentException.class, () -> VipPrefixes.unpack(new byte[] {33, 4, 10, 0, 0, 0}), "length beyond the size");
        assertEquals(0, VipPrefixes.unpack(new byte[0]).size());
    }

    @Test
    void anAnnouncementCrossesTheWireUnchangedAndGarbageIsRefused() throws Exception {
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            many.add("10." + (i >> 8) + "." + (i & 0xFF) + ".0/24");
        }
        GatewayInfo info = new GatewayInfo("gw7", "198.51.100.7", 50051, "198.51.100.7", VipPrefixes.parse(many), List.of(1, 0), 1, 5);
        GatewayInfoSerializer serializer = new GatewayInfoSerializer(null);
        byte[] wire = serializer.toBinary(info);
        assertEquals(info, serializer.fromBinary(wire, serializer.manifest(info)));
        assertTrue(wire.length < 61_000, "10 000 IPv4 prefixes in ~60 KB, was " + wire.length);

        assertThrows(NotSerializableException.class, () -> serializer.fromBinary(new byte[] {(byte) 0xFF, 1, 2}, serializer.manifest(info)));
        byte[] lying = io.pspgateway.proto.cluster.GatewayAnnouncement.newBuilder().setId("x")
                .setVipPrefixes(com.google.protobuf.ByteString.copyFrom(new byte[] {24, 4, 10})).build().toByteArray();
        assertThrows(NotSerializableException.class, () -> serializer.fromBinary(lying, serializer.manifest(info)));
        assertThrows(NotSerializableException.class, () -> serializer.fromBinary(wire, "SomethingElse"));
        assertArrayEquals(wire, serializer.toBinary(serializer.fromBinary(wire, serializer.manifest(info))));
    }
}
