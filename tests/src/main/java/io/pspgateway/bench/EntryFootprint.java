package io.pspgateway.bench;

import io.pspgateway.dataplane.EncryptEntry;
import io.pspgateway.dataplane.port.MemoryPort;
import io.pspgateway.dataplane.soft.SoftDataplane;
import io.pspgateway.dataplane.soft.SoftDataplaneSettings;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.net.InetAddress;
import java.util.function.Consumer;

/**
 * Memory and install time of the soft data plane's tables: N encrypt entries (distinct VIP
 * pairs, one SPI each, all behind one peer and one key slot) and N ingress ACL entries, each
 * table in a data plane of its own. Memory is the heap delta across the installs after full
 * GCs; time is the wall time of the {@code add} calls alone (the callers' entry records are
 * built beforehand). Usage: EntryFootprint [N] (default 1 000 000). Prints a markdown table.
 */
public final class EntryFootprint {
    private EntryFootprint() {
    }

    private record Result(double bytesPerEntry, double seconds) {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        InetAddress local = InetAddress.getByName("192.0.2.1");
        InetAddress peer = InetAddress.getByName("192.0.2.2");
        InetAddress destination = InetAddress.getByName("10.255.255.254");
        InetAddress[] sources = new InetAddress[n];
        EncryptEntry[] entries = new EncryptEntry[n];
        for (int i = 0; i < n; i++) {
            sources[i] = InetAddress.getByAddress(new byte[] {10, (byte) (i >>> 16), (byte) (i >>> 8), (byte) i});
            entries[i] = new EncryptEntry(sources[i], destination, 0, i + 1, PspVersion.V0, PspMode.TUNNEL, 5, null,
                    local, peer, null);
        }
        Result encrypt = measure(n, dp -> {
            for (EncryptEntry e : entries) {
                dp.addEncryptEntry(e);
            }
            check(dp.encryptEntryCount() == n);
        });
        Result acl = measure(n, dp -> {
            for (int i = 0; i < n; i++) {
                dp.addIngressAcl(i + 1, sources[i], destination);
            }
            check(dp.ingressAclCount() == n);
        });
        Reference.reachabilityFence(entries);
        System.out.printf("| table | entries | bytes per entry | install time | entries/s |%n|---|---|---|---|---|%n");
        print("encrypt (egress ACL + action)", n, encrypt);
        print("ingress ACL", n, acl);
    }

    private static void print(String table, int n, Result r) {
        System.out.printf("| %s | %,d | %.0f | %.2f s | %,.0f |%n", table, n, r.bytesPerEntry(), r.seconds(), n / r.seconds());
    }

    private static void check(boolean ok) {
        if (!ok) {
            throw new IllegalStateException("not every entry was installed");
        }
    }

    private static Result measure(int n, Consumer<SoftDataplane> install) throws InterruptedException {
        SoftDataplane dp = new SoftDataplane(SoftDataplaneSettings.defaults(), MemoryPort.link("h", "p", 2)[1],
                MemoryPort.link("w", "s", 2)[1]);
        dp.programKeySlot(0, PspVersion.V0, new byte[16]);
        long before = usedHeap();
        long t0 = System.nanoTime();
        install.accept(dp);
        long nanos = System.nanoTime() - t0;
        long after = usedHeap();
        Reference.reachabilityFence(dp);
        dp.close();
        return new Result((after - before) / (double) n, nanos / 1e9);
    }

    private static long usedHeap() throws InterruptedException {
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
