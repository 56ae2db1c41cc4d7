package io.pspgateway.tls;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * The TLS material of the gRPC channel between gateways ({@code --tls-ca}, {@code --tls-cert},
 * {@code --tls-key}): one CA every peer's certificate must chain to, and this gateway's own
 * certificate (its chain may follow it in the file) and PKCS#8 key. Both ends authenticate: the
 * server demands a client certificate from that CA, the client verifies the server's certificate
 * against the address it dials (its IP SANs, IPv6 too). Loaded and checked once at start.
 */
public final class GrpcTls {
    private final SSLContext context;
    private final X509Certificate certificate;
    private final LongAdder handshakesRefused;
    private final KeyManager[] keyManagers;
    private final X509ExtendedTrustManager trustManager;
    /** Client contexts that also demand a gateway id of the server, by id (a cluster's members: bounded). */
    private final Map<String, SSLContext> byServerId = new ConcurrentHashMap<>();

    private GrpcTls(SSLContext context, X509Certificate certificate, LongAdder handshakesRefused, KeyManager[] keyManagers,
                    X509ExtendedTrustManager trustManager) {
        this.context = context;
        this.certificate = certificate;
        this.handshakesRefused = handshakesRefused;
        this.keyManagers = keyManagers;
        this.trustManager = trustManager;
    }

    /** Why the material cannot be used: a missing or unreadable file, no PEM of the right kind, a key that does not fit. */
    public static final class TlsException extends Exception {
        TlsException(String message) {
            super(message);
        }
    }

    /** Reads and checks the three PEM files; a {@link TlsException} names the flag and the problem. */
    public static GrpcTls load(Path ca, Path cert, Path key) throws TlsException {
        List<X509Certificate> authorities = certificates(ca, "--tls-ca");
        List<X509Certificate> chain = certificates(cert, "--tls-cert");
        PrivateKey privateKey = privateKey(key);
        X509Certificate own = chain.getFirst();
        try {
            own.checkValidity(new Date());
        } catch (CertificateException e) {
            throw new TlsException("--tls-cert " + cert + ": not valid now (" + e.getMessage() + ")");
        }
        if (!signedByOneOf(chain.getLast(), authorities)) {
            throw new TlsException("--tls-cert " + cert + ": not issued by the CA in --tls-ca " + ca
                    + " (peers would refuse it; issue it with: pspgw certs issue --ca DIR ...)");
        }
        try {
            return of(authorities, chain, privateKey);
        } catch (GeneralSecurityException e) {
            throw new TlsException("--tls-key " + key + " does not fit --tls-cert " + cert + ": " + e.getMessage());
        }
    }

    /** The material of a gateway whose certificate (and chain) is {@code chain}, its key {@code key}, trusting {@code authorities}. */
    public static GrpcTls of(List<X509Certificate> authorities, List<X509Certificate> chain, PrivateKey key) throws GeneralSecurityException {
        try {
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            char[] none = new char[0];
            keys.setKeyEntry("gateway", key, none, chain.toArray(X509Certificate[]::new));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, none);
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            for (int i = 0; i < authorities.size(); i++) {
                trust.setCertificateEntry("ca-" + i, authorities.get(i));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            LongAdder refused = new LongAdder();
            X509ExtendedTrustManager jdk = (X509ExtendedTrustManager) tmf.getTrustManagers()[0];
            SSLContext context = context(kmf.getKeyManagers(), new CountingTrustManager(jdk, refused, Optional.empty()));
            return new GrpcTls(context, chain.getFirst(), refused, kmf.getKeyManagers(), jdk);
        } catch (IOException e) {
            throw new GeneralSecurityException(e.getMessage(), e);
        }
    }

    /** Handshakes refused because the peer's certificate did not verify (another CA, expired, malformed). */
    public long handshakesRefused() {
        return handshakesRefused.sum();
    }

    /** The CA of {@code pspgw certs ca} (its certificate and key), to issue gateway certificates with. */
    public static Certificates.Issued loadAuthority(Path cert, Path key) throws TlsException {
        X509Certificate ca = certificates(cert, "ca.pem").getFirst();
        if (ca.getBasicConstraints() < 0) {
            throw new TlsException(cert + " is not a CA certificate");
        }
        return new Certificates.Issued(ca, privateKey(key));
    }

    private static SSLContext context(KeyManager[] keys, X509ExtendedTrustManager trust) throws GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(keys, new TrustManager[] {trust}, new SecureRandom());
        return context;
    }

    /**
     * For gRPC clients: presents our certificate, trusts the CA; the channel checks that the server's
     * certificate names the address dialled, and with {@code serverId} (a cluster member's gateway
     * id) that it names that id too: a server with a valid certificate of another gateway gets nothing.
     */
    public SSLContext clientContext(Optional<String> serverId) {
        if (serverId.isEmpty()) {
            return context;
        }
        return byServerId.computeIfAbsent(serverId.get(), id -> {
            try {
                return context(keyManagers, new CountingTrustManager(trustManager, handshakesRefused, Optional.of(id)));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("cannot make a TLS context: " + e.getMessage(), e);
            }
        });
    }

    /** Our certificate and key, trusting the CA: what the cluster's transport ({@link ArteryTls}) makes its engines from. */
    SSLContext context() {
        return context;
    }

    /**
     * A server-side engine that asks for a client certificate from the CA. A certificate that does
     * not verify fails the handshake (and is counted); a caller that sends none gets a session with
     * no identity, which the gRPC service refuses, and counts, request by request
     * ({@code CallerGate}): JSSE refuses an empty chain before any trust manager could count it.
     */
    public SSLEngine newServerEngine() {
        SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(false);
        engine.setWantClientAuth(true);
        return engine;
    }

    /** The JDK's trust manager, counting what it refuses. */
    private static final class CountingTrustManager extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager delegate;
        private final LongAdder refused;
        private final Optional<String> serverId;

        CountingTrustManager(X509ExtendedTrustManager delegate, LongAdder refused, Optional<String> serverId) {
            this.delegate = delegate;
            this.refused = refused;
            this.serverId = serverId;
        }

        /** Beyond the JDK's checks: the server is the gateway we mean to call. */
        private void isExpectedServer(X509Certificate[] chain) throws CertificateException {
            if (serverId.isPresent() && !dnsNames(chain[0]).contains(serverId.get())) {
                throw new CertificateException("the server's certificate names " + dnsNames(chain[0]) + ", not gateway "
                        + serverId.get());
            }
        }

        private interface Check {
            void run() throws CertificateException;
        }

        private void counted(Check check) throws CertificateException {
            try {
                check.run();
            } catch (CertificateException e) {
                refused.increment();
                throw e;
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            counted(() -> delegate.checkClientTrusted(chain, authType, socket));
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            counted(() -> delegate.checkClientTrusted(chain, authType, engine));
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            counted(() -> delegate.checkClientTrusted(chain, authType));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            counted(() -> {
                delegate.checkServerTrusted(chain, authType, socket);
                isExpectedServer(chain);
            });
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            counted(() -> {
                delegate.checkServerTrusted(chain, authType, engine);
                isExpectedServer(chain);
            });
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            counted(() -> {
                delegate.checkServerTrusted(chain, authType);
                isExpectedServer(chain);
            });
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate.getAcceptedIssuers();
        }
    }

    /** This gateway's own certificate (what peers see). */
    public X509Certificate certificate() {
        return certificate;
    }

    /** The DNS names among {@code certificate}'s subject alternative names (a gateway's id). */
    public static List<String> dnsNames(X509Certificate certificate) {
        return alternativeNames(certificate, SAN_DNS);
    }

    /** The IP addresses among {@code certificate}'s subject alternative names; none when one is not an address. */
    public static List<InetAddress> ipAddresses(X509Certificate certificate) {
        try {
            return alternativeNames(certificate, SAN_IP).stream().map(InetAddress::ofLiteral).toList();
        } catch (IllegalArgumentException e) {
            return List.of();
        }
    }

    /** The subject alternative names of {@code type} (RFC 5280's GeneralName tag), as the JDK writes them; none when unparsable. */
    private static List<String> alternativeNames(X509Certificate certificate, int type) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> sans = certificate.getSubjectAlternativeNames();
            for (List<?> san : sans == null ? List.<List<?>>of() : sans) {
                if ((Integer) san.get(0) == type) {
                    names.add((String) san.get(1));
                }
            }
        } catch (CertificateParsingException e) {
            return List.of();
        }
        return names;
    }

    private static final int SAN_DNS = 2;
    private static final int SAN_IP = 7;

    /** True when {@code key} can be read by users other than its owner: the gateway warns. */
    public static boolean readableByOthers(Path key) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(key);
            return p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ);
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static List<X509Certificate> certificates(Path file, String flag) throws TlsException {
        List<X509Certificate> out = new ArrayList<>();
        try (PEMParser pem = new PEMParser(reader(file, flag))) {
            for (Object o; (o = pem.readObject()) != null; ) {
                if (o instanceof X509CertificateHolder h) {
                    out.add(new JcaX509CertificateConverter().getCertificate(h));
                }
            }
        } catch (IOException | CertificateException e) {
            throw new TlsException(flag + " " + file + ": not a PEM certificate file (" + e.getMessage() + ")");
        }
        if (out.isEmpty()) {
            throw new TlsException(flag + " " + file + ": no certificate in it (expected -----BEGIN CERTIFICATE-----)");
        }
        return out;
    }

    private static PrivateKey privateKey(Path file) throws TlsException {
        try (PEMParser pem = new PEMParser(reader(file, "--tls-key"))) {
            for (Object o; (o = pem.readObject()) != null; ) {
                if (o instanceof PrivateKeyInfo info) {
                    return new JcaPEMKeyConverter().getPrivateKey(info);
                }
            }
        } catch (IOException e) {
            throw new TlsException("--tls-key " + file + ": not a PEM key file (" + e.getMessage() + ")");
        }
        throw new TlsException("--tls-key " + file + ": no unencrypted PKCS#8 key in it (expected -----BEGIN PRIVATE KEY-----)");
    }

    private static Reader reader(Path file, String flag) throws TlsException {
        try {
            byte[] bytes = Files.readAllBytes(file);
            String text = new String(bytes, StandardCharsets.US_ASCII);
            Arrays.fill(bytes, (byte) 0);
            return new StringReader(text);
        } catch (IOException e) {
            throw new TlsException(flag + ": cannot read " + file + ": " + e.getMessage());
        }
    }

    private static boolean signedByOneOf(X509Certificate cert, List<X509Certificate> authorities) {
        for (X509Certificate ca : authorities) {
            try {
                cert.verify(ca.getPublicKey());
                return true;
            } catch (GeneralSecurityException e) {
                // try the next one
            }
        }
        return false;
    }
}
