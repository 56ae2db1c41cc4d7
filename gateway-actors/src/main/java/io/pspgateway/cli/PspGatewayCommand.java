package io.pspgateway.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code pspgw} command: entry point of the launcher at the repository root. */
@Command(name = "pspgw",
        mixinStandardHelpOptions = true,
        versionProvider = PspGatewayCommand.Version.class,
        description = "PSP (PSP Security Protocol) tunnel gateway.",
        subcommands = {DemoCommand.class, PcapCommand.class, CommandLine.HelpCommand.class})
public final class PspGatewayCommand implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: choose one of "
                + String.join(", ", spec.subcommands().keySet()));
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured picocli tree; tests execute it in-process. */
    static CommandLine commandLine() {
        return new CommandLine(new PspGatewayCommand()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = PspGatewayCommand.class.getPackage().getImplementationVersion();
            return new String[] {"pspgw " + (v == null ? "development build" : v)
                    + " (Java " + Runtime.version() + ")"};
        }
    }
}
