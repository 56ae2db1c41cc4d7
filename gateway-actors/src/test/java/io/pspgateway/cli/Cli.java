package io.pspgateway.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the pspgw command line in-process, as the tests of its commands do. */
final class Cli {
    private Cli() {
    }

    /** The exit status of {@code pspgw args}; its error output goes to {@code err}, its standard output nowhere. */
    static int run(StringWriter err, String... args) {
        picocli.CommandLine cli = PspGatewayCommand.commandLine();
        cli.setErr(new PrintWriter(err, true));
        cli.setOut(new PrintWriter(new StringWriter(), true));
        return cli.execute(args);
    }
}
