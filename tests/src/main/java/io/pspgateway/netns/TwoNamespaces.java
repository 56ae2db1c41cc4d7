package io.pspgateway.netns;

import io.pspgateway.dataplane.LocalTunnel;
import io.pspgateway.dataplane.port.linux.NetworkNamespace;
import io.pspgateway.dataplane.port.linux.TunPort;
import io.pspgateway.dataplane.port.linux.UdpPort;
import io.pspgateway.dataplane.soft.SoftDataplane;
import io.pspgateway.dataplane.soft.SoftDataplaneSettings;
import io.pspgateway.netns.NamespaceNetwork;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Two test hosts on this machine: network namespaces A and B joined by a veth pair with the
 * physical addresses of {@link NamespaceNetwork} (TEST-NET-2, never routed). On top of it, either
 * our soft data planes (TUN {@code psp0} with VIPs 10.0.0.1 / 10.0.0.2, UDP/1000 on the veth
 * addresses) or a WireGuard tunnel for comparison. Everything is removed on {@link #close()}.
 * Needs root, iproute2 and ethtool (GRO on the veth); what it runs needs ping, iperf3, tcpdump, wireguard-go.
 */
public final class TwoNamespaces implements AutoCloseable {
    public static final String PHYS_A = NamespaceNetwork.physical(0);
    public static final String PHYS_B = NamespaceNetwork.physical(1);
    public static final String VIP_A = "10.0.0.1";
    public static final String VIP_B = "10.0.0.2";
    /** Inner MTU: the veth's 1500 less the PSP tunnel overhead (IPv4 + UDP + PSP header + ICV = 60). */
    public static final int TUNNEL_MTU = 1440;

    public final String a;
    public final String b;
    private final String vethA;
    private final String vethB;
    private final List<AutoCloseable> resources = new ArrayList<>();

    private TwoNamespaces(String tag) {
        a = "pspgw-a-" + tag;
        b = "pspgw-b-" + tag;
        vethA = "pva" + tag;
        vethB = "pvb" + tag;
    }

    /** Why this machine cannot run it ("" when it can): not root, or a tool is missing. */
    public static String unavailableBecause(String... tools) {
        String[] all = java.util.Arrays.copyOf(tools, tools.length + 1);
        all[tools.length] = "ethtool";
        return NamespaceNetwork.unavailableBecause(all);
    }

    /** The IPv6 physical addresses of {@link #createDualStack()} (documentation prefix, never routed). */
    public static final String PHYS6_A = "2001:db8::1";
    public static final String PHYS6_B = "2001:db8::2";

    /** Creates both namespaces and the veth between them, IPv4-addressed and up, IPv6 off. */
    public static TwoNamespaces create() throws IOException {
        return create(false);
    }

    /**
     * As {@link #create()}, with IPv6 on and the veth ends also at {@link #PHYS6_A} / {@link #PHYS6_B}
     * (/64, no duplicate address detection, so they are usable at once). With IPv6 on, the kernel
     * sends its own router solicitations and MLD reports, into a TUN device too: the gateway has to
     * ignore them.
     */
    public static TwoNamespaces createDualStack() throws IOException {
        return create(true);
    }

    private static TwoNamespaces create(boolean ipv6) throws IOException {
        TwoNamespaces n = new TwoNamespaces(Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xFFFFF)));
        try {
            run("ip", "netns", "add", n.a);
            run("ip", "netns", "add", n.b);
            run("ip", "link", "add", n.vethA, "type", "veth", "peer", "name", n.vethB);
            run("ip", "link", "set", n.vethA, "netns", n.a);
            run("ip", "link", "set", n.vethB, "netns", n.b);
            for (String[] side : new String[][] {{n.a, n.vethA, PHYS_A, PHYS6_A}, {n.b, n.vethB, PHYS_B, PHYS6_B}}) {
                run("ip", "-n", side[0], "addr", "add", side[2] + "/24", "dev", side[1]);
                if (ipv6) {
                    run("ip", "-n", side[0], "addr", "add", side[3] + "/64", "dev", side[1], "nodad");
                } else {
                    run("ip", "netns", "exec", side[0], "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1");
                }
                run("ip", "-n", side[0], "link", "set", side[1], "up");
                run("ip", "-n", side[0], "link", "set", "lo", "up");
                // a fresh veth has GRO off, and without it no UDP GRO train ever forms: on, for every variant alike
                run("ip", "netns", "exec", side[0], "ethtool", "-K", side[1], "gro", "on");
            }
        } catch (IOException e) {
            n.close();
            throw e;
        }
        return n;
    }

    public String vethOf(String ns) {
        return ns.equals(a) ? vethA : vethB;
    }

    /** Our soft data planes in both namespaces, with offloads, tunnels A to B and B to A set up statically. */
    public SoftDataplane[] startSoftGateways(SoftDataplaneSettings settings) throws IOException {
        return startSoftGateways(settings, true);
    }

    /** As above, with the ports' offloads on or forced off. */
    public SoftDataplane[] startSoftGateways(SoftDataplaneSettings settings, boolean offloads) throws IOException {
        SoftDataplane[] planes = new SoftDataplane[2];
        String[][] sides = {{a, PHYS_A, VIP_A}, {b, PHYS_B, VIP_B}};
        for (int i = 0; i < 2; i++) {
            String ns = sides[i][0];
            InetSocketAddress uplink = new InetSocketAddress(InetAddress.getByName(sides[i][1]), 1000);
            NetworkNamespace namespace = NetworkNamespace.named(ns);
            TunPort tun = namespace.call(() -> TunPort.open("psp0", offloads));
            UdpPort udp = namespace.call(() -> UdpPort.bind(uplink, settings.batchSize(), offloads));
            run("ip", "-n", ns, "addr", "add", sides[i][2] + "/24", "dev", "psp0");
            run("ip", "-n", ns, "link", "set", "psp0", "mtu", Integer.toString(TUNNEL_MTU), "up");
            planes[i] = new SoftDataplane(settings, tun, udp);
            resources.add(planes[i]);
        }
        LocalTunnel.End endA = new LocalTunnel.End(planes[0], InetAddress.getByName(PHYS_A), InetAddress.getByName(VIP_A));
        LocalTunnel.End endB = new LocalTunnel.End(planes[1], InetAddress.getByName(PHYS_B), InetAddress.getByName(VIP_B));
        LocalTunnel.connect(endA, endB, 0, PspMode.TUNNEL, PspVersion.V0);
        LocalTunnel.connect(endB, endA, 0, PspMode.TUNNEL, PspVersion.V0);
        planes[0].start();
        planes[1].start();
        return planes;
    }

    /** Runs a command inside namespace {@code ns}; returns its output, throws when it fails. */
    public String exec(String ns, String... command) throws IOException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        full.addAll(List.of(command));
        return run(full.toArray(String[]::new));
    }

    /** Starts a command inside {@code ns} in the background; it is killed on {@link #close()}. */
    public Process start(String ns, String... command) throws IOException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        full.addAll(List.of(command));
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        resources.add(p::destroyForcibly);
        return p;
    }

    /** Runs a command; its output, or an IOException with the output when it exits non-zero. */
    public static String run(String... command) throws IOException {
        return NamespaceNetwork.run(command);
    }

    @Override
    public void close() {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                // keep tearing down the rest
            }
        }
        resources.clear();
        for (String ns : new String[] {a, b}) {
            try {
                run("ip", "netns", "del", ns);
            } catch (IOException e) {
                // it may never have been created
            }
        }
    }
}
