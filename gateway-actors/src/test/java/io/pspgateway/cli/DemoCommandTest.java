package io.pspgateway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DemoCommandTest {
    @Test
    void theInMemoryDemoDeliversEveryPacketAndSaysWhatHappened() {
        StringWriter out = new StringWriter();
        CommandLine cli = PspGatewayCommand.commandLine();
        cli.setOut(new PrintWriter(out, true));
        assertEquals(0, cli.execute("demo", "--in-memory", "--burst", "20"), out.toString());
        String text = out.toString();
        assertTrue(text.contains("10/10 packets delivered in order, none lost"), text);
        assertTrue(text.contains("gRPC calls made by gw1: 0"), "reverse_params spared the way back a request:\n" + text);
        assertTrue(text.contains("40/40 delivered"), text);
        assertTrue(text.contains("Demo finished: every packet arrived."), text);
        Matcher where = Pattern.compile("mutual TLS, with a CA and a certificate per gateway made for "
                + "this run in (\\S+)").matcher(text);
        assertTrue(where.find(), text);
        Path dir = Path.of(where.group(1));
        for (String file : new String[] {"ca.pem", "gw0.pem", "gw0-key.pem", "gw2.pem"}) {
            assertTrue(Files.isRegularFile(dir.resolve(file)), "the demo wrote " + file + " where it says");
        }
    }

    @Test
    void theClusteredDemoDiscoversThePeersAndDeliversEveryPacket() {
        StringWriter out = new StringWriter();
        CommandLine cli = PspGatewayCommand.commandLine();
        cli.setOut(new PrintWriter(out, true));
        assertEquals(0, cli.execute("demo", "--cluster", "--burst", "20"), out.toString());
        String text = out.toString();
        assertTrue(text.contains("discovery: every gateway knows the other two"), text);
        assertTrue(text.contains("Demo finished: every packet arrived."), text);
    }
}
