package io.pspgateway.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** Parses the original gateway's "ip[:port]" addresses: {@code 10.0.0.1}, {@code 10.0.0.1:3000}, {@code ::1}, {@code [::1]:3000}. */
public final class HostPort {
    private HostPort() {
    }

    /** The address with {@code defaultPort} when none is given; IllegalArgumentException naming what is wrong. */
    public static InetSocketAddress parse(String text, int defaultPort) {
        String host = text.strip();
        int port = defaultPort;
        if (host.startsWith("[")) {
            int close = host.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("'" + text + "': missing ']'");
            }
            String rest = host.substring(close + 1);
            host = host.substring(1, close);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("'" + text + "': expected ':port' after ']'");
                }
                port = port(rest.substring(1), text);
            }
        } else if (host.indexOf(':') >= 0 && host.indexOf(':') == host.lastIndexOf(':')) {
            port = port(host.substring(host.indexOf(':') + 1), text);
            host = host.substring(0, host.indexOf(':'));
        }
        return new InetSocketAddress(ip(host), port);
    }

    private static int port(String digits, String text) {
        try {
            int p = Integer.parseInt(digits);
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // fall through to the error below
        }
        throw new IllegalArgumentException("'" + text + "': port must be 1-65535");
    }

    /** A literal IPv4 or IPv6 address; never a DNS lookup. */
    public static InetAddress ip(String literal) {
        String s = literal.strip();
        if (!plausibleLiteral(s)) {
            throw new IllegalArgumentException("'" + literal + "' is not an IP address");
        }
        try {
            // a literal only: never a name lookup (every tunnel request carries two of these)
            return InetAddress.ofLiteral(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + literal + "' is not an IP address");
        }
    }

    /** IPv6 (hex digits, colons, dots) or dotted-quad IPv4 — not the short forms ("10.1") that ofLiteral also takes. */
    private static boolean plausibleLiteral(String s) {
        if (s.isEmpty()) {
            return false;
        }
        boolean v6 = s.indexOf(':') >= 0;
        int dots = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '.') {
                dots++;
            } else if (v6 ? Character.digit(c, 16) < 0 && c != ':' : c < '0' || c > '9') {
                return false;
            }
        }
        return v6 || dots == 3;
    }

    /** The address of these 4 or 16 bytes. */
    public static InetAddress ip(byte[] address) {
        try {
            return InetAddress.getByAddress(address);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(address.length + " bytes are not an IP address");
        }
    }
}
