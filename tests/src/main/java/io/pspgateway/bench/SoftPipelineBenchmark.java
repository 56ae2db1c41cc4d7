package io.pspgateway.bench;

import io.pspgateway.dataplane.LocalTunnel;
import io.pspgateway.dataplane.port.MemoryPort;
import io.pspgateway.dataplane.soft.PacketContext;
import io.pspgateway.dataplane.soft.SoftDataplane;
import io.pspgateway.dataplane.soft.SoftDataplaneSettings;
import io.pspgateway.psp.InnerPackets;
import io.pspgateway.psp.PacketBuffer;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The soft pipeline on one thread, no ports: egress (parse, encrypt-table lookup, slot check,
 * seal, counters) and ingress (open with the SPI's key, ACL lookup, counters) of one inner packet,
 * against {@link BareJcaGcm} on the same bytes in the same run. Tunnel mode, IPv4 in IPv4, PSP v0.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SoftPipelineBenchmark {
    @Param({"1400"})
    int size;

    private SoftDataplane sender;
    private SoftDataplane receiver;
    private PacketContext senderContext;
    private PacketContext receiverContext;
    private PacketBuffer pkt;
    private byte[] inner;
    private byte[] sealed;

    private BareJcaGcm jca;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        InetAddress vipA = InetAddress.getByName("10.0.0.1");
        InetAddress vipB = InetAddress.getByName("10.0.0.2");
        MemoryPort[] p1 = MemoryPort.link("h", "p", 16);
        MemoryPort[] p2 = MemoryPort.link("w", "s", 16);
        MemoryPort[] p3 = MemoryPort.link("h2", "p2", 16);
        MemoryPort[] p4 = MemoryPort.link("w2", "s2", 16);
        sender = new SoftDataplane(SoftDataplaneSettings.defaults(), p1[1], p2[1]);
        receiver = new SoftDataplane(SoftDataplaneSettings.defaults(), p3[1], p4[1]);
        LocalTunnel.connect(new LocalTunnel.End(sender, InetAddress.getByName("192.0.2.1"), vipA),
                new LocalTunnel.End(receiver, InetAddress.getByName("192.0.2.2"), vipB), 0, PspMode.TUNNEL, PspVersion.V0);
        senderContext = sender.newPacketContext();
        receiverContext = receiver.newPacketContext();
        inner = InnerPackets.udp(vipA, vipB, 0, size - 28);
        pkt = new PacketBuffer(SoftDataplaneSettings.defaults().bufferSize());
        pkt.load(inner, 0, size, PacketBuffer.DEFAULT_HEADROOM);
        if (!sender.egress(senderContext, pkt)) {
            throw new IllegalStateException("benchmark packet is not sealed");
        }
        sealed = pkt.toByteArray();

        jca = new BareJcaGcm(new SecretKeySpec(new byte[16], "AES"), inner);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        sender.close();
        receiver.close();
    }

    @Benchmark
    public int bareJcaSeal() throws Exception {
        return jca.seal();
    }

    @Benchmark
    public boolean egress() {
        System.arraycopy(inner, 0, pkt.array(), PacketBuffer.DEFAULT_HEADROOM, 20);
        pkt.setBounds(PacketBuffer.DEFAULT_HEADROOM, PacketBuffer.DEFAULT_HEADROOM + size);
        return sender.egress(senderContext, pkt);
    }

    @Benchmark
    public int bareJcaOpen() throws Exception {
        return jca.open();
    }

    @Benchmark
    public boolean ingress() {
        System.arraycopy(sealed, 0, pkt.array(), PacketBuffer.DEFAULT_HEADROOM, sealed.length);
        pkt.setBounds(PacketBuffer.DEFAULT_HEADROOM, PacketBuffer.DEFAULT_HEADROOM + sealed.length);
        return receiver.ingress(receiverContext, pkt);
    }
}
