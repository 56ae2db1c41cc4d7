package io.pspgateway.bench;

import com.typesafe.config.ConfigFactory;
import io.pspgateway.control.DataplaneActor;
import io.pspgateway.control.PerfCounters;
import io.pspgateway.dataplane.EncryptEntry;
import io.pspgateway.dataplane.port.MemoryPort;
import io.pspgateway.dataplane.soft.SoftDataplane;
import io.pspgateway.dataplane.soft.SoftDataplaneSettings;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Tunnel installs — program a crypto slot and add the encrypt entry that uses it — on an otherwise
 * idle machine: straight into the soft data plane (the baseline), and through the Dataplane
 * actor, one {@code Install} message per {@value #BATCH} tunnels as sessions send a batch's, timed both by the actor's
 * own counter ({@code --perf-print insertion}) and from the first message to the last reply.
 * Each way runs three rounds; the last is reported. Usage: InsertionBenchmark [N] (default 200 000).
 */
public final class InsertionBenchmark {
    /** Tunnels per Install message: about what one miss-poller batch brings to a session. */
    private static final int BATCH = 256;
    private InsertionBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        EncryptEntry[] entries = entries(n, n);
        byte[] key = new byte[PspVersion.V1.keyBytes()];
        double direct = 0;
        double actorWall = 0;
        String actorLine = "";
        String actorCpuLine = "";
        for (int round = 0; round < 3; round++) {
            SoftDataplane dp = dataplane(n);
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                dp.programKeySlot(i, PspVersion.V1, key);
                dp.addEncryptEntry(entries[i]);
            }
            direct = n / ((System.nanoTime() - t0) / 1e9);
            dp.close();

            SoftDataplane viaActor = dataplane(n);
            PerfCounters perf = new PerfCounters();
            CountDownLatch done = new CountDownLatch(n);
            ActorSystem<DataplaneActor.Command> system = ActorSystem.create(Behaviors.setup(ctx -> {
                ActorRef<DataplaneActor.Command> actor = ctx.spawn(DataplaneActor.create(viaActor, perf, false), "dataplane",
                        DispatcherSelector.fromConfig("pspgw.dataplane-dispatcher"));
                return Behaviors.receiveMessage(m -> {
                    actor.tell(m);
                    return Behaviors.same();
                });
            }), "insertion-benchmark", ConfigFactory.load());
            ActorRef<DataplaneActor.Installed> replies = system.systemActorOf(Behaviors.receiveMessage(r -> {
                for (DataplaneActor.InstallResult result : r.results()) {
                    if (result.failure() != null) {
                        throw new IllegalStateException("install failed: " + result.failure());
                    }
                    done.countDown();
                }
                return Behaviors.same();
            }), "replies", org.apache.pekko.actor.typed.Props.empty());
            long t1 = System.nanoTime();
            // in messages of a session's size: the directions of one miss batch
            for (int from = 0; from < n; from += BATCH) {
                List<DataplaneActor.Slotted> batch = new ArrayList<>(BATCH);
                for (int i = from; i < Math.min(n, from + BATCH); i++) {
                    batch.add(new DataplaneActor.Slotted(i, key.clone(), entries[i]));
                }
                system.tell(new DataplaneActor.Install(batch, replies));
            }
            if (!done.await(120, TimeUnit.SECONDS)) {
                throw new IllegalStateException("only " + (n - done.getCount()) + " of " + n + " installs answered");
            }
            actorWall = n / ((System.nanoTime() - t1) / 1e9);
            actorLine = perf.insertionLine();
            actorCpuLine = perf.read().insertionCpuLine();
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
            viaActor.close();
        }
        System.out.printf(Locale.ROOT, "| installs (slot + entry), idle machine, %,d | per second | vs direct |%n|---|---|---|%n", n);
        System.out.printf(Locale.ROOT, "| straight into the soft data plane (baseline) | %,.0f | 1.00× |%n", direct);
        System.out.printf(Locale.ROOT, "| through the Dataplane actor, first message to last reply | %,.0f | %.2f× |%n", actorWall,
                actorWall / direct);
        System.out.printf(Locale.ROOT, "| the actor's own count (`--perf-print insertion`) | %s | |%n", actorLine);
        System.out.printf(Locale.ROOT, "| the same over its thread's CPU time | %s | |%n", actorCpuLine);
    }

    private static SoftDataplane dataplane(int slots) {
        return new SoftDataplane(SoftDataplaneSettings.defaults().withKeySlots(slots), MemoryPort.link("h", "p", 2)[1],
                MemoryPort.link("w", "s", 2)[1]);
    }

    /**
     * {@code n} tunnels from distinct IPv4 VIPs to one peer VIP, the i-th on key slot i mod {@code slots}:
     * what the install benchmarks insert.
     */
    static EncryptEntry[] entries(int n, int slots) throws Exception {
        InetAddress local = InetAddress.getByName("192.0.2.1");
        InetAddress peer = InetAddress.getByName("192.0.2.2");
        InetAddress destination = InetAddress.getByName("10.255.255.254");
        EncryptEntry[] entries = new EncryptEntry[n];
        for (int i = 0; i < n; i++) {
            InetAddress source = InetAddress.getByAddress(new byte[] {10, (byte) (i >>> 16), (byte) (i >>> 8), (byte) i});
            entries[i] = new EncryptEntry(source, destination, i % slots, i + 1, PspVersion.V1, PspMode.TUNNEL, 5, null, local, peer, null);
        }
        return entries;
    }
}
