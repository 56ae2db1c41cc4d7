package io.pspgateway.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.cluster.GatewayInfo;
import io.pspgateway.cluster.VipPrefixes;
import io.pspgateway.config.TunnelConfig;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AuthorizerTest {
    private static final String FILE = """
            { "peers": [
                { "remote-grpc-address": "192.0.2.2:3000", "sessions": [ { "local-vip": "10.1.0.1", "remote-vips": [ "10.2.0.0/24" ] } ] },
                { "remote-grpc-address": "[2001:db8::3]:3000", "sessions": [ { "local-vip": "10.1.0.1", "remote-vips": [ "10.3.0.7" ] } ] }
            ] }
            """;

    private static InetAddress ip(String literal) {
        return InetAddress.ofLiteral(literal);
    }

    private static Authorizer fileAndCluster() throws Exception {
        GatewayInfo member = new GatewayInfo("gw-east", "198.51.100.9", 3000, "198.51.100.9", VipPrefixes.parse(List.of("10.9.0.0/16")),
                List.of(1, 0), 1, 0);
        return Authorizer.of(TunnelConfig.parse(FILE, "t.json"), List.of(member));
    }

    private static Authorizer.Principal identified(Authorizer a, Authorizer.Caller caller) {
        return a.identify(caller).orElseThrow(() -> new AssertionError(caller + " not identified"));
    }

    @Test
    void aCertifiedFilePeerIsTheOneAtOneOfItsIpSansAndClaimsOnlyItsRemoteVips() throws Exception {
        Authorizer a = fileAndCluster();
        Authorizer.Principal p = identified(a, new Authorizer.Certified(List.of(ip("203.0.113.1"), ip("192.0.2.2")), List.of("gw2")));
        assertEquals("peer 192.0.2.2:3000", p.name());
        assertTrue(p.mayClaim(ip("10.2.0.200")));
        assertFalse(p.mayClaim(ip("10.3.0.7")), "another peer's VIP");
        assertFalse(p.mayClaim(ip("10.2.1.1")), "outside its /24");
        Authorizer.Principal v6 = identified(a, new Authorizer.Certified(List.of(ip("2001:db8::3")), List.of()));
        assertTrue(v6.mayClaim(ip("10.3.0.7")));
        assertFalse(v6.mayClaim(ip("10.3.0.8")), "a host route claims one VIP");
    }

    @Test
    void aCertifiedMemberIsTheOneWhoseGatewayIdIsADnsSan() throws Exception {
        Authorizer a = fileAndCluster();
        Authorizer.Principal m = identified(a, new Authorizer.Certified(List.of(ip("203.0.113.1")), List.of("gw-east")));
        assertEquals("member gw-east", m.name());
        assertTrue(m.mayClaim(ip("10.9.200.1")));
        assertFalse(m.mayClaim(ip("10.2.0.1")));
    }

    @Test
    void strangersAndAmbiguousCertificatesAreNobody() throws Exception {
        Authorizer a = fileAndCluster();
        assertEquals(Optional.empty(), a.identify(new Authorizer.Certified(List.of(ip("203.0.113.1")), List.of("gw-west"))));
        assertEquals(Optional.empty(), a.identify(new Authorizer.Certified(List.of(), List.of())));
        assertEquals(Optional.empty(), a.identify(new Authorizer.Certified(List.of(ip("192.0.2.2"), ip("2001:db8::3")), List.of())),
                "a certificate naming two peers' addresses is neither");
        assertEquals(Optional.empty(), Authorizer.NOBODY.identify(new Authorizer.FromAddress(ip("192.0.2.2"))));
    }

    @Test
    void inPlaintextTheSourceAddressIsTheOnlyIdentity() throws Exception {
        Authorizer a = fileAndCluster();
        assertEquals("peer 192.0.2.2:3000", identified(a, new Authorizer.FromAddress(ip("192.0.2.2"))).name());
        assertEquals("member gw-east", identified(a, new Authorizer.FromAddress(ip("198.51.100.9"))).name());
        assertEquals(Optional.empty(), a.identify(new Authorizer.FromAddress(ip("192.0.2.99"))));
    }
}
