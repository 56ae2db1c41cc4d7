package io.pspgateway.pcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import org.junit.jupiter.api.Test;

class ReferenceConfigTest {
    static final String K0 = "34 44 8a 06 42 92 60 1b 11 a0 97 8f 56 a2 d3 4c f3 fc 35 ed e1 a6 bc 04 f8 db 3e 52 43 a2 b0 ca";
    static final String K1 = "56 39 52 56 5d 3a 78 ae 77 3e c1 b7 79 f2 f2 d9 9f 4a 7f 53 a6 fb b9 b0 7d 5b 71 f3 93 64 d7 39";

    static String cfg(String spi, String mode, String alg, String t, String v4, String v6, String vc) {
        return String.join("\n", K0, K1, spi, mode, alg, t, v4, v6, vc) + "\n";
    }

    private static String error(String text) {
        return assertThrows(ReferenceConfig.ConfigException.class, () -> ReferenceConfig.parseEncrypt(text, "x.cfg"))
                .getMessage();
    }

    @Test
    void aValidConfigParses() throws Exception {
        ReferenceConfig c = ReferenceConfig.parseEncrypt(cfg("9A345678", "tunnel", "aes-gcm-256", "1", "6", "11", "vc"), "x.cfg");
        assertEquals(0x9A345678, c.spi());
        assertEquals(PspMode.TUNNEL, c.mode());
        assertEquals(PspVersion.V1, c.version());
        assertEquals(6, c.cryptOffsetWords(4));
        assertEquals(11, c.cryptOffsetWords(6));
        assertEquals(true, c.withCookie());
    }

    @Test
    void everyErrorNamesTheFileLineAndWhatWasExpected() {
        assertEquals("x.cfg:1: master key 0 byte 3 of 32 must be a hex byte (e.g. 3a), found 'zz'",
                error(cfg("1", "tunnel", "aes-gcm-128", "0", "0", "0", "vc").replaceFirst("8a", "zz")));
        assertEquals("x.cfg:3: SPI must be up to 8 hex digits (e.g. 9A345678), found '123456789'",
                error(cfg("123456789", "tunnel", "aes-gcm-128", "0", "0", "0", "vc")));
        assertEquals("x.cfg:4: encap mode must be 'transport' or 'tunnel', found 'tunel'",
                error(cfg("1", "tunel", "aes-gcm-128", "0", "0", "0", "vc")));
        assertEquals("x.cfg:5: crypto algorithm must be aes-gcm-128 or aes-gcm-256 (or aes-gmac-128 / aes-gmac-256), found 'aes-gcm-192'",
                error(cfg("1", "tunnel", "aes-gcm-192", "0", "0", "0", "vc")));
        assertEquals("x.cfg:7: IPv4 tunnel mode crypt offset must be 0..63 (the header field has 6 bits), found '64'",
                error(cfg("1", "tunnel", "aes-gcm-128", "0", "64", "0", "vc")));
        assertEquals("x.cfg:8: IPv6 tunnel mode crypt offset must be a whole number of 4-byte units, found 'ten'",
                error(cfg("1", "tunnel", "aes-gcm-128", "0", "0", "ten", "vc")));
        assertEquals("x.cfg:9: virtualization cookie must be 'vc' or 'no-vc', found 'yes'",
                error(cfg("1", "tunnel", "aes-gcm-128", "0", "0", "0", "yes")));
    }

    @Test
    void missingItemsAreNamed() {
        assertEquals("x.cfg:1: missing master key 1 byte 1 of 32 (the file ends here)", error(K0 + "\n"));
        assertEquals("x.cfg:2: missing master key 1 byte 32 of 32 (the file ends here)",
                error(K0 + "\n" + K1.substring(0, K1.length() - 3)));
        assertEquals("x.cfg:3: missing virtualization cookie (vc or no-vc) (the file ends here)",
                error(String.join("\n", K0, K1, "1 tunnel aes-gcm-128 0 0 0")));
        assertEquals("x.cfg:1: missing master key 0 byte 1 of 32 (the file ends here)", error(""));
    }

    @Test
    void decryptConfigNeedsOnlyTheKeys() throws Exception {
        ReferenceConfig.parseMasterKeys(K0 + "\n" + K1 + "\n", "d.cfg");
        assertEquals("d.cfg:1: master key 0 byte 1 of 32 must be a hex byte (e.g. 3a), found '\u00ff'",
                assertThrows(ReferenceConfig.ConfigException.class,
                        () -> ReferenceConfig.parseMasterKeys("\u00ff", "d.cfg")).getMessage());
    }
}
