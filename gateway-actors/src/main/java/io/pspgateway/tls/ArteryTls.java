package io.pspgateway.tls;

import io.pspgateway.config.HostPort;
import io.pspgateway.psp.IpText;
import java.net.InetAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.apache.pekko.remote.artery.tcp.SSLEngineProvider;
import org.apache.pekko.remote.artery.tcp.SslTransportException;
import scala.Option;

/**
 * The cluster's transport (Artery, {@code tls-tcp}) over mutual TLS with the gateway's gRPC
 * material: the same CA, certificate and key. Pekko's own PEM provider does not fit: it reads RSA
 * keys only (ours are P-256), wants the peer to share a name with us (every gateway has its own),
 * and reloads only on a timer.
 *
 * <p>Both ends present a certificate and accept only one from the CA: a server engine requires a
 * client certificate, so a host without one, or with one of another CA, cannot open an Artery
 * connection, and so can neither join the cluster nor gossip to it. A member dialling another
 * also checks that the certificate names the address it dialled (the member's canonical
 * hostname, its uplink), so that a member's address cannot be served by another holder of a
 * certificate of the CA.
 */
public final class ArteryTls implements SSLEngineProvider {
    private final GrpcTls tls;

    public ArteryTls(GrpcTls tls) {
        this.tls = tls;
    }

    @Override
    public SSLEngine createServerSSLEngine(String hostname, int port) {
        return tls.newClientAuthenticatingEngine();
    }

    @Override
    public SSLEngine createClientSSLEngine(String hostname, int port) {
        SSLEngine engine = tls.context().createSSLEngine(hostname, port);
        engine.setUseClientMode(true);
        return engine;
    }

    /** Called where we dialled {@code hostname}: the member there must hold a certificate naming it. */
    @Override
    public Option<Throwable> verifyClientSession(String hostname, SSLSession session) {
        return Option.apply(namesAddress(hostname, session).orElse(null));
    }

    /** Called where we accepted a connection: the handshake already required a client certificate of the CA. */
    @Override
    public Option<Throwable> verifyServerSession(String hostname, SSLSession session) {
        return Option.empty();
    }

    /** Why the peer of {@code session} may not serve {@code hostname}; empty when its certificate names that address. */
    static Optional<Throwable> namesAddress(String hostname, SSLSession session) {
        Certificate[] chain;
        try {
            chain = session.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            return Optional.of(new SslTransportException("the member at " + hostname + " presented no certificate", e));
        }
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
            return Optional.of(new SslTransportException("the member at " + hostname + " presented no X.509 certificate", null));
        }
        InetAddress dialled;
        try {
            // Artery writes an IPv6 host in brackets, as in its addresses: pekko://pspgw@[2001:db8::1]:25520
            boolean bracketed = hostname.startsWith("[") && hostname.endsWith("]");
            dialled = HostPort.ip(bracketed ? hostname.substring(1, hostname.length() - 1) : hostname);
        } catch (IllegalArgumentException notAnAddress) {
            // a DNS name as canonical hostname: the certificate must carry it as a DNS SAN
            return GrpcTls.dnsNames(leaf).contains(hostname) ? Optional.empty()
                    : Optional.of(new SslTransportException("the certificate of the member at " + hostname + " names "
                            + GrpcTls.dnsNames(leaf) + ", not " + hostname, null));
        }
        if (GrpcTls.ipAddresses(leaf).contains(dialled)) {
            return Optional.empty();
        }
        return Optional.of(new SslTransportException("the certificate of the member at " + IpText.of(dialled) + " names "
                + GrpcTls.ipAddresses(leaf).stream().map(IpText::of).toList() + ", not that address", null));
    }
}
