package io.pspgateway.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.pcap.PcapReader;
import io.pspgateway.pcap.PcapRecord;
import io.pspgateway.pcap.PcapWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PcapCommandTest {
    static final String CFG = """
            34 44 8a 06 42 92 60 1b 11 a0 97 8f 56 a2 d3 4c f3 fc 35 ed e1 a6 bc 04 f8 db 3e 52 43 a2 b0 ca
            56 39 52 56 5d 3a 78 ae 77 3e c1 b7 79 f2 f2 d9 9f 4a 7f 53 a6 fb b9 b0 7d 5b 71 f3 93 64 d7 39
            9A345678
            tunnel
            aes-gcm-256
            1
            6
            11
            vc
            """;

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = PspGatewayCommand.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    /** Two Ethernet/IPv4/UDP frames and one ARP frame. */
    private Path cleartext() throws IOException {
        Path file = dir.resolve("clear.pcap");
        try (PcapWriter w = PcapWriter.create(file, 65535)) {
            w.write(udpFrame(100));
            w.write(udpFrame(0));
            byte[] arp = new byte[42];
            arp[12] = 0x08;
            arp[13] = 0x06;
            w.write(new PcapRecord(1, 0, arp.length, arp));
        }
        return file;
    }

    private static PcapRecord udpFrame(int payload) {
        byte[] f = new byte[14 + 28 + payload];
        f[12] = 0x08;
        f[14] = 0x45;
        f[16] = (byte) ((28 + payload) >> 8);
        f[17] = (byte) (28 + payload);
        f[23] = 17;
        f[26] = 10;
        f[29] = 1;
        f[30] = 10;
        f[33] = 2;
        f[38] = (byte) ((8 + payload) >> 8);
        f[39] = (byte) (8 + payload);
        return new PcapRecord(1, 2, f.length, f);
    }

    @Test
    void encryptThenDecryptRoundTripsAndSkipsNonIp() throws IOException {
        Path cfg = Files.writeString(dir.resolve("psp.cfg"), CFG);
        Path clear = cleartext();
        Path sealed = dir.resolve("sealed.pcap");
        Path opened = dir.resolve("opened.pcap");

        assertEquals(0, run("pcap", "encrypt", "-c", cfg.toString(), "-i", clear.toString(), "-o", sealed.toString()), err.toString());
        assertTrue(out.toString().startsWith("encrypted 2 packets in " + sealed + ", skipped 1 packets, failed 0 packets [skipped: not-ip=1]"),
                out.toString());
        assertEquals(0, run("pcap", "decrypt", "-c", cfg.toString(), "-i", sealed.toString(), "-o", opened.toString()), err.toString());
        try (PcapReader a = PcapReader.open(clear); PcapReader b = PcapReader.open(opened)) {
            assertArrayEquals(a.next().data(), b.next().data());
            assertArrayEquals(a.next().data(), b.next().data());
        }
    }

    @Test
    void corruptedPacketsAreCountedAndTheExitStatusSaysSo() throws IOException {
        Path cfg = Files.writeString(dir.resolve("psp.cfg"), CFG);
        Path sealed = dir.resolve("sealed.pcap");
        assertEquals(0, run("pcap", "encrypt", "-e", "-c", cfg.toString(), "-i", cleartext().toString(), "-o", sealed.toString()));
        int status = run("pcap", "decrypt", "-c", cfg.toString(), "-i", sealed.toString(), "-o", dir.resolve("o.pcap").toString());
        assertEquals(PcapCommand.EXIT_PACKETS_FAILED, status);
        assertTrue(out.toString().contains("decrypted 0 packets in " + dir.resolve("o.pcap")
                + ", skipped 0 packets, failed 2 packets [failed: auth-failed=2]"), out.toString());
    }

    @Test
    void badConfigAndMissingFilesAreClearErrors() throws IOException {
        Path cfg = Files.writeString(dir.resolve("bad.cfg"), CFG.replace("tunnel", "tunnnel"));
        assertEquals(PcapCommand.EXIT_BAD_INPUT, run("pcap", "encrypt", "-c", cfg.toString(), "-i", "x", "-o", "y"));
        assertEquals("pspgw pcap: " + cfg + ":4: encap mode must be 'transport' or 'tunnel', found 'tunnnel'", err.toString().trim());

        err.getBuffer().setLength(0);
        Path good = Files.writeString(dir.resolve("good.cfg"), CFG);
        Path missing = dir.resolve("missing.pcap");
        assertEquals(PcapCommand.EXIT_BAD_INPUT, run("pcap", "decrypt", "-c", good.toString(), "-i", missing.toString(), "-o",
                dir.resolve("o.pcap").toString()));
        assertEquals("pspgw pcap: no such file: " + missing, err.toString().trim());
    }

    @Test
    void unknownFlagsAreUsageErrors() {
        assertEquals(2, run("pcap", "encrypt", "--no-such-flag"));
        assertTrue(err.toString().contains("Unknown option: '--no-such-flag'"), err.toString());
        assertEquals(2, run("frobnicate"));
    }
}
