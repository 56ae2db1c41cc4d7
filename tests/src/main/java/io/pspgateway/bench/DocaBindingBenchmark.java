package io.pspgateway.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;

import io.pspgateway.dataplane.DataplaneOps;
import io.pspgateway.dataplane.EncryptEntry;
import io.pspgateway.dataplane.port.MemoryPort;
import io.pspgateway.dataplane.doca.DocaAbi;
import io.pspgateway.dataplane.doca.DocaDataplane;
import io.pspgateway.dataplane.doca.DocaFlow;
import io.pspgateway.dataplane.doca.DocaFlowNative;
import io.pspgateway.dataplane.doca.DocaLibraries;
import io.pspgateway.dataplane.doca.DocaPipeline;
import io.pspgateway.dataplane.doca.MemorySlowPath;
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
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * What the doca backend's binding costs per control operation, measured against the fake DOCA
 * libraries with their journal off (so the fake does next to nothing and what is timed is the
 * Java side and the FFM calls), beside the soft backend doing the same on one core: program a
 * key slot; add an encrypt entry (add + entries_process until its callback, one operation);
 * remove it (remove + entries_process); mint one SPI. Entries go in and out in chunks of
 * {@value #CHUNK}, so adds and removes are timed apart. {@value #ROUNDS} rounds, the backends
 * alternated in each, and the median round reported: the first rounds run while the JIT is
 * still compiling the FFM path, and the machine is shared.
 *
 * <p>A second table answers whether a batched insert would pay: straight on the fake's symbols,
 * with an upcall per entry as DOCA makes, one {@code add_entry} and one {@code entries_process}
 * per entry (what the binding does) against {@value #BATCH} {@code NO_WAIT} adds and one
 * {@code entries_process} for them all.
 * Usage: DocaBindingBenchmark FAKE_DOCA_DIR [N] (default 1 000 000).
 */
public final class DocaBindingBenchmark {
    private static final int SLOTS = 1024;
    private static final int CHUNK = 1000;
    private static final int ROUNDS = 5;
    private static final int BATCH = 64;
    private static long reports;
    private static final com.sun.management.ThreadMXBean ALLOCATION =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();

    private DocaBindingBenchmark() {
    }

    public static void main(String[] args) throws Throwable {
        Path fakeDir = Path.of(args[0]);
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
        SymbolLookup fake = DocaLibraries.open(fakeDir, Arena.global());
        Linker.nativeLinker().downcallHandle(fake.find("fake_journal").orElseThrow(), FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT))
                .invokeExact(0);
        EncryptEntry[] entries = InsertionBenchmark.entries(n, SLOTS);
        byte[] key = new byte[PspVersion.V1.keyBytes()];
        String[] what = {"program a key slot", "add an encrypt entry, live on return", "remove an encrypt entry", "mint one SPI"};
        double[][][] rounds = new double[2][ROUNDS][];
        for (int round = 0; round < ROUNDS; round++) {
            for (int backend = 0; backend < 2; backend++) {
                try (DataplaneOps ops = backend == 0 ? soft() : doca(fake)) {
                    rounds[backend][round] = measure(ops, entries, key);
                }
            }
        }
        double[][] rates = new double[2][what.length];
        for (int backend = 0; backend < 2; backend++) {
            for (int op = 0; op < what.length; op++) {
                int o = op;
                rates[backend][op] = median(rounds[backend], o);
            }
        }
        System.out.printf(Locale.ROOT, "| operation, %,d each, one thread (median of %d rounds) | soft (baseline) per s | doca on the fake per s | doca vs soft |%n", n, ROUNDS);
        System.out.println("|---|---|---|---|");
        for (int op = 0; op < what.length; op++) {
            System.out.printf(Locale.ROOT, "| %s | %,.0f | %,.0f | %.2f× |%n", what[op], rates[0][op], rates[1][op], rates[1][op] / rates[0][op]);
        }
        System.out.printf(Locale.ROOT, "| heap allocated per add, median (B) | %,.0f | %,.0f | |%n", median(rounds[0], what.length),
                median(rounds[1], what.length));
        double[][] raw = new double[ROUNDS][];
        for (int round = 0; round < ROUNDS; round++) {
            raw[round] = rawInserts(fake, n);
        }
        double single = median(raw, 0);
        double batched = median(raw, 1);
        System.out.println();
        System.out.printf(Locale.ROOT, "| straight FFM on the fake, %,d entries (median of %d rounds) | entries per s |%n", n, ROUNDS);
        System.out.println("|---|---|");
        System.out.printf(Locale.ROOT, "| add_entry + entries_process for each entry | %,.0f |%n", single);
        System.out.printf(Locale.ROOT, "| %d NO_WAIT add_entry, then one entries_process | %,.0f (%.2f×) |%n", BATCH, batched, batched / single);
    }

    private static double median(double[][] rounds, int column) {
        return Arrays.stream(rounds).mapToDouble(r -> r[column]).sorted().toArray()[rounds.length / 2];
    }

    @SuppressWarnings("unused") // the upcall's target
    private static void onEntry(MemorySegment entry, short queue, int status, int op, MemorySegment userContext) {
        reports++;
    }

    /** Entries per second added one by one, each processed, and in batches of {@link #BATCH} processed once. */
    private static double[] rawInserts(SymbolLookup fake, int n) throws Throwable {
        Linker linker = Linker.nativeLinker();
        Arena arena = Arena.global();
        MethodHandle add = linker.downcallHandle(fake.find("doca_flow_pipe_add_entry").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_SHORT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ValueLayout.JAVA_INT, ADDRESS, ADDRESS));
        MethodHandle process = linker.downcallHandle(fake.find("doca_flow_entries_process").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ADDRESS, ValueLayout.JAVA_SHORT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        MethodHandle setCallback = linker.downcallHandle(fake.find("doca_flow_cfg_set_cb_entry_process").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ADDRESS, ADDRESS));
        MemorySegment upcall = linker.upcallStub(MethodHandles.lookup().findStatic(DocaBindingBenchmark.class, "onEntry",
                MethodType.methodType(void.class, MemorySegment.class, short.class, int.class, int.class, MemorySegment.class)),
                FunctionDescriptor.ofVoid(ADDRESS, ValueLayout.JAVA_SHORT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ADDRESS), arena);
        int status = (int) setCallback.invokeExact(MemorySegment.NULL, upcall);
        MemorySegment match = arena.allocate(544);
        MemorySegment actions = arena.allocate(1040);
        MemorySegment monitor = arena.allocate(64);
        MemorySegment holder = arena.allocate(ADDRESS);
        MemorySegment port = MemorySegment.ofAddress(1);
        long before = reports;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            status |= (int) add.invokeExact((short) 0, port, match, actions, monitor, MemorySegment.NULL, DocaAbi.DOCA_FLOW_NO_WAIT, MemorySegment.ofAddress(i + 1), holder);
            status |= (int) process.invokeExact(port, (short) 0, 10_000L, 1);
        }
        long t1 = System.nanoTime();
        for (int i = 0; i < n; i += BATCH) {
            for (int j = i; j < i + BATCH; j++) {
                status |= (int) add.invokeExact((short) 0, port, match, actions, monitor, MemorySegment.NULL, DocaAbi.DOCA_FLOW_NO_WAIT, MemorySegment.ofAddress(j + 1), holder);
            }
            status |= (int) process.invokeExact(port, (short) 0, 10_000L, BATCH);
        }
        long t2 = System.nanoTime();
        int batches = (n + BATCH - 1) / BATCH;
        if (status != 0 || reports - before != n + (long) batches * BATCH) {
            throw new IllegalStateException("the fake refused an insert or missed a report: status " + status + ", " + (reports - before) + " reports");
        }
        return new double[] {perSecond(n, t1 - t0), perSecond(batches * BATCH, t2 - t1)};
    }

    private static double[] measure(DataplaneOps ops, EncryptEntry[] entries, byte[] key) {
        int n = entries.length;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            ops.programKeySlot(i % SLOTS, PspVersion.V1, key);
        }
        long programming = System.nanoTime() - t0;
        long adding = 0;
        long removing = 0;
        long allocated = 0;
        for (int from = 0; from < n; from += CHUNK) {
            int to = Math.min(n, from + CHUNK);
            long b1 = ALLOCATION.getCurrentThreadAllocatedBytes();
            long t1 = System.nanoTime();
            for (int i = from; i < to; i++) {
                ops.addEncryptEntry(entries[i]);
            }
            long t2 = System.nanoTime();
            allocated += ALLOCATION.getCurrentThreadAllocatedBytes() - b1;
            for (int i = from; i < to; i++) {
                ops.removeEncryptEntry(entries[i].flow());
            }
            adding += t2 - t1;
            removing += System.nanoTime() - t2;
        }
        long t3 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            ops.mintSpiKeys(1, PspVersion.V1).getFirst().destroy();
        }
        long minting = System.nanoTime() - t3;
        return new double[] {perSecond(n, programming), perSecond(n, adding), perSecond(n, removing), perSecond(n, minting),
            allocated / (double) n};
    }

    private static double perSecond(int n, long nanos) {
        return n / (nanos / 1e9);
    }

    private static DataplaneOps soft() {
        return new SoftDataplane(SoftDataplaneSettings.defaults().withKeySlots(SLOTS), MemoryPort.link("h", "p", 2)[1],
                MemoryPort.link("w", "s", 2)[1]);
    }

    private static DataplaneOps doca(SymbolLookup fake) throws Exception {
        byte[] mac = {0x02, 0, 0, 0, 0, 0x01};
        return DocaDataplane.open(DocaFlowNative.bind(fake), new DocaDataplane.Config(new DocaFlow.Settings(SLOTS, 2, MemorySegment.ofAddress(0x1000)),
                new DocaPipeline.Settings(PspMode.TUNNEL, SLOTS, 2, true, 0, false, false, mac, mac), Optional.of(mac)), new MemorySlowPath(64));
    }
}
