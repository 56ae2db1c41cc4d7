package io.pspgateway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PcapDemoCommandTest {
    @TempDir
    Path dir;

    @Test
    void demoRoundTripsEveryModeAndCatchesTheTamperedPacket() {
        StringWriter out = new StringWriter();
        CommandLine cli = PspGatewayCommand.commandLine();
        cli.setOut(new PrintWriter(out, true));
        assertEquals(0, cli.execute("pcap", "demo", "--dir", dir.toString()), out.toString());
        String text = out.toString();
        assertEquals(4, text.lines().filter(l -> l.contains("sealed 4, opened 4, identical to the cleartext: yes")).count(), text);
        assertTrue(text.contains("decrypted 3 packets in opened_tampered.pcap, skipped 0 packets, failed 1 packets "
                + "[failed: auth-failed=1]"), text);
        assertTrue(Files.exists(dir.resolve("psp_transport_v1.pcap")));
    }
}
