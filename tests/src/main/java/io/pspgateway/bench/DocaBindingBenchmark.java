package io.pspgateway.bench;

import io.pspgateway.dataplane.DataplaneOps;
import io.pspgateway.dataplane.EncryptEntry;
import io.pspgateway.dataplane.port.MemoryPort;
import io.pspgateway.dataplane.doca.DocaDataplane;
import io.pspgateway.dataplane.doca.DocaFlow;
import io.pspgateway.dataplane.doca.DocaFlowNative;
import io.pspgateway.dataplane.doca.DocaLibraries;
import io.pspgateway.dataplane.doca.DocaPipeline;
import io.pspgateway.dataplane.soft.SoftDataplane;
import io.pspgateway.dataplane.soft.SoftDataplaneSettings;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * What the doca backend's binding costs per control operation, measured against the fake DOCA
 * libraries with their journal off (so the fake does next to nothing and what is timed is the
 * Java side and the FFM calls), beside the soft backend doing the same on one core: program a
 * key slot; add an encrypt entry (add + entries_process until its callback, one operation) and
 * remove it; mint one SPI. Three rounds, the last reported.
 * Usage: DocaBindingBenchmark FAKE_DOCA_DIR [N] (default 100 000).
 */
public final class DocaBindingBenchmark {
    private static final int SLOTS = 1024;

    private DocaBindingBenchmark() {
    }

    public static void main(String[] args) throws Throwable {
        Path fakeDir = Path.of(args[0]);
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        SymbolLookup fake = DocaLibraries.open(fakeDir, Arena.global());
        Linker.nativeLinker().downcallHandle(fake.find("fake_journal").orElseThrow(), FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT))
                .invokeExact(0);
        EncryptEntry[] entries = InsertionBenchmark.entries(n, SLOTS);
        byte[] key = new byte[PspVersion.V1.keyBytes()];
        double[][] rates = new double[2][3];
        for (int round = 0; round < 3; round++) {
            for (int backend = 0; backend < 2; backend++) {
                try (DataplaneOps ops = backend == 0 ? soft() : doca(fake)) {
                    rates[backend] = measure(ops, entries, key);
                }
            }
        }
        String[] what = {"program a key slot", "add an encrypt entry, live on return, and remove it", "mint one SPI"};
        System.out.printf(Locale.ROOT, "| operation, %,d each, one thread | soft (baseline) per s | doca on the fake per s | doca vs soft |%n", n);
        System.out.println("|---|---|---|---|");
        for (int op = 0; op < 3; op++) {
            System.out.printf(Locale.ROOT, "| %s | %,.0f | %,.0f | %.2f× |%n", what[op], rates[0][op], rates[1][op], rates[1][op] / rates[0][op]);
        }
    }

    private static double[] measure(DataplaneOps ops, EncryptEntry[] entries, byte[] key) {
        int n = entries.length;
        double[] rates = new double[3];
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            ops.programKeySlot(i % SLOTS, PspVersion.V1, key);
        }
        rates[0] = n / ((System.nanoTime() - t0) / 1e9);
        long t1 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            ops.addEncryptEntry(entries[i]);
            ops.removeEncryptEntry(entries[i].flow());
        }
        rates[1] = n / ((System.nanoTime() - t1) / 1e9);
        long t2 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            ops.mintSpiKeys(1, PspVersion.V1).getFirst().destroy();
        }
        rates[2] = n / ((System.nanoTime() - t2) / 1e9);
        return rates;
    }

    private static DataplaneOps soft() {
        return new SoftDataplane(SoftDataplaneSettings.defaults().withKeySlots(SLOTS), MemoryPort.link("h", "p", 2)[1],
                MemoryPort.link("w", "s", 2)[1]);
    }

    private static DataplaneOps doca(SymbolLookup fake) throws Exception {
        byte[] mac = {0x02, 0, 0, 0, 0, 0x01};
        return DocaDataplane.open(DocaFlowNative.bind(fake), new DocaDataplane.Config(new DocaFlow.Settings(SLOTS, 2, MemorySegment.ofAddress(0x1000)),
                new DocaPipeline.Settings(PspMode.TUNNEL, SLOTS, 2, true, 0, false, false, mac, mac), Optional.of(mac), 64));
    }
}
