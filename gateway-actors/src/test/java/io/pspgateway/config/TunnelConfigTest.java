package io.pspgateway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TunnelConfigTest {
    static String guide() throws IOException {
        try (InputStream in = TunnelConfigTest.class.getResourceAsStream("/doca-guide-tunnels.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String error(String json) {
        return assertThrows(TunnelConfig.ConfigException.class, () -> TunnelConfig.parse(json, "t.json")).getMessage();
    }

    @Test
    void theOriginalGuidesExampleParses() throws Exception {
        TunnelConfig c = TunnelConfig.parse(guide(), "guide.json");
        assertEquals(HostPort.parse("10.237.113.143:3000", 1), c.localGrpc());
        assertEquals(2, c.peers().size());
        TunnelConfig.Peer first = c.peers().get(0);
        assertEquals(3000, first.grpc().getPort(), "default gRPC port");
        assertEquals(256 + 1 + 1, first.pairs().size(), "8.8.8.0/24 expands to 256 pairs, plus 7.7.7.7 and 9.9.9.9");
        assertTrue(first.pairs().contains(new TunnelConfig.Pair(InetAddress.getByName("6.6.6.4"), InetAddress.getByName("9.9.9.9"))));
        TunnelConfig.Peer second = c.peers().get(1);
        assertEquals(256, second.pairs().size(), "11.11.11.11/24 is the /24 around it");
        assertNull(second.pairs().getFirst().local(), "no local-vip: the VF's address");
        assertEquals(InetAddress.getByName("11.11.11.0"), second.remotePrefixes().getFirst().network());
    }

    @Test
    void theOriginalsRulesAreEnforcedWithThePathInTheMessage() {
        assertEquals("t.json: unknown key 'peers[0].sesions' (allowed: remote-grpc-address, sessions)",
                error("{\"peers\": [ { \"remote-grpc-address\": \"1.2.3.4\", \"sesions\": [] } ] }"));
        assertEquals("t.json: peers[0].sessions[1].remote-vips[0]: duplicate pair (6.6.6.5, 7.7.7.7)",
                error("{\"peers\": [ { \"remote-grpc-address\": \"1.2.3.4\", \"sessions\": ["
                        + "{\"local-vip\": \"6.6.6.5\", \"remote-vips\": [\"7.7.7.7\"]},"
                        + "{\"local-vip\": \"6.6.6.5\", \"remote-vips\": [\"7.7.7.0/24\"]} ] } ] }"));
        assertEquals("t.json: peers[0].sessions[0].remote-vips[0]: prefix /8 must be /16 to /32 (each address becomes a tunnel)",
                error("{\"peers\": [ { \"remote-grpc-address\": \"1.2.3.4\", \"sessions\": ["
                        + "{\"remote-vips\": [\"10.0.0.0/8\"]} ] } ] }"));
        assertEquals("t.json: peers[0].remote-grpc-address: 'peer.example' is not an IP address",
                error("{\"peers\": [ { \"remote-grpc-address\": \"peer.example:3000\" } ] }"));
        assertEquals("t.json: peers[0].remote-grpc-address is missing", error("{\"peers\": [ { } ] }"));
        assertEquals("t.json: the top level must be a JSON object", error("[]"));
        assertTrue(error("{\"peers\": [ ").startsWith("t.json: not valid JSON: "));
        assertTrue(error("{\"config\": {}, \"config\": {}}").contains("Duplicate field 'config'"));
    }

    @Test
    void addressesWithAndWithoutPorts() {
        assertEquals(3000, HostPort.parse("10.0.0.1", 3000).getPort());
        assertEquals(50051, HostPort.parse("[::1]:50051", 3000).getPort());
        assertEquals(3000, HostPort.parse("fd00::1", 3000).getPort());
        assertEquals("'10.0.0.1:0': port must be 1-65535",
                assertThrows(IllegalArgumentException.class, () -> HostPort.parse("10.0.0.1:0", 1)).getMessage());
    }

    @Test
    void twoPeersAtOneAddressAreRefused() {
        assertEquals("t.json: peers[0] and peers[1] are both at 192.0.2.2: callers are told apart by address, so each peer "
                + "needs an IP of its own", error("""
                { "peers": [
                    { "remote-grpc-address": "192.0.2.2:3000", "sessions": [ { "local-vip": "10.1.0.1", "remote-vips": [ "10.2.0.1" ] } ] },
                    { "remote-grpc-address": "192.0.2.2:3001", "sessions": [ { "local-vip": "10.1.0.1", "remote-vips": [ "10.3.0.1" ] } ] }
                ] }
                """));
    }
}
