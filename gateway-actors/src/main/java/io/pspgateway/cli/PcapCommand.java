package io.pspgateway.cli;

import io.pspgateway.pcap.PcapFormatException;
import io.pspgateway.pcap.PcapReader;
import io.pspgateway.pcap.PcapRunSummary;
import io.pspgateway.pcap.PcapWriter;
import io.pspgateway.pcap.PspPcapTool;
import io.pspgateway.pcap.ReferenceConfig;
import io.pspgateway.psp.MasterKeyPair;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pspgw pcap encrypt|decrypt}: Google's reference {@code psp_encrypt} / {@code psp_decrypt}
 * tools with the same flags and defaults. Exit status: 0 when every packet was processed or
 * skipped as the reference skips it, 1 when any packet failed, 2 for bad flags, configuration
 * or input files.
 */
@Command(name = "pcap",
        mixinStandardHelpOptions = true,
        description = "Encrypt or decrypt pcap files with PSP, like Google's reference tools.",
        subcommands = {PcapCommand.Encrypt.class, PcapCommand.Decrypt.class, PcapDemoCommand.class})
final class PcapCommand implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: encrypt or decrypt");
    }

    static final int EXIT_PACKETS_FAILED = 1;
    static final int EXIT_BAD_INPUT = 2;

    @Command(name = "encrypt", mixinStandardHelpOptions = true,
            description = {"PSP-encrypt every packet of a pcap file.",
                    "Deterministic like the reference tool: the IV counts from 1, the UDP source port is the "
                            + "inner source port XOR destination port, the outer header mirrors the inner one."})
    static final class Encrypt implements Callable<Integer> {
        @Option(names = "-c", paramLabel = "CFG", defaultValue = "psp_encrypt.cfg",
                description = "Reference-format configuration (keys, SPI, mode, algorithm, offsets, vc). Default: ${DEFAULT-VALUE}")
        Path config;

        @Option(names = "-i", paramLabel = "IN.pcap", defaultValue = "cleartext.pcap",
                description = "Cleartext input (Ethernet frames). Default: ${DEFAULT-VALUE}")
        Path input;

        @Option(names = "-o", paramLabel = "OUT.pcap", defaultValue = "psp_encrypt.pcap",
                description = "PSP output. Default: ${DEFAULT-VALUE}")
        Path output;

        @Option(names = "-e", description = "Corrupt every output packet (set a reserved header bit after sealing) "
                + "so that it fails authentication.")
        boolean corrupt;

        @Option(names = "-v", description = "Print the configuration (never the keys).")
        boolean verbose;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            ReferenceConfig cfg;
            try {
                cfg = ReferenceConfig.parseEncrypt(readConfig(config), config.toString());
            } catch (ReferenceConfig.ConfigException | IOException e) {
                return fail(err, e);
            }
            if (verbose) {
                spec.commandLine().getOut().printf("SPI %08x, %s mode, PSP %s, crypt offset transport %d / IPv4 tunnel %d"
                                + " / IPv6 tunnel %d words, %s%n", cfg.spi(), cfg.mode().name().toLowerCase(), cfg.version(),
                        cfg.transportOffsetWords(), cfg.ipv4TunnelOffsetWords(), cfg.ipv6TunnelOffsetWords(),
                        cfg.withCookie() ? "vc" : "no-vc");
            }
            return run(spec, input, output, (in, out) -> PspPcapTool.encrypt(cfg, in, out, corrupt), "encrypted");
        }
    }

    @Command(name = "decrypt", mixinStandardHelpOptions = true,
            description = {"Decrypt every PSP packet of a pcap file, deriving keys from the master keys.",
                    "A bad packet is skipped and counted by reason; the exit status is 1 when any packet failed."})
    static final class Decrypt implements Callable<Integer> {
        @Option(names = "-c", paramLabel = "CFG", defaultValue = "psp_decrypt.cfg",
                description = "Configuration whose first two items are master keys 0 and 1. Default: ${DEFAULT-VALUE}")
        Path config;

        @Option(names = "-i", paramLabel = "IN.pcap", defaultValue = "psp_encrypt.pcap",
                description = "PSP input (Ethernet frames). Default: ${DEFAULT-VALUE}")
        Path input;

        @Option(names = "-o", paramLabel = "OUT.pcap", defaultValue = "psp_decrypt.pcap",
                description = "Cleartext output. Default: ${DEFAULT-VALUE}")
        Path output;

        @Option(names = "-v", description = "Accepted for compatibility; the summary line is always printed.")
        boolean verbose;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            MasterKeyPair keys;
            try {
                keys = ReferenceConfig.parseMasterKeys(readConfig(config), config.toString());
            } catch (ReferenceConfig.ConfigException | IOException e) {
                return fail(err, e);
            }
            try {
                return run(spec, input, output, (in, out) -> PspPcapTool.decrypt(keys, in, out), "decrypted");
            } finally {
                keys.destroy();
            }
        }
    }

    @FunctionalInterface
    interface PcapJob {
        /** Reads {@code in}, writes {@code out}, and counts what happened. */
        PcapRunSummary process(PcapReader in, PcapWriter out) throws IOException;
    }

    private static Integer run(CommandLine.Model.CommandSpec spec, Path input, Path output, PcapJob job, String verb) {
        PrintWriter err = spec.commandLine().getErr();
        PcapRunSummary summary;
        try (PcapReader in = PcapReader.open(input);
             PcapWriter out = PcapWriter.create(output, PcapWriter.REFERENCE_SNAPLEN)) {
            summary = job.process(in, out);
        } catch (IOException e) {
            return fail(err, e);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(summary.line(verb, output.toString()));
        out.flush();
        return summary.failedCount() > 0 ? EXIT_PACKETS_FAILED : 0;
    }

    private static String readConfig(Path file) throws IOException {
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    private static int fail(PrintWriter err, Exception e) {
        String message = e instanceof NoSuchFileException ? "no such file: " + e.getMessage()
                : e instanceof PcapFormatException || e instanceof ReferenceConfig.ConfigException ? e.getMessage()
                : e.toString();
        err.println("pspgw pcap: " + message);
        err.flush();
        return EXIT_BAD_INPUT;
    }
}
