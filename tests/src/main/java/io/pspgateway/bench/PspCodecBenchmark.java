package io.pspgateway.bench;

import io.pspgateway.psp.InnerPackets;
import io.pspgateway.psp.IvSequence;
import io.pspgateway.psp.MasterKeyPair;
import io.pspgateway.psp.OpenStatus;
import io.pspgateway.psp.OuterIp;
import io.pspgateway.psp.PacketBuffer;
import io.pspgateway.psp.PspHeader;
import io.pspgateway.psp.PspKeyDeriver;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspOpener;
import io.pspgateway.psp.PspSealer;
import io.pspgateway.psp.PspVersion;
import io.pspgateway.psp.RxInfo;
import io.pspgateway.psp.RxKeys;
import io.pspgateway.psp.SealStatus;
import io.pspgateway.psp.SourcePortPolicy;
import io.pspgateway.psp.TxSecurityAssociation;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import javax.crypto.SecretKey;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * PSP seal and open of one inner packet (tunnel mode, IPv4 in IPv4, no crypt offset) against
 * {@link BareJcaGcm} on the same bytes: the ratio is the cost of the PSP framing itself.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class PspCodecBenchmark {
    private static final int SPI = 0x12345678;

    @Param({"64", "512", "1400"})
    int size;

    @Param({"V0", "V1"})
    PspVersion version;

    private PspSealer sealer;
    private PspOpener opener;
    private RxInfo info;
    private RxKeys rxKeys;
    private TxSecurityAssociation sa;
    private PacketBuffer pkt;
    private byte[] inner;
    private byte[] sealed;

    private BareJcaGcm jca;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        MasterKeyPair masterKeys = new MasterKeyPair(new byte[32], filled(32, (byte) 1));
        SecretKey key = TxSecurityAssociation.aesKey(new PspKeyDeriver(masterKeys).derive(SPI, version));
        sa = new TxSecurityAssociation(SPI, version, key, IvSequence.counterFrom(1), PspMode.TUNNEL, 0, false, 0,
                OuterIp.between(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("192.0.2.2")),
                SourcePortPolicy.FLOW_HASH);
        sealer = new PspSealer();
        opener = new PspOpener();
        info = new RxInfo();
        rxKeys = (spi, v) -> key;
        // a 'size'-byte IPv4 packet: 20 + 8 header bytes and the rest payload
        inner = InnerPackets.udp(InetAddress.getByName("10.0.0.1"), InetAddress.getByName("10.0.0.2"), 0, size - 28);
        pkt = new PacketBuffer(PacketBuffer.DEFAULT_HEADROOM + size + 64);
        pkt.load(inner, 0, inner.length, PacketBuffer.DEFAULT_HEADROOM);
        if (sealer.seal(pkt, sa) != SealStatus.SEALED) {
            throw new IllegalStateException("benchmark packet does not seal");
        }
        sealed = pkt.toByteArray();

        jca = new BareJcaGcm(key, inner);
    }

    private static byte[] filled(int n, byte value) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, value);
        return b;
    }

    @Benchmark
    public int bareJcaSeal() throws Exception {
        return jca.seal();
    }

    @Benchmark
    public SealStatus pspSeal() {
        // the last seal encrypted the inner header in place: restore it (20 bytes) and re-point the bounds
        System.arraycopy(inner, 0, pkt.array(), PacketBuffer.DEFAULT_HEADROOM, 20);
        pkt.setBounds(PacketBuffer.DEFAULT_HEADROOM, PacketBuffer.DEFAULT_HEADROOM + size);
        return sealer.seal(pkt, sa);
    }

    @Benchmark
    public int bareJcaOpen() throws Exception {
        return jca.open();
    }

    @Benchmark
    public OpenStatus pspOpen() {
        System.arraycopy(sealed, 0, pkt.array(), PacketBuffer.DEFAULT_HEADROOM, sealed.length);
        pkt.setBounds(PacketBuffer.DEFAULT_HEADROOM, PacketBuffer.DEFAULT_HEADROOM + sealed.length);
        return opener.open(pkt, rxKeys, info);
    }
}
