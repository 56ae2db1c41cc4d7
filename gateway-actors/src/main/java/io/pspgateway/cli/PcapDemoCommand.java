package io.pspgateway.cli;

import io.pspgateway.pcap.PcapReader;
import io.pspgateway.pcap.PcapRecord;
import io.pspgateway.pcap.PcapRunSummary;
import io.pspgateway.pcap.PcapWriter;
import io.pspgateway.pcap.PspPcapTool;
import io.pspgateway.pcap.ReferenceConfig;
import io.pspgateway.psp.MasterKeyPair;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pspgw pcap demo}: a guided PSP round trip on pcap files, no hardware and no setup. It writes
 * a small capture of IPv4 and IPv6 flows, seals it in tunnel and transport mode with fresh random
 * master keys, opens it again, checks every packet came back bit for bit, then tampers with one
 * packet to show the receiver counting it as an authentication failure.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Show PSP at work on pcap files: seal and open a sample capture in tunnel and transport mode.")
final class PcapDemoCommand implements Callable<Integer> {
    private static final int SPI = 0x9A345678;

    @Option(names = {"-d", "--dir"}, paramLabel = "DIR",
            description = "Where to leave the pcap files (default: a new temporary directory).")
    Path dir;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Path work = dir != null ? Files.createDirectories(dir) : Files.createTempDirectory("pspgw-demo");
        SecureRandom random = new SecureRandom();
        byte[] key0 = new byte[32];
        byte[] key1 = new byte[32];
        random.nextBytes(key0);
        random.nextBytes(key1);
        MasterKeyPair keys = new MasterKeyPair(key0, key1);
        Arrays.fill(key0, (byte) 0);
        Arrays.fill(key1, (byte) 0);

        Path clear = work.resolve("cleartext.pcap");
        List<PcapRecord> frames = SampleTraffic.frames();
        try (PcapWriter w = PcapWriter.create(clear, PcapWriter.REFERENCE_SNAPLEN)) {
            for (PcapRecord f : frames) {
                w.write(f);
            }
        }
        out.printf("PSP demo in %s%n", work);
        out.printf("  wrote %d cleartext frames (IPv4 and IPv6, UDP and TCP) to %s%n", frames.size(), clear.getFileName());
        out.printf("  receiver master keys: two fresh random 256-bit keys; SPI %08x (bit 31 set: master key 1)%n%n", SPI);

        boolean allGood = true;
        for (PspMode mode : PspMode.values()) {
            for (PspVersion version : List.of(PspVersion.V0, PspVersion.V1)) {
                allGood &= roundTrip(out, work, keys, mode, version, frames);
            }
        }
        allGood &= tamper(out, work, keys);
        keys.destroy();
        out.println(allGood ? "\nAll checks passed. Try: ./pspgw pcap --help" : "\nSOME CHECKS FAILED (see above)");
        out.flush();
        return allGood ? 0 : 1;
    }

    private static ReferenceConfig config(MasterKeyPair keys, PspMode mode, PspVersion version) {
        // crypt offsets: leave the inner IP header readable in tunnel mode, the L4 ports in transport mode
        return new ReferenceConfig(keys, SPI, mode, version, 1, 5, 10, false);
    }

    private static boolean roundTrip(PrintWriter out, Path work, MasterKeyPair keys, PspMode mode, PspVersion version,
                                     List<PcapRecord> frames) throws IOException {
        String tag = mode.name().toLowerCase() + "_" + version.name().toLowerCase();
        Path sealed = work.resolve("psp_" + tag + ".pcap");
        Path opened = work.resolve("opened_" + tag + ".pcap");
        PcapRunSummary seal = process(work.resolve("cleartext.pcap"), sealed,
                (in, w) -> PspPcapTool.encrypt(config(keys, mode, version), in, w, false));
        PcapRunSummary open = process(sealed, opened, (in, w) -> PspPcapTool.decrypt(keys, in, w));
        List<PcapRecord> back = read(opened);
        boolean same = back.size() == frames.size();
        for (int i = 0; same && i < frames.size(); i++) {
            same = Arrays.equals(frames.get(i).data(), back.get(i).data());
        }
        PcapRecord first = read(sealed).getFirst();
        out.printf("  %-9s PSP %s (%s): sealed %d, opened %d, identical to the cleartext: %s%n", mode.name().toLowerCase(),
                version, version == PspVersion.V0 ? "AES-GCM-128" : "AES-GCM-256", seal.processedCount(),
                open.processedCount(), same ? "yes" : "NO");
        out.printf("            first frame grew %d -> %d bytes; PSP header: %s%n", frames.getFirst().data().length,
                first.data().length, pspHeaderHex(first.data()));
        return same && seal.failedCount() == 0 && open.failedCount() == 0;
    }

    private static boolean tamper(PrintWriter out, Path work, MasterKeyPair keys) throws IOException {
        Path sealed = work.resolve("psp_tunnel_v1.pcap");
        Path tampered = work.resolve("tampered.pcap");
        List<PcapRecord> records = new ArrayList<>(read(sealed));
        byte[] changed = records.getFirst().data().clone();
        changed[changed.length - 20] ^= 0x01;
        records.set(0, records.getFirst().withData(changed));
        try (PcapWriter w = PcapWriter.create(tampered, PcapWriter.REFERENCE_SNAPLEN)) {
            for (PcapRecord r : records) {
                w.write(r);
            }
        }
        PcapRunSummary open = process(tampered, work.resolve("opened_tampered.pcap"), (in, w) -> PspPcapTool.decrypt(keys, in, w));
        out.printf("%n  flipped one ciphertext bit of the first sealed frame: %s%n",
                open.line("decrypted", "opened_tampered.pcap"));
        return open.failedByReason().getOrDefault("auth-failed", 0L) == 1L && open.processedCount() == records.size() - 1;
    }

    private static String pspHeaderHex(byte[] frame) {
        int l3 = 14;
        int ipHeader = (frame[l3] >>> 4 & 0xF) == 6 ? 40 : (frame[l3] & 0x0F) * 4;
        int psp = l3 + ipHeader + 8;
        return HexFormat.ofDelimiter(" ").formatHex(frame, psp, psp + 16);
    }

    private static PcapRunSummary process(Path in, Path outFile, PcapCommand.PcapJob job) throws IOException {
        try (PcapReader r = PcapReader.open(in); PcapWriter w = PcapWriter.create(outFile, PcapWriter.REFERENCE_SNAPLEN)) {
            return job.process(r, w);
        }
    }

    private static List<PcapRecord> read(Path file) throws IOException {
        List<PcapRecord> all = new ArrayList<>();
        try (PcapReader r = PcapReader.open(file)) {
            for (PcapRecord rec; (rec = r.next()) != null; ) {
                all.add(rec);
            }
        }
        return all;
    }
}
