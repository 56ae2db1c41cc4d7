package io.pspgateway.psp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IpTextTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            // RFC 5952 section 4: leading zeros dropped, lower case, the longest zero run shortened, the first on a tie
            "2001:0DB8:0000:0000:0000:0000:0000:0002, 2001:db8::2",
            "2001:db8:0:0:1:0:0:1,                    2001:db8::1:0:0:1",
            "2001:db8:0:1:1:1:1:1,                    2001:db8:0:1:1:1:1:1",
            "2001:db8:0:0:1:0:0:0,                    2001:db8:0:0:1::",
            "0:0:0:0:0:0:0:0,                         ::",
            "0:0:0:0:0:0:0:1,                         ::1",
            "fe80:0:0:0:0:0:0:1,                      fe80::1",
            "ff02:0:0:0:0:0:0:2,                      ff02::2",
            "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1,     2001:db8:aaaa:bbbb:cccc:dddd:eeee:1",
            "10.0.0.1,                                10.0.0.1"})
    void writesTheCanonicalForm(String literal, String expected) {
        assertEquals(expected, IpText.of(InetAddress.ofLiteral(literal)));
    }

    @ParameterizedTest(name = "{0}:{1} -> {2}")
    @CsvSource({"2001:db8:0:0:0:0:0:2, 3000, [2001:db8::2]:3000", "10.0.0.1, 3000, 10.0.0.1:3000", "::1, 25520, [::1]:25520"})
    void bracketsIpv6WhereAPortFollows(String literal, int port, String expected) {
        assertEquals(expected, IpText.of(new InetSocketAddress(InetAddress.ofLiteral(literal), port)));
    }
}
