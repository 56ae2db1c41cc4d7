package io.pspgateway.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * The {@code pspgw} command. Without a subcommand it runs a gateway with the DOCA PSP Gateway's
 * flags ({@link GatewayOptions}); {@code demo} and {@code pcap} are the other entry points.
 */
@Command(name = "pspgw",
        versionProvider = PspGatewayCommand.Version.class,
        description = {"PSP (PSP Security Protocol) tunnel gateway, compatible with NVIDIA's DOCA PSP Gateway:",
                "same flags, same tunnel file, same gRPC service. Runs the gateway when no command is given."},
        subcommands = {DemoCommand.class, PcapCommand.class, CertsCommand.class, CommandLine.HelpCommand.class})
public final class PspGatewayCommand implements Callable<Integer> {

    @Mixin
    GatewayOptions options;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        return GatewayRunner.run(options, spec.commandLine());
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line, {@code -j/--json FILE} expanded into flags first. */
    static int execute(String[] args) {
        CommandLine cli = commandLine();
        String[] expanded;
        try {
            expanded = JsonFlags.expand(args);
        } catch (JsonFlags.JsonFlagsException e) {
            cli.getErr().println("pspgw: " + e.getMessage());
            cli.getErr().flush();
            return 2;
        }
        return cli.execute(expanded);
    }

    /** The configured picocli tree; tests execute it in-process. */
    static CommandLine commandLine() {
        // flags given on the command line override those from -j/--json, which come first
        return new CommandLine(new PspGatewayCommand()).setCaseInsensitiveEnumValuesAllowed(true)
                .setOverwrittenOptionsAllowed(true);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = PspGatewayCommand.class.getPackage().getImplementationVersion();
            return new String[] {"pspgw " + (v == null ? "development build" : v) + " (Java " + Runtime.version() + ")"};
        }
    }
}
