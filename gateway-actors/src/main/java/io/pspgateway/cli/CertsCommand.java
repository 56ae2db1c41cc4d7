package io.pspgateway.cli;

import io.pspgateway.config.HostPort;
import io.pspgateway.tls.Certificates;
import io.pspgateway.tls.GrpcTls;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pspgw certs}: the certificates gateways authenticate each other with. {@code ca} makes a
 * private CA, {@code issue} a gateway's certificate: IP SANs for every address its peers dial, a
 * DNS SAN for its id. Existing files are never overwritten; keys are written 0600.
 */
@Command(name = "certs", description = "Make the CA and the per-gateway certificates for gRPC over mutual TLS.",
        subcommands = {CertsCommand.Ca.class, CertsCommand.Issue.class, CommandLine.HelpCommand.class})
final class CertsCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    @Command(name = "ca", description = "Write a new CA: DIR/ca.pem and DIR/ca-key.pem (ECDSA P-256).")
    static final class Ca implements Callable<Integer> {
        @Option(names = "--out", paramLabel = "DIR", required = true, description = "Where to write ca.pem and ca-key.pem.")
        Path out;

        @Option(names = "--name", paramLabel = "NAME", defaultValue = "pspgw CA", description = "The CA's common name. Default: ${DEFAULT-VALUE}")
        String name;

        @Option(names = "--days", paramLabel = "N", defaultValue = "3650", description = "Validity in days. Default: ${DEFAULT-VALUE}")
        int days;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            check(spec, days >= 1 && days <= 36500, "--days must be 1-36500, got " + days);
            Files.createDirectories(out);
            Path cert = out.resolve("ca.pem");
            Path key = out.resolve("ca-key.pem");
            refuseExisting(spec, cert, key);
            Certificates.Issued ca = Certificates.newAuthority(name, Duration.ofDays(days));
            Certificates.write(ca, cert, key);
            spec.commandLine().getOut().printf("wrote %s and %s (keep the key offline: whoever holds it can make gateways)%n", cert, key);
            return 0;
        }
    }

    @Command(name = "issue", description = "Write a gateway's certificate and key, DIR2/NAME.pem and DIR2/NAME-key.pem, signed by the CA in DIR.")
    static final class Issue implements Callable<Integer> {
        @Option(names = "--ca", paramLabel = "DIR", required = true, description = "The CA's directory (ca.pem, ca-key.pem).")
        Path ca;

        @Option(names = "--name", paramLabel = "NAME", required = true, description = "The gateway's id: its DNS SAN and common name.")
        String name;

        @Option(names = "--ip", paramLabel = "ADDRESS", required = true,
                description = "An address peers dial to reach this gateway's gRPC (repeatable; IPv4 or IPv6).")
        List<String> ips = new ArrayList<>();

        @Option(names = "--days", paramLabel = "N", defaultValue = "365", description = "Validity in days. Default: ${DEFAULT-VALUE}")
        int days;

        @Option(names = "--vip-prefix", paramLabel = "PREFIX",
                description = "A VIP prefix the gateway may announce to its cluster, e.g. 10.2.0.0/24 (repeatable). "
                        + "Written into the certificate; without any, it may announce none.")
        List<String> vipPrefixes = new ArrayList<>();

        @Option(names = "--out", paramLabel = "DIR2", required = true, description = "Where to write NAME.pem and NAME-key.pem.")
        Path out;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            check(spec, days >= 1 && days <= 36500, "--days must be 1-36500, got " + days);
            check(spec, name.matches("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"),
                    "--name must be a DNS name (letters, digits, '-', '.'), got '" + name + "'");
            List<InetAddress> addresses = new ArrayList<>();
            for (String ip : ips) {
                try {
                    addresses.add(HostPort.ip(ip));
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--ip: " + e.getMessage());
                }
            }
            try {
                io.pspgateway.cluster.VipPrefixes.parse(vipPrefixes);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--vip-prefix " + e.getMessage());
            }
            Certificates.Issued authority;
            try {
                authority = GrpcTls.loadAuthority(ca.resolve("ca.pem"), ca.resolve("ca-key.pem"));
            } catch (GrpcTls.TlsException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--ca " + ca + ": " + e.getMessage()
                        + " (make one with: pspgw certs ca --out DIR)");
            }
            Files.createDirectories(out);
            Path cert = out.resolve(name + ".pem");
            Path key = out.resolve(name + "-key.pem");
            refuseExisting(spec, cert, key);
            Certificates.Issued issued = Certificates.issue(authority, name, addresses, vipPrefixes, Duration.ofDays(days));
            Certificates.write(issued, cert, key);
            spec.commandLine().getOut().printf("wrote %s and %s for %s at %s%s%n", cert, key, name, String.join(", ", ips),
                    vipPrefixes.isEmpty() ? " (may announce no VIP prefix)" : ", announcing " + String.join(", ", vipPrefixes));
            return 0;
        }
    }

    private static void check(CommandLine.Model.CommandSpec spec, boolean ok, String message) {
        if (!ok) {
            throw new CommandLine.ParameterException(spec.commandLine(), message);
        }
    }

    private static void refuseExisting(CommandLine.Model.CommandSpec spec, Path... files) {
        for (Path f : files) {
            check(spec, !Files.exists(f), f + " exists: not overwritten (move it away, or write elsewhere with --out)");
        }
    }
}
