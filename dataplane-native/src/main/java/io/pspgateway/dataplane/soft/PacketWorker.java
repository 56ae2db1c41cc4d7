package io.pspgateway.dataplane.soft;

import io.pspgateway.dataplane.DropReason;
import io.pspgateway.dataplane.port.PacketPort;
import io.pspgateway.psp.PacketBuffer;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One packet thread (a platform thread, never an actor): receives a batch from one port, runs
 * each packet through one direction of the pipeline, and sends what survives to the other port
 * as a batch. Its buffers are allocated once; nothing is allocated per packet on the way.
 */
final class PacketWorker {
    private static final Logger log = LoggerFactory.getLogger(PacketWorker.class);
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private interface Stage {
        boolean process(PacketContext ctx, PacketBuffer pkt);
    }

    private final SoftDataplane dataplane;
    private final PacketPort in;
    private final PacketPort out;
    private final Stage stage;
    private final DropReason whenOutFull;
    private final Thread thread;
    private long internalErrors;

    private PacketWorker(SoftDataplane dataplane, String name, PacketPort in, PacketPort out, Stage stage,
                         DropReason whenOutFull) {
        this.dataplane = dataplane;
        this.in = in;
        this.out = out;
        this.stage = stage;
        this.whenOutFull = whenOutFull;
        this.thread = Thread.ofPlatform().name(name).daemon(true).unstarted(this::run);
    }

    static PacketWorker egress(SoftDataplane dp, int index) {
        return new PacketWorker(dp, "psp-egress-" + index, dp.plainPort(), dp.securePort(), dp::egress,
                DropReason.EGRESS_PORT_FULL);
    }

    static PacketWorker ingress(SoftDataplane dp, int index) {
        return new PacketWorker(dp, "psp-ingress-" + index, dp.securePort(), dp.plainPort(), dp::ingress,
                DropReason.INGRESS_PORT_FULL);
    }

    void start() {
        thread.start();
    }

    void join() {
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            log.error("{} did not stop within 5 s", thread.getName());
        }
    }

    private void run() {
        SoftDataplaneSettings s = dataplane.settings();
        PacketContext ctx = dataplane.newPacketContext();
        PacketBuffer[] batch = new PacketBuffer[s.batchSize()];
        PacketBuffer[] forward = new PacketBuffer[s.batchSize()];
        for (int i = 0; i < batch.length; i++) {
            batch[i] = new PacketBuffer(s.bufferSize());
        }
        while (!dataplane.closed()) {
            try {
                int n = in.receive(batch, POLL_NANOS);
                int k = 0;
                for (int i = 0; i < n; i++) {
                    if (stage.process(ctx, batch[i])) {
                        forward[k++] = batch[i];
                    }
                }
                if (k > 0) {
                    int sent = out.send(forward, k);
                    if (sent < k) {
                        dataplane.dropped(whenOutFull, k - sent);
                    }
                }
            } catch (IOException e) {
                if (!dataplane.closed()) {
                    log.error("{}: port failed, worker stops: {}", thread.getName(), e.getMessage());
                }
                return;
            } catch (RuntimeException e) {
                // a bug on the packet path must not take the thread down: count it, log the first few, carry on
                dataplane.dropped(DropReason.INTERNAL_ERROR, 1);
                if (++internalErrors <= 10 || internalErrors % 10_000 == 0) {
                    log.error("{}: unexpected error on the packet path (#{}), batch dropped", thread.getName(),
                            internalErrors, e);
                }
            }
        }
    }
}
