package io.pspgateway.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.pspgateway.psp.IpText;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The original gateway's tunnel file ({@code -c}), with its parsing rules: {@code //} and
 * block comments allowed, unknown keys rejected, duplicate (local VIP, remote VIP) pairs
 * rejected, a {@code remote-vips} CIDR expanded into one pair per address (prefix at least /16 for
 * IPv4, /112 for IPv6), and at most 2^20 peers and 2^20 pairs. Errors name the JSON path.
 *
 * <pre>
 * { "config": { "local-grpc-address": "ip[:port]" },
 *   "peers": [ { "remote-grpc-address": "ip[:port]",
 *                "sessions": [ { "local-vip": "ip", "remote-vips": [ "ip or ip/prefix", ... ] } ] } ] }
 * </pre>
 *
 * @param localGrpc the address to serve gRPC on, or null when the file does not say
 * @param peers     every peer with its VIP pairs
 */
public record TunnelConfig(InetSocketAddress localGrpc, List<Peer> peers) {
    /** The original's gRPC port. */
    public static final int DEFAULT_GRPC_PORT = 3000;
    static final int MAX_PEERS = 1 << 20;
    static final int MAX_PAIRS = 1 << 20;

    /** One peer gateway and the VIP pairs to reach through it. */
    public record Peer(InetSocketAddress grpc, List<Pair> pairs, List<Prefix> remotePrefixes) {
    }

    /** A (local VIP, remote VIP) pair: one tunnel. {@code local} is null when the file leaves it to the VF's address. */
    public record Pair(InetAddress local, InetAddress remote) {
    }

    /** A remote VIP prefix as written in the file, for longest-prefix lookups. */
    public record Prefix(InetAddress network, int length) {
    }

    /** A tunnel file that cannot be used. */
    public static final class ConfigException extends Exception {
        public ConfigException(String message) {
            super(message);
        }
    }

    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    /** An empty configuration: no peers, gRPC on the default address. */
    public static TunnelConfig empty() {
        return new TunnelConfig(null, List.of());
    }

    /** Parses the text of a tunnel file; {@code source} names it in errors. */
    public static TunnelConfig parse(String text, String source) throws ConfigException {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")"));
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException(source + ": the top level must be a JSON object");
        }
        onlyKeys(root, source, "", "config", "peers");
        InetSocketAddress local = null;
        JsonNode config = root.get("config");
        if (config != null) {
            requireObject(config, source, "config");
            onlyKeys(config, source, "config.", "local-grpc-address");
            JsonNode addr = config.get("local-grpc-address");
            if (addr != null) {
                local = hostPort(addr, source, "config.local-grpc-address");
            }
        }
        List<Peer> peers = new ArrayList<>();
        Set<Pair> seen = new HashSet<>();
        JsonNode peerNodes = root.get("peers");
        if (peerNodes != null) {
            if (!peerNodes.isArray()) {
                throw new ConfigException(source + ": peers must be an array");
            }
            if (peerNodes.size() > MAX_PEERS) {
                throw new ConfigException(source + ": " + peerNodes.size() + " peers, more than the " + MAX_PEERS + " allowed");
            }
            Map<InetAddress, Integer> byAddress = new HashMap<>();
            for (int i = 0; i < peerNodes.size(); i++) {
                Peer peer = peer(peerNodes.get(i), source, "peers[" + i + "]", seen);
                // a caller is told apart by its address (its certificate's IP SANs, or its source address
                // in plaintext): two peers at one IP could each claim the other's VIPs
                Integer before = byAddress.putIfAbsent(peer.grpc().getAddress(), i);
                if (before != null) {
                    throw new ConfigException(source + ": peers[" + before + "] and peers[" + i + "] are both at "
                            + IpText.of(peer.grpc().getAddress())
                            + ": callers are told apart by address, so each peer needs an IP of its own");
                }
                peers.add(peer);
            }
        }
        return new TunnelConfig(local, List.copyOf(peers));
    }

    private static Peer peer(JsonNode node, String source, String path, Set<Pair> seen) throws ConfigException {
        requireObject(node, source, path);
        onlyKeys(node, source, path + ".", "remote-grpc-address", "sessions");
        JsonNode addr = node.get("remote-grpc-address");
        if (addr == null) {
            throw new ConfigException(source + ": " + path + ".remote-grpc-address is missing");
        }
        InetSocketAddress grpc = hostPort(addr, source, path + ".remote-grpc-address");
        List<Pair> pairs = new ArrayList<>();
        List<Prefix> prefixes = new ArrayList<>();
        JsonNode sessions = node.get("sessions");
        if (sessions != null) {
            if (!sessions.isArray()) {
                throw new ConfigException(source + ": " + path + ".sessions must be an array");
            }
            for (int s = 0; s < sessions.size(); s++) {
                String sp = path + ".sessions[" + s + "]";
                JsonNode session = sessions.get(s);
                requireObject(session, source, sp);
                onlyKeys(session, source, sp + ".", "local-vip", "remote-vips");
                InetAddress localVip = session.has("local-vip") ? ip(session.get("local-vip"), source, sp + ".local-vip") : null;
                JsonNode remotes = session.get("remote-vips");
                if (remotes == null || !remotes.isArray()) {
                    throw new ConfigException(source + ": " + sp + ".remote-vips must be an array of addresses or prefixes");
                }
                for (int r = 0; r < remotes.size(); r++) {
                    String rp = sp + ".remote-vips[" + r + "]";
                    Prefix prefix = prefix(remotes.get(r), source, rp);
                    if (localVip != null && (localVip.getAddress().length != prefix.network().getAddress().length)) {
                        throw new ConfigException(source + ": " + rp + " is not of the local VIP's IP family");
                    }
                    prefixes.add(prefix);
                    for (InetAddress remote : expand(prefix)) {
                        Pair pair = new Pair(localVip, remote);
                        if (!seen.add(pair)) {
                            throw new ConfigException(source + ": " + rp + ": duplicate pair ("
                                    + (localVip == null ? "VF address" : IpText.of(localVip)) + ", "
                                    + IpText.of(remote) + ")");
                        }
                        if (seen.size() > MAX_PAIRS) {
                            throw new ConfigException(source + ": more than " + MAX_PAIRS + " VIP pairs");
                        }
                        pairs.add(pair);
                    }
                }
            }
        }
        return new Peer(grpc, List.copyOf(pairs), List.copyOf(prefixes));
    }

    private static List<InetAddress> expand(Prefix p) throws ConfigException {
        int bits = p.network().getAddress().length * 8;
        int hostBits = bits - p.length();
        BigInteger base = new BigInteger(1, p.network().getAddress());
        List<InetAddress> out = new ArrayList<>(1 << hostBits);
        for (long i = 0; i < (1L << hostBits); i++) {
            byte[] raw = base.add(BigInteger.valueOf(i)).toByteArray();
            byte[] addr = new byte[bits / 8];
            int copy = Math.min(raw.length, addr.length);
            System.arraycopy(raw, raw.length - copy, addr, addr.length - copy, copy);
            try {
                out.add(InetAddress.getByAddress(addr));
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    private static Prefix prefix(JsonNode node, String source, String path) throws ConfigException {
        if (!node.isTextual()) {
            throw new ConfigException(source + ": " + path + " must be a string");
        }
        String text = node.asText();
        int slash = text.indexOf('/');
        InetAddress network = ipText(slash < 0 ? text : text.substring(0, slash), source, path);
        int bits = network.getAddress().length * 8;
        int length = bits;
        if (slash >= 0) {
            try {
                length = Integer.parseInt(text.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new ConfigException(source + ": " + path + ": '" + text + "' has no valid prefix length");
            }
            int shortest = bits == 32 ? 16 : 112;
            if (length < shortest || length > bits) {
                throw new ConfigException(source + ": " + path + ": prefix /" + length + " must be /" + shortest + " to /" + bits
                        + " (each address becomes a tunnel)");
            }
            // like the original, "11.11.11.11/24" means the /24 that contains it
            BigInteger value = new BigInteger(1, network.getAddress()).shiftRight(bits - length).shiftLeft(bits - length);
            byte[] raw = value.toByteArray();
            byte[] masked = new byte[bits / 8];
            int copy = Math.min(raw.length, masked.length);
            System.arraycopy(raw, raw.length - copy, masked, masked.length - copy, copy);
            try {
                network = InetAddress.getByAddress(masked);
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
        return new Prefix(network, length);
    }

    private static InetSocketAddress hostPort(JsonNode node, String source, String path) throws ConfigException {
        if (!node.isTextual()) {
            throw new ConfigException(source + ": " + path + " must be a string \"ip[:port]\"");
        }
        try {
            return HostPort.parse(node.asText(), DEFAULT_GRPC_PORT);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source + ": " + path + ": " + e.getMessage());
        }
    }

    private static InetAddress ip(JsonNode node, String source, String path) throws ConfigException {
        if (!node.isTextual()) {
            throw new ConfigException(source + ": " + path + " must be a string");
        }
        return ipText(node.asText(), source, path);
    }

    private static InetAddress ipText(String text, String source, String path) throws ConfigException {
        try {
            return HostPort.ip(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(source + ": " + path + ": " + e.getMessage());
        }
    }

    private static void requireObject(JsonNode node, String source, String path) throws ConfigException {
        if (!node.isObject()) {
            throw new ConfigException(source + ": " + path + " must be an object");
        }
    }

    private static void onlyKeys(JsonNode node, String source, String prefix, String... allowed) throws ConfigException {
        Set<String> ok = Set.of(allowed);
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!ok.contains(key)) {
                throw new ConfigException(source + ": unknown key '" + prefix + key + "' (allowed: " + String.join(", ", allowed) + ")");
            }
        }
    }
}
