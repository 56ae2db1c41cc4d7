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
import java.util.function.Function;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
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
 * against the address it dials (its IP SANs, IPv6 too).
 *
 * <p>The material can be replaced while the gateway runs ({@link #reload}, {@link #replace}): the
 * SSL contexts are made once, on a key manager and a trust manager that delegate to the current
 * material, so every handshake after a replacement uses the new certificate, key and CA, while
 * connections already up keep theirs. The session caches are emptied at each replacement, so that
 * no new connection resumes a session of the old material.
 */
public final class GrpcTls {
    /** Where the material was read from; null when it was given in memory ({@link #of}). */
    private final Sources sources;
    private volatile Material material;
    private final LongAdder handshakesRefused = new LongAdder();
    private final X509ExtendedKeyManager keyManager = new LiveKeyManager();
    private final SSLContext context;
    /** Client contexts that also demand a gateway id of the server, by id (a cluster's members: bounded). */
    private final Map<String, SSLContext> byServerId = new ConcurrentHashMap<>();

    /** The three files of {@code --tls-ca}, {@code --tls-cert} and {@code --tls-key}. */
    public record Sources(Path ca, Path cert, Path key) {
    }

    /** One generation of the material: our certificate with the key manager holding its key, and the CA's trust manager. */
    private record Material(X509Certificate certificate, X509ExtendedKeyManager keys, X509ExtendedTrustManager trust) {
    }

    private GrpcTls(Sources sources, Material material) throws GeneralSecurityException {
        this.sources = sources;
        this.material = material;
        this.context = context(new CountingTrustManager(() -> this.material.trust(), handshakesRefused, Optional.empty()));
    }

    /** Why the material cannot be used: a missing or unreadable file, no PEM of the right kind, a key that does not fit. */
    public static final class TlsException extends Exception {
        TlsException(String message) {
            super(message);
        }
    }

    /** Reads and checks the three PEM files; a {@link TlsException} names the flag and the problem. */
    public static GrpcTls load(Path ca, Path cert, Path key) throws TlsException {
        Sources sources = new Sources(ca, cert, key);
        try {
            return new GrpcTls(sources, read(sources));
        } catch (GeneralSecurityException e) {
            throw new TlsException("cannot make a TLS context: " + e.getMessage());
        }
    }

    /** Where the material is read from; empty when it was given in memory. */
    public Optional<Sources> sources() {
        return Optional.ofNullable(sources);
    }

    /**
     * Reads the files again and, when they pass the checks of {@link #load} and {@code acceptable}
     * (a reason to refuse the new certificate, or empty), uses them for every handshake from now
     * on; when they do not, nothing changes and the {@link TlsException} says why. Returns the
     * certificate in use now.
     */
    public synchronized X509Certificate reload(Function<X509Certificate, Optional<String>> acceptable) throws TlsException {
        if (sources == null) {
            throw new IllegalStateException("this TLS material was given in memory: there are no files to read again");
        }
        Material next = read(sources);
        Optional<String> refusal = acceptable.apply(next.certificate());
        if (refusal.isPresent()) {
            throw new TlsException("--tls-cert " + sources.cert() + ": " + refusal.get());
        }
        swap(next);
        return next.certificate();
    }

    /** {@code data} signed with our TLS key (SHA-256 with ECDSA, RSA or EdDSA, as the key is), for {@link #verify}. */
    public byte[] sign(byte[] data) throws GeneralSecurityException {
        PrivateKey key = material.keys().getPrivateKey("gateway");
        java.security.Signature signer = java.security.Signature.getInstance(signatureAlgorithm(key.getAlgorithm()));
        signer.initSign(key);
        signer.update(data);
        return signer.sign();
    }

    /**
     * Checks that {@code certificate} was issued by our CA and is valid now, and that
     * {@code signature} over {@code data} was made with its key.
     *
     * @throws GeneralSecurityException saying which check failed
     */
    public void verify(X509Certificate certificate, byte[] data, byte[] signature) throws GeneralSecurityException {
        material.trust().checkClientTrusted(new X509Certificate[] {certificate}, certificate.getPublicKey().getAlgorithm());
        java.security.Signature verifier = java.security.Signature.getInstance(signatureAlgorithm(certificate.getPublicKey().getAlgorithm()));
        verifier.initVerify(certificate.getPublicKey());
        verifier.update(data);
        if (!verifier.verify(signature)) {
            throw new java.security.SignatureException("the signature was not made with the key of the certificate");
        }
    }

    private static String signatureAlgorithm(String keyAlgorithm) throws java.security.NoSuchAlgorithmException {
        return switch (keyAlgorithm) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> throw new java.security.NoSuchAlgorithmException("no signature for keys of type " + keyAlgorithm);
        };
    }

    /** Uses this certificate (and chain), key and CA for every handshake from now on (tests; what {@link #reload} does with files). */
    public synchronized void replace(List<X509Certificate> authorities, List<X509Certificate> chain, PrivateKey key)
            throws GeneralSecurityException {
        swap(material(authorities, chain, key));
    }

    private void swap(Material next) {
        material = next;
        invalidateSessions(context);
        byServerId.values().forEach(GrpcTls::invalidateSessions);
    }

    private static void invalidateSessions(SSLContext context) {
        for (SSLSessionContext sessions : List.of(context.getClientSessionContext(), context.getServerSessionContext())) {
            for (byte[] id : java.util.Collections.list(sessions.getIds())) {
                SSLSession session = sessions.getSession(id);
                if (session != null) {
                    session.invalidate();
                }
            }
        }
    }

    private static Material read(Sources files) throws TlsException {
        Path ca = files.ca();
        Path cert = files.cert();
        Path key = files.key();
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
            return material(authorities, chain, privateKey);
        } catch (GeneralSecurityException e) {
            throw new TlsException("--tls-key " + key + " does not fit --tls-cert " + cert + ": " + e.getMessage());
        }
    }

    /** The material of a gateway whose certificate (and chain) is {@code chain}, its key {@code key}, trusting {@code authorities}. */
    public static GrpcTls of(List<X509Certificate> authorities, List<X509Certificate> chain, PrivateKey key) throws GeneralSecurityException {
        return new GrpcTls(null, material(authorities, chain, key));
    }

    private static Material material(List<X509Certificate> authorities, List<X509Certificate> chain, PrivateKey key)
            throws GeneralSecurityException {
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
            return new Material(chain.getFirst(), (X509ExtendedKeyManager) kmf.getKeyManagers()[0],
                    (X509ExtendedTrustManager) tmf.getTrustManagers()[0]);
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

    private SSLContext context(X509ExtendedTrustManager trust) throws GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(new KeyManager[] {keyManager}, new TrustManager[] {trust}, new SecureRandom());
        return context;
    }

    /** The current material's key manager, whichever that is at the handshake. */
    private final class LiveKeyManager extends X509ExtendedKeyManager {
        private X509ExtendedKeyManager now() {
            return material.keys();
        }

        @Override
        public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
            return now().getClientAliases(keyType, issuers);
        }

        @Override
        public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, Socket socket) {
            return now().chooseClientAlias(keyType, issuers, socket);
        }

        @Override
        public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
            return now().getServerAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, java.security.Principal[] issuers, Socket socket) {
            return now().chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return now().getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return now().getPrivateKey(alias);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, java.security.Principal[] issuers, SSLEngine engine) {
            return now().chooseEngineClientAlias(keyType, issuers, engine);
        }

        @Override
        public String chooseEngineServerAlias(String keyType, java.security.Principal[] issuers, SSLEngine engine) {
            return now().chooseEngineServerAlias(keyType, issuers, engine);
        }
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
                return context(new CountingTrustManager(() -> material.trust(), handshakesRefused, Optional.of(id)));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("cannot make a TLS context: " + e.getMessage(), e);
            }
        });
    }

    /**
     * Our certificate and key, trusting the CA: what the cluster's transport ({@link ArteryTls})
     * and the bootstrap's probes of Pekko Management make their engines from.
     */
    public SSLContext context() {
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

    /** A server-side engine that refuses, in the handshake, a client without a certificate of the CA (Artery, Pekko Management). */
    public SSLEngine newClientAuthenticatingEngine() {
        SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(false);
        engine.setNeedClientAuth(true);
        return engine;
    }

    /** The current material's JDK trust manager, counting what it refuses. */
    private static final class CountingTrustManager extends X509ExtendedTrustManager {
        private final java.util.function.Supplier<X509ExtendedTrustManager> delegate;
        private final LongAdder refused;
        private final Optional<String> serverId;

        CountingTrustManager(java.util.function.Supplier<X509ExtendedTrustManager> delegate, LongAdder refused, Optional<String> serverId) {
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
            counted(() -> delegate.get().checkClientTrusted(chain, authType, socket));
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            counted(() -> delegate.get().checkClientTrusted(chain, authType, engine));
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            counted(() -> delegate.get().checkClientTrusted(chain, authType));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            counted(() -> {
                delegate.get().checkServerTrusted(chain, authType, socket);
                isExpectedServer(chain);
            });
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            counted(() -> {
                delegate.get().checkServerTrusted(chain, authType, engine);
                isExpectedServer(chain);
            });
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            counted(() -> {
                delegate.get().checkServerTrusted(chain, authType);
                isExpectedServer(chain);
            });
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate.get().getAcceptedIssuers();
        }
    }

    /** This gateway's own certificate (what peers see from now on). */
    public X509Certificate certificate() {
        return material.certificate();
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
