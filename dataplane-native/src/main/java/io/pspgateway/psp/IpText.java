package io.pspgateway.psp;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Addresses as text, the one way the project writes them: IPv6 in RFC 5952's canonical form
 * ({@code 2001:db8::2}, not the JDK's {@code 2001:db8:0:0:0:0:0:2}), and IPv6 in brackets wherever
 * a port or a URI follows ({@code [2001:db8::2]:3000}). Logs, {@code --stat-print}, the gRPC
 * contract's address strings (the original writes them with {@code inet_ntop}, which gives the same
 * form), HTTP/2 authorities and Pekko addresses all use it.
 */
public final class IpText {
    private IpText() {
    }

    /** {@code 10.0.0.1}, or RFC 5952's form of an IPv6 address (no scope id: VIPs and uplinks are global). */
    public static String of(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return address.getHostAddress();
        }
        byte[] b = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xFF) << 8) | (b[2 * i + 1] & 0xFF);
        }
        // the longest run of two or more zero groups is shortened to "::"; on a tie, the first (RFC 5952 4.2)
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int start = i;
            while (i < 8 && groups[i] == 0) {
                i++;
            }
            if (i - start > bestLength) {
                bestStart = start;
                bestLength = i - start;
            }
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLength - 1;
                continue;
            }
            if (!sb.isEmpty() && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString();
    }

    /** The address as a URI or authority host: IPv6 in brackets ({@code [2001:db8::2]}), IPv4 as it is. */
    public static String host(InetAddress address) {
        return address instanceof Inet6Address ? "[" + of(address) + "]" : of(address);
    }

    /** {@code 10.0.0.1:3000} or {@code [2001:db8::2]:3000}: an HTTP/2 authority, a URI's host and port, a log's peer. */
    public static String of(InetSocketAddress address) {
        return host(address.getAddress()) + ":" + address.getPort();
    }
}
