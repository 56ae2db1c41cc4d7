package io.pspgateway.dataplane;

/**
 * A packet handed to the slow path through the miss queue: a copy of its bytes (the inner IP
 * packet), why it is there, and the VIP pair the data plane read from it, so that the control
 * plane never has to parse packet bytes.
 *
 * @param reason     why the packet was held
 * @param flow       its (source VIP, destination VIP); for ingress samples also the SPI
 * @param packet     the inner IP packet
 * @param heldAtNanos {@link System#nanoTime()} when it entered the queue
 */
public record HeldPacket(HoldReason reason, FlowKey flow, byte[] packet, long heldAtNanos) {
}
