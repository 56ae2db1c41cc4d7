package io.pspgateway.pcap;

import io.pspgateway.psp.MasterKeyPair;
import io.pspgateway.psp.PspHeader;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The configuration file of Google's reference PSP tools: whitespace-separated items, read in
 * order: master key 0 (32 hex bytes), master key 1, SPI (hex), {@code transport|tunnel},
 * {@code aes-gcm-128|aes-gcm-256}, then the crypt offsets (4-byte units) for transport mode,
 * IPv4 tunnel mode and IPv6 tunnel mode, then {@code vc|no-vc}. A decrypt configuration needs
 * only the two master keys. As an extension, {@code aes-gmac-128|aes-gmac-256} select the
 * authentication-only versions 2 and 3.
 *
 * <p>Every error names the file, the line and what was expected.
 *
 * @param masterKeys            the two master keys
 * @param spi                   the SPI to send with
 * @param mode                  tunnel or transport
 * @param version               the PSP version the algorithm selects
 * @param transportOffsetWords  crypt offset in transport mode
 * @param ipv4TunnelOffsetWords crypt offset for IPv4 inner packets in tunnel mode
 * @param ipv6TunnelOffsetWords crypt offset for IPv6 inner packets in tunnel mode
 * @param withCookie            whether the header carries a (zero) virtualization cookie
 */
public record ReferenceConfig(MasterKeyPair masterKeys, int spi, PspMode mode, PspVersion version,
                              int transportOffsetWords, int ipv4TunnelOffsetWords, int ipv6TunnelOffsetWords,
                              boolean withCookie) {

    /** A configuration file that cannot be used; the message names the line. */
    public static final class ConfigException extends Exception {
        public ConfigException(String message) {
            super(message);
        }
    }

    /** The crypt offset (words) to use for an inner packet of IP version {@code ipVersion}. */
    public int cryptOffsetWords(int ipVersion) {
        if (mode == PspMode.TRANSPORT) {
            return transportOffsetWords;
        }
        return ipVersion == 6 ? ipv6TunnelOffsetWords : ipv4TunnelOffsetWords;
    }

    /** Parses a full encrypt configuration. */
    public static ReferenceConfig parseEncrypt(String text, String source) throws ConfigException {
        Tokens t = new Tokens(text, source);
        MasterKeyPair keys = new MasterKeyPair(t.key("master key 0"), t.key("master key 1"));
        int spi = t.spi();
        PspMode mode = switch (t.word("encap mode (transport or tunnel)")) {
            case "transport" -> PspMode.TRANSPORT;
            case "tunnel" -> PspMode.TUNNEL;
            default -> throw t.error("encap mode must be 'transport' or 'tunnel'");
        };
        PspVersion version = switch (t.word("crypto algorithm (aes-gcm-128 or aes-gcm-256)")) {
            case "aes-gcm-128" -> PspVersion.V0;
            case "aes-gcm-256" -> PspVersion.V1;
            case "aes-gmac-128" -> PspVersion.V2;
            case "aes-gmac-256" -> PspVersion.V3;
            default -> throw t.error("crypto algorithm must be aes-gcm-128 or aes-gcm-256 "
                    + "(or aes-gmac-128 / aes-gmac-256)");
        };
        int transport = t.offset("transport mode crypt offset");
        int v4 = t.offset("IPv4 tunnel mode crypt offset");
        int v6 = t.offset("IPv6 tunnel mode crypt offset");
        boolean vc = switch (t.word("virtualization cookie (vc or no-vc)")) {
            case "vc" -> true;
            case "no-vc" -> false;
            default -> throw t.error("virtualization cookie must be 'vc' or 'no-vc'");
        };
        return new ReferenceConfig(keys, spi, mode, version, transport, v4, v6, vc);
    }

    /** Parses the two master keys at the start of a configuration (all a decrypt config has). */
    public static MasterKeyPair parseMasterKeys(String text, String source) throws ConfigException {
        Tokens t = new Tokens(text, source);
        return new MasterKeyPair(t.key("master key 0"), t.key("master key 1"));
    }

    /** Whitespace-separated tokens with the line each came from, read in order. */
    private static final class Tokens {
        private final String source;
        private final List<String> words = new ArrayList<>();
        private final List<Integer> lines = new ArrayList<>();
        private int next;
        private final int lastLine;

        Tokens(String text, String source) {
            this.source = source;
            String[] rows = text.split("\r?\n", -1);
            for (int i = 0; i < rows.length; i++) {
                for (String w : rows[i].trim().split("\\s+")) {
                    if (!w.isEmpty()) {
                        words.add(w);
                        lines.add(i + 1);
                    }
                }
            }
            lastLine = Math.max(1, rows.length - (text.endsWith("\n") ? 1 : 0));
        }

        String take(String what) throws ConfigException {
            if (next >= words.size()) {
                throw new ConfigException(source + ":" + lastLine + ": missing " + what + " (the file ends here)");
            }
            return words.get(next++);
        }

        ConfigException error(String message) {
            int i = Math.max(0, next - 1);
            String found = i < words.size() ? words.get(i) : "";
            int line = i < lines.size() ? lines.get(i) : lastLine;
            return new ConfigException(source + ":" + line + ": " + message + ", found '" + found + "'");
        }

        String word(String what) throws ConfigException {
            return take(what).toLowerCase(Locale.ROOT);
        }

        byte[] key(String name) throws ConfigException {
            byte[] key = new byte[MasterKeyPair.KEY_BYTES];
            for (int i = 0; i < key.length; i++) {
                String w = take(name + " byte " + (i + 1) + " of " + key.length);
                long v = hex(w, 2);
                if (v < 0) {
                    throw error(name + " byte " + (i + 1) + " of " + key.length + " must be a hex byte (e.g. 3a)");
                }
                key[i] = (byte) v;
            }
            return key;
        }

        int spi() throws ConfigException {
            long v = hex(take("SPI (hex, e.g. 9A345678)"), 8);
            if (v < 0) {
                throw error("SPI must be up to 8 hex digits (e.g. 9A345678)");
            }
            return (int) v;
        }

        int offset(String what) throws ConfigException {
            String w = take(what + " (4-byte units)");
            int v;
            try {
                v = Integer.parseInt(w);
            } catch (NumberFormatException e) {
                throw error(what + " must be a whole number of 4-byte units");
            }
            if (v < 0 || v > PspHeader.MAX_CRYPT_OFFSET_WORDS) {
                throw error(what + " must be 0.." + PspHeader.MAX_CRYPT_OFFSET_WORDS + " (the header field has 6 bits)");
            }
            return v;
        }

        /** The value of 1..maxDigits hex digits (optional 0x), or -1. */
        private static long hex(String w, int maxDigits) {
            String digits = w.startsWith("0x") || w.startsWith("0X") ? w.substring(2) : w;
            if (digits.isEmpty() || digits.length() > maxDigits) {
                return -1;
            }
            long v = 0;
            for (int i = 0; i < digits.length(); i++) {
                int d = Character.digit(digits.charAt(i), 16);
                if (d < 0) {
                    return -1;
                }
                v = (v << 4) | d;
            }
            return v;
        }
    }
}
