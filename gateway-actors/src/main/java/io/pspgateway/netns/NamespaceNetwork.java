package io.pspgateway.netns;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Test hosts on this machine: N network namespaces, each with one veth into a shared Linux
 * bridge and the physical address 198.51.100.(i+1)/24 (TEST-NET-2, never routed anywhere; not
 * TEST-NET-1, which some machines here use for their own uplink and whose traffic the host's
 * bridge netfilter then treats as its own). Built
 * with iproute2; everything is removed on {@link #close()}. Needs root. Where ethtool is
 * installed, GRO is turned on on each namespace's veth, as a host's NIC has it, so the gateways'
 * UDP GRO takes effect.
 */
public final class NamespaceNetwork implements AutoCloseable {
    private final String tag;
    private final List<String> namespaces = new ArrayList<>();
    private final String bridge;

    private NamespaceNetwork(String tag) {
        this.tag = tag;
        this.bridge = "pgbr" + tag;
    }

    /** Why this machine cannot build one ("" when it can): not root, or a tool is missing. */
    public static String unavailableBecause(String... tools) {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "needs root (network namespaces, TUN devices); running as " + System.getProperty("user.name");
        }
        for (String tool : tools) {
            if (!onPath(tool)) {
                return tool + " is not installed (scripts/install-test-tools installs it)";
            }
        }
        return "";
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (new File(dir, tool).canExecute()) {
                return true;
            }
        }
        return false;
    }

    /** Creates {@code n} namespaces on one bridge, addressed and up, IPv6 off (no stray router solicitations). */
    public static NamespaceNetwork create(int n) throws IOException {
        NamespaceNetwork net = new NamespaceNetwork(Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xFFFFF)));
        try {
            run("ip", "link", "add", net.bridge, "type", "bridge");
            run("ip", "link", "set", net.bridge, "up");
            for (int i = 0; i < n; i++) {
                String ns = "pspgw-" + net.tag + "-" + i;
                run("ip", "netns", "add", ns);
                net.namespaces.add(ns);
                String outside = "pgo" + i + net.tag;
                String inside = "pgi" + i + net.tag;
                run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside);
                run("ip", "link", "set", outside, "master", net.bridge, "up");
                run("ip", "link", "set", inside, "netns", ns);
                run("ip", "-n", ns, "addr", "add", physical(i) + "/24", "dev", inside);
                run("ip", "-n", ns, "link", "set", inside, "up");
                run("ip", "-n", ns, "link", "set", "lo", "up");
                if (onPath("ethtool")) {
                    // a fresh veth has GRO off; the gateways' UDP GRO trains form only with it on
                    run("ip", "netns", "exec", ns, "ethtool", "-K", inside, "gro", "on");
                }
                run("ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1");
            }
        } catch (IOException e) {
            net.close();
            throw e;
        }
        return net;
    }

    /** The physical address of host {@code i}. */
    public static String physical(int i) {
        return "198.51.100." + (i + 1);
    }

    public String namespace(int i) {
        return namespaces.get(i);
    }

    public int size() {
        return namespaces.size();
    }

    /** Runs a command inside host {@code i}'s namespace; its output, or an IOException when it fails. */
    public String exec(int i, String... command) throws IOException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace(i)));
        full.addAll(List.of(command));
        return run(full.toArray(String[]::new));
    }

    /** Runs a command; its output, or an IOException with the output when it exits non-zero. */
    public static String run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out;
        try {
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + ": timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
        if (p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": " + out.strip());
        }
        return out;
    }

    @Override
    public void close() {
        for (String ns : namespaces) {
            try {
                run("ip", "netns", "del", ns);
            } catch (IOException e) {
                // keep removing the rest
            }
        }
        try {
            run("ip", "link", "del", bridge);
        } catch (IOException e) {
            // it may never have been created
        }
    }
}
