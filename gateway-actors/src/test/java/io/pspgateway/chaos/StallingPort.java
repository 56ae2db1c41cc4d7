package io.pspgateway.chaos;

import io.pspgateway.dataplane.port.PacketPort;
import io.pspgateway.psp.PacketBuffer;
import java.io.IOException;

/**
 * A packet port whose reader stalls after some batches, as a packet worker does on a busy or
 * descheduled core: the worker that received the batch processes it only after the stall, and
 * meanwhile packets queue up behind it. Sends are untouched.
 */
public final class StallingPort implements PacketPort {
    private final PacketPort delegate;
    private final FaultPlan.Dice dice;

    public StallingPort(PacketPort delegate, FaultPlan.Dice dice) {
        this.delegate = delegate;
        this.dice = dice;
    }

    @Override
    public int receive(PacketBuffer[] batch, long timeoutNanos) throws IOException {
        int n = delegate.receive(batch, timeoutNanos);
        if (n > 0 && dice.roll(dice.plan().workerStall())) {
            try {
                Thread.sleep(dice.plan().stall());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return n;
    }

    @Override
    public int send(PacketBuffer[] packets, int count) throws IOException {
        return delegate.send(packets, count);
    }

    @Override
    public long receiveDrops() {
        return delegate.receiveDrops();
    }

    @Override
    public String name() {
        return delegate.name() + " (stalling)";
    }

    @Override
    public void close() {
        delegate.close();
    }
}
