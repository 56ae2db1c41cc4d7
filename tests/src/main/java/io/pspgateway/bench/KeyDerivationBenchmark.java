package io.pspgateway.bench;

import io.pspgateway.psp.MasterKeyPair;
import io.pspgateway.psp.PspKeyDeriver;
import io.pspgateway.psp.PspVersion;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** PSP key derivation (SP 800-108 / AES-256-CMAC) per SPI, with the CMAC subkeys precomputed. */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class KeyDerivationBenchmark {
    @Param({"V0", "V1"})
    PspVersion version;

    private PspKeyDeriver deriver;
    private final byte[] out = new byte[32];
    private int spi;

    @Setup
    public void setUp() {
        deriver = new PspKeyDeriver(new MasterKeyPair(new byte[32], new byte[32]));
    }

    @Benchmark
    public byte[] derive() {
        deriver.derive(spi++, version, out, 0);
        return out;
    }
}
