package io.pspgateway.bench;

import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.HeldPacket;
import io.pspgateway.dataplane.HoldReason;
import io.pspgateway.dataplane.MissQueue;
import io.pspgateway.dataplane.doca.dpdk.DpdkPort;
import io.pspgateway.dataplane.doca.dpdk.DpdkShim;
import io.pspgateway.dataplane.doca.dpdk.DpdkSlowPath;
import io.pspgateway.dataplane.doca.dpdk.Eal;
import io.pspgateway.dataplane.doca.dpdk.PacketBurst;
import io.pspgateway.psp.InnerPackets;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The doca backend's slow path over DPDK's ring driver (no NIC, no hugepages): misses sent into a
 * poller's receive queue until the miss queue hands them out, and held packets re-injected until
 * they come back, each beside the bare shim moving the same packets in the same run (a burst sent
 * and received again, no sorting, no Java objects). What is timed is the slow path's own work on
 * the CPU; a NIC's queues are faster than the ring, and that is not measured here. Usage:
 * {@code DpdkSlowPathBenchmark SHIM [packets (default 200000)] [rounds (default 5)]}. Prints a markdown table.
 */
public final class DpdkSlowPathBenchmark {
    private static final int BURST = 32;
    private static final int POLLERS = 1;
    private static final int LOOP = 1;

    private DpdkSlowPathBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path shim = Path.of(args[0]);
        int packets = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        Eal eal = Eal.start(DpdkShim.load(shim), List.of("--no-huge", "-m", "256", "--no-pci", "--no-shconf", "-l", "0",
                "--vdev=net_ring0", "--log-level=lib.eal:warning"));
        // rx queue 0 is the poller's; queue 1 (rx and tx) is the re-injection queue's loop back
        try (DpdkPort port = DpdkPort.open(eal, 0, new DpdkPort.Settings(POLLERS + 1, POLLERS + 1, 1024, 8191, 2176, false));
             PacketBurst burst = new PacketBurst(BURST, 2048)) {
            byte[] frame = InnerPackets.ethernet(InnerPackets.udp(InetAddress.getByName("10.1.0.1"), InetAddress.getByName("10.2.0.7"), 1));
            for (int i = 0; i < BURST; i++) {
                burst.put(i, frame, 0);
            }
            HeldPacket held = new HeldPacket(HoldReason.MISS, FlowKey.of(InetAddress.getByName("10.1.0.1"),
                    InetAddress.getByName("10.2.0.7")), frame, 0);
            double[][] results = new double[rounds + 1][4];
            for (int r = 0; r <= rounds; r++) {
                results[r][0] = bare(port, burst, 0, packets);
                results[r][1] = misses(port, burst, packets);
                results[r][2] = bare(port, burst, LOOP, packets);
                results[r][3] = reinjections(port, held, packets);
            }
            double[] m = new double[4];
            for (int k = 0; k < 4; k++) {
                double[] column = new double[rounds];
                for (int r = 1; r <= rounds; r++) {
                    column[r - 1] = results[r][k];
                }
                Arrays.sort(column);
                m[k] = column[rounds / 2];
            }
            System.out.printf(Locale.ROOT, "| %,d packets of %d bytes, median of %d rounds (after one warm-up) | bare shim, packets/s | slow path, packets/s | slow path vs bare |%n",
                    packets, frame.length, rounds);
            System.out.println("|---|---|---|---|");
            System.out.printf(Locale.ROOT, "| misses: sent to a poller's queue, taken from the miss queue | %,.0f | %,.0f | %.2f× |%n", m[0], m[1], m[1] / m[0]);
            System.out.printf(Locale.ROOT, "| re-injection: one held packet at a time, back on its queue | %,.0f | %,.0f | %.2f× |%n", m[2], m[3], m[3] / m[2]);
        }
    }

    /** The bare shim: bursts sent on {@code queue} and received again from it, no poller running. */
    private static double bare(DpdkPort port, PacketBurst burst, int queue, int packets) {
        try (PacketBurst in = new PacketBurst(BURST, 2048)) {
            long t0 = System.nanoTime();
            for (int moved = 0; moved < packets; ) {
                int sent = port.send(queue, burst, BURST);
                for (int got = 0; got < sent; ) {
                    got += port.receive(queue, in);
                }
                moved += sent;
            }
            return packets / ((System.nanoTime() - t0) / 1e9);
        }
    }

    /** Misses through the slow path: bursts into the poller's queue, drained from the miss queue as the miss poller would. */
    private static double misses(DpdkPort port, PacketBurst burst, int packets) {
        MissQueue queue = new MissQueue(1 << 16);
        try (DpdkSlowPath path = DpdkSlowPath.start(port, queue, new DpdkSlowPath.Settings(POLLERS, BURST, 2048, Duration.ofMillis(1), 4))) {
            List<HeldPacket> taken = new ArrayList<>(1024);
            long t0 = System.nanoTime();
            int drained = 0;
            for (int sent = 0; sent < packets || drained < sent; ) {
                if (sent < packets && sent - drained < 4096) {
                    sent += port.send(0, burst, BURST);
                }
                taken.clear();
                drained += queue.drain(taken, 1024);
            }
            return packets / ((System.nanoTime() - t0) / 1e9);
        }
    }

    /** Re-injections, one held packet per call as the control plane makes them, received back from the loop. */
    private static double reinjections(DpdkPort port, HeldPacket held, int packets) {
        MissQueue queue = new MissQueue(2);
        try (DpdkSlowPath path = DpdkSlowPath.start(port, queue, new DpdkSlowPath.Settings(POLLERS, BURST, 2048, Duration.ofMillis(1), 4));
             PacketBurst in = new PacketBurst(BURST, 2048)) {
            long t0 = System.nanoTime();
            int back = 0;
            for (int sent = 0; sent < packets; sent++) {
                path.reinject(held);
                if ((sent & (BURST - 1)) == BURST - 1) {
                    back += drainLoop(port, in);
                }
            }
            long failed = path.counters().drops().values().stream().mapToLong(Long::longValue).sum();
            while (back + failed < packets) {
                back += drainLoop(port, in);
            }
            if (failed > 0) {
                throw new IllegalStateException(failed + " re-injections failed: the loop's ring was full");
            }
            return packets / ((System.nanoTime() - t0) / 1e9);
        }
    }

    private static int drainLoop(DpdkPort port, PacketBurst in) {
        int n = 0;
        for (int got; (got = port.receive(LOOP, in)) > 0; ) {
            n += got;
        }
        return n;
    }
}
