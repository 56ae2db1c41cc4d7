package io.pspgateway.dataplane.doca.dpdk;

import io.pspgateway.dataplane.Destinations;
import io.pspgateway.dataplane.DropReason;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.dataplane.HeldPacket;
import io.pspgateway.dataplane.HoldReason;
import io.pspgateway.dataplane.MissQueue;
import io.pspgateway.dataplane.ReasonCounts;
import io.pspgateway.dataplane.SlowPathCounters;
import io.pspgateway.dataplane.doca.DocaPipeline;
import io.pspgateway.dataplane.doca.SlowPath;
import io.pspgateway.psp.Ethernet;
import io.pspgateway.psp.Ip;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The doca backend's slow path (BACKEND-NOTES 2.13): the packets the NIC sends to the CPU through
 * the PF's receive queues, and the held packets that go back.
 *
 * <p>One poller thread per receive queue copies each burst out of its mbufs at once (the shim
 * frees them before {@link DpdkPort#receive} returns) and sorts it by the flow metadata the pipes
 * set ({@link DocaPipeline}'s tags): sampled copies go to the miss queue as samples, never as
 * misses; ARP and neighbour solicitations from the VF are answered on the poller's own transmit
 * queue (same number) tagged for the egress root to deliver to the VF; every other IP packet
 * missed the encrypt table and is held in the {@link MissQueue}. Everything else is counted as a
 * drop.
 *
 * <p>Re-injection has a transmit queue of its own (number {@code pollers}), since a DPDK queue is
 * not thread safe: a held packet goes back tagged as the VF's own traffic (no metadata), enters
 * the egress root and now hits the encrypt entry its tunnel installed.
 */
public final class DpdkSlowPath implements SlowPath, AutoCloseable {
    /** Attempts to put one held packet back before it is dropped, as the original. */
    static final int REINJECT_TRIES = 10;
    private static final long IDLE_MIN_NANOS = 10_000;

    private static final Logger log = LoggerFactory.getLogger(DpdkSlowPath.class);

    /**
     * @param pollers        receive queues polled, one thread each (queues 0 to pollers - 1)
     * @param burst          packets one receive takes at most
     * @param slot           bytes kept of one packet (longer ones are dropped, counted)
     * @param idleMax        the longest a poller sleeps when its queue is empty (the sleep starts
     *                       at 10 µs and doubles): the most a first miss after a quiet spell waits
     * @param innerIpVersion the inner IP version the pipeline serves (4 or 6): a miss of the other is dropped
     */
    public record Settings(int pollers, int burst, int slot, Duration idleMax, int innerIpVersion) {
        public Settings {
            if (pollers < 1 || burst < 1 || burst > DpdkShim.BURST_MAX || slot < 64 || idleMax.toNanos() < IDLE_MIN_NANOS
                    || innerIpVersion != 4 && innerIpVersion != 6) {
                throw new IllegalArgumentException("slow path settings out of range: " + this);
            }
        }
    }

    private final DpdkPort port;
    private final MissQueue misses;
    private final Settings settings;
    private final byte[] mac;
    private final List<Thread> pollers = new ArrayList<>();
    private final PacketBurst reinjection;
    private final int reinjectQueue;
    private final LongAdder received = new LongAdder();
    private final LongAdder arpAnswered = new LongAdder();
    private final LongAdder ndAnswered = new LongAdder();
    private final LongAdder reinjected = new LongAdder();
    private final ReasonCounts<HoldReason> held = new ReasonCounts<>(HoldReason.class);
    private final ReasonCounts<DropReason> drops = new ReasonCounts<>(DropReason.class);
    private volatile boolean running = true;

    private DpdkSlowPath(DpdkPort port, MissQueue misses, Settings settings) {
        this.port = port;
        this.misses = misses;
        this.settings = settings;
        this.mac = port.mac();
        this.reinjectQueue = settings.pollers();
        this.reinjection = new PacketBurst(1, settings.slot());
    }

    /**
     * Starts one poller per receive queue of {@code port} up to {@code settings.pollers()}, feeding
     * {@code misses}. The port must have that many receive queues and one transmit queue more.
     */
    public static DpdkSlowPath start(DpdkPort port, MissQueue misses, Settings settings) {
        DpdkPort.Settings queues = port.settings();
        if (queues.rxQueues() < settings.pollers() || queues.txQueues() < settings.pollers() + 1) {
            throw new IllegalArgumentException(settings.pollers() + " pollers need " + settings.pollers() + " receive and "
                    + (settings.pollers() + 1) + " transmit queues; port " + port.id() + " has " + queues.rxQueues() + " and "
                    + queues.txQueues());
        }
        DpdkSlowPath path = new DpdkSlowPath(port, misses, settings);
        for (int q = 0; q < settings.pollers(); q++) {
            path.pollers.add(Thread.ofPlatform().name("pspgw-rss-" + q).daemon(true).start(path.new Poller(q)));
        }
        log.info("slow path on DPDK port {}: {} poller(s), re-injection on transmit queue {}", port.id(), settings.pollers(),
                path.reinjectQueue);
        return path;
    }

    /** One receive queue's poller thread: its bursts, and whether its queue is failing now. */
    private final class Poller implements Runnable {
        private final int queue;
        private boolean failing;
        private boolean sortFailed;

        Poller(int queue) {
            this.queue = queue;
        }

        @Override
        public void run() {
            try (PacketBurst in = new PacketBurst(settings.burst(), settings.slot());
                 PacketBurst answers = new PacketBurst(settings.burst(), settings.slot())) {
                long idle = IDLE_MIN_NANOS;
                while (running) {
                    int n = receive(in);
                    if (n == 0) {
                        LockSupport.parkNanos(idle);
                        idle = Math.min(idle * 2, settings.idleMax().toNanos());
                        continue;
                    }
                    idle = IDLE_MIN_NANOS;
                    int replies = 0;
                    for (int i = 0; i < n; i++) {
                        try {
                            replies += sort(in, i, answers, replies);
                        } catch (RuntimeException bug) {
                            // one packet the sorting could not handle: counted, and the poller goes on
                            drops.increment(DropReason.INTERNAL_ERROR);
                            if (!sortFailed) {
                                sortFailed = true;
                                log.warn("a packet on queue {} could not be sorted (this and later ones counted as INTERNAL_ERROR)",
                                        queue, bug);
                            }
                        }
                    }
                    if (replies > 0) {
                        answer(queue, answers, replies);
                    }
                    // counted once handled: whoever sees a burst received sees what became of each packet
                    received.add(n);
                }
            }
        }

        /** A receive that throws is counted and the poller goes on; logged when the queue starts failing, not at every poll. */
        private int receive(PacketBurst in) {
            try {
                int n = port.receive(queue, in);
                if (failing) {
                    failing = false;
                    log.info("receive on queue {} works again", queue);
                }
                return n;
            } catch (RuntimeException e) {
                drops.increment(DropReason.INTERNAL_ERROR);
                if (!failing) {
                    failing = true;
                    log.warn("receive on queue {} failed (counted as INTERNAL_ERROR until it works again)", queue, e);
                }
                return 0;
            }
        }
    }

    /** Sorts packet {@code i} of {@code in}; puts an answer it needs at {@code answers[next]} and returns 1 then, else 0. */
    private int sort(PacketBurst in, int i, PacketBurst answers, int next) {
        if (in.length(i) > in.slot()) {
            return drop(DropReason.PORT_RECEIVE_DROPS);
        }
        int meta = in.metadata(i);
        byte[] frame = in.packet(i);
        if (meta == DocaPipeline.INGRESS_SAMPLE_TAG || meta == DocaPipeline.EGRESS_SAMPLE_TAG) {
            hold(meta == DocaPipeline.INGRESS_SAMPLE_TAG ? HoldReason.INGRESS_SAMPLE : HoldReason.EGRESS_SAMPLE, flowOf(frame), frame,
                    DropReason.SAMPLE_COPY_LOST);
            return 0;
        }
        if (NeighbourReplies.isNeighbourDiscovery(frame)) {
            byte[] answer = NeighbourReplies.answer(frame, mac);
            if (answer == null) {
                return drop(DropReason.NEIGHBOUR_NOT_ANSWERED);
            }
            (Ethernet.type(frame) == Ethernet.TYPE_ARP ? arpAnswered : ndAnswered).increment();
            answers.put(next, answer, DocaPipeline.TO_VF_TAG);
            return 1;
        }
        int type = Ethernet.type(frame);
        int l3 = Ethernet.HEADER;
        boolean ipv6 = type == Ethernet.TYPE_IPV6;
        if (!(ipv6 ? frame.length >= l3 + Ip.IPV6_HEADER && Ip.version(frame, l3) == 6
                : type == Ethernet.TYPE_IPV4 && frame.length >= l3 + Ip.IPV4_MIN_HEADER && Ip.version(frame, l3) == 4)) {
            return drop(DropReason.EGRESS_MALFORMED);
        }
        if ((ipv6 ? 6 : 4) != settings.innerIpVersion()) {
            return drop(DropReason.MISS_OTHER_INNER_VERSION);
        }
        if (Destinations.untunnellable(frame, l3, ipv6)) {
            return drop(DropReason.MISS_UNTUNNELLABLE_DESTINATION);
        }
        hold(HoldReason.MISS, new FlowKey().setFromPacket(frame, l3, ipv6, 0).copy(), frame, DropReason.MISS_QUEUE_FULL);
        return 0;
    }

    /** The VIP pair of a sampled frame, or an empty key when it carries no IP header we read. */
    private static FlowKey flowOf(byte[] frame) {
        int type = Ethernet.type(frame);
        int l3 = Ethernet.HEADER;
        if (type == Ethernet.TYPE_IPV4 && frame.length >= l3 + Ip.IPV4_MIN_HEADER) {
            return new FlowKey().setFromPacket(frame, l3, false, 0).copy();
        }
        if (type == Ethernet.TYPE_IPV6 && frame.length >= l3 + Ip.IPV6_HEADER) {
            return new FlowKey().setFromPacket(frame, l3, true, 0).copy();
        }
        return new FlowKey().copy();
    }

    private void hold(HoldReason reason, FlowKey flow, byte[] frame, DropReason whenFull) {
        if (misses.offer(new HeldPacket(reason, flow, frame, System.nanoTime()))) {
            held.increment(reason);
        } else {
            drops.increment(whenFull);
        }
    }

    private int drop(DropReason reason) {
        drops.increment(reason);
        return 0;
    }

    private void answer(int queue, PacketBurst answers, int count) {
        int sent;
        try {
            sent = port.send(queue, answers, count);
        } catch (RuntimeException e) {
            sent = 0;
        }
        drops.add(DropReason.NEIGHBOUR_REPLY_LOST, count - sent);
    }

    /**
     * Puts a held packet back into the egress root through the re-injection queue, trying
     * {@value #REINJECT_TRIES} times while the queue is full; a packet it cannot put back is
     * counted as {@link DropReason#REINJECT_FAILED}. Any thread; one at a time.
     */
    @Override
    public void reinject(HeldPacket packet) {
        if (packet.packet().length > settings.slot()) {
            drops.increment(DropReason.REINJECT_FAILED);
            return;
        }
        synchronized (reinjection) {
            if (!running) {
                drops.increment(DropReason.REINJECT_FAILED);
                return;
            }
            reinjection.put(0, packet.packet(), DocaPipeline.TO_ENCRYPT_TAG);
            for (int tries = 0; tries < REINJECT_TRIES; tries++) {
                try {
                    if (port.send(reinjectQueue, reinjection, 1) == 1) {
                        reinjected.increment();
                        return;
                    }
                } catch (DpdkException e) {
                    // no mbuf now: the pollers free theirs at once, so the next try may find one
                }
            }
            drops.increment(DropReason.REINJECT_FAILED);
        }
    }

    @Override
    public MissQueue missQueue() {
        return misses;
    }

    @Override
    public Counters counters() {
        return new Counters(new SlowPathCounters(received.sum(), arpAnswered.sum(), ndAnswered.sum(), reinjected.sum()),
                held.nonZero(), drops.nonZero());
    }

    /** Stops the pollers and waits for them; the port stays open (its owner closes it). Idempotent. */
    @Override
    public void close() {
        synchronized (reinjection) {
            if (!running) {
                return;
            }
            running = false;
        }
        for (Thread t : pollers) {
            LockSupport.unpark(t);
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (reinjection) {
            reinjection.close();
        }
    }
}
