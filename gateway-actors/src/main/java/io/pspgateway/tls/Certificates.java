package io.pspgateway.tls;

import io.pspgateway.psp.IpText;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Makes the gateways' certificates: a private CA, and per gateway an ECDSA P-256 certificate whose
 * subject alternative names are the addresses peers dial (IP SANs, IPv6 too) and the gateway's id
 * (a DNS SAN), good for both ends of a gRPC connection (serverAuth and clientAuth). X.509 is built
 * with BouncyCastle's builders; keys and signatures come from the JDK's EC provider.
 */
public final class Certificates {
    /** A certificate and the private key it certifies. */
    public record Issued(X509Certificate certificate, PrivateKey key) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String SIGNATURE = "SHA256withECDSA";

    private Certificates() {
    }

    /** A new CA: CA:true with path length 0 (it signs gateways, never another CA), valid for {@code validity}. */
    public static Issued newAuthority(String name, Duration validity) {
        KeyPair keys = newKeyPair();
        X500Name subject = name(name);
        Instant now = Instant.now();
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(), Date.from(now.minusSeconds(60)),
                    Date.from(now.plus(validity)), subject, keys.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
            return new Issued(sign(b, keys.getPrivate()), keys.getPrivate());
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot build the CA certificate", e);
        }
    }

    /**
     * The extension naming the VIP prefixes a gateway may announce to its cluster: a SEQUENCE OF
     * UTF8String, each a prefix as written ("10.2.0.0/24", "fd00::/64"). Non-critical, so that TLS
     * stacks that do not know it still verify the certificate. The OID is under 2.25 (X.667: a
     * UUID as an object identifier), which needs no registration.
     */
    public static final ASN1ObjectIdentifier VIP_PREFIXES = new ASN1ObjectIdentifier("2.25.223671583054347185811648811399734679690");

    /** As {@link #issue(Issued, String, List, List, Duration)} with no VIP prefixes: a certificate that may announce none. */
    public static Issued issue(Issued authority, String name, List<InetAddress> addresses, Duration validity) {
        return issue(authority, name, addresses, List.of(), validity);
    }

    /**
     * A gateway's certificate signed by {@code authority}: subject CN = {@code name}, SANs = DNS
     * {@code name} and every address in {@code addresses}, EKU serverAuth and clientAuth, and, when
     * {@code vipPrefixes} names any, the {@link #VIP_PREFIXES} extension with them.
     */
    public static Issued issue(Issued authority, String name, List<InetAddress> addresses, List<String> vipPrefixes, Duration validity) {
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("a gateway's certificate needs at least one address (--ip): the one its peers dial");
        }
        KeyPair keys = newKeyPair();
        Instant now = Instant.now();
        List<GeneralName> sans = new ArrayList<>();
        sans.add(new GeneralName(GeneralName.dNSName, name));
        for (InetAddress a : addresses) {
            sans.add(new GeneralName(GeneralName.iPAddress, IpText.of(a)));
        }
        try {
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(authority.certificate(), serial(),
                    Date.from(now.minusSeconds(60)), Date.from(now.plus(validity)), name(name), keys.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(authority.certificate()));
            if (!vipPrefixes.isEmpty()) {
                b.addExtension(VIP_PREFIXES, false, new DERSequence(vipPrefixes.stream().map(DERUTF8String::new)
                        .toArray(ASN1Encodable[]::new)));
            }
            return new Issued(sign(b, authority.key()), keys.getPrivate());
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot build the certificate of " + name, e);
        }
    }

    /**
     * The VIP prefixes {@code certificate} lets its holder announce, as written in its
     * {@link #VIP_PREFIXES} extension: none when it has no such extension.
     *
     * @throws IllegalArgumentException when the extension is there but not a sequence of strings
     */
    public static List<String> vipPrefixes(X509Certificate certificate) {
        byte[] wrapped = certificate.getExtensionValue(VIP_PREFIXES.getId());
        if (wrapped == null) {
            return List.of();
        }
        try {
            ASN1Sequence sequence = ASN1Sequence.getInstance(ASN1OctetString.getInstance(wrapped).getOctets());
            List<String> out = new ArrayList<>(sequence.size());
            for (ASN1Encodable e : sequence) {
                out.add(DERUTF8String.getInstance(e).getString());
            }
            return out;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the certificate's VIP prefix extension is malformed: " + e.getMessage(), e);
        }
    }

    /** The certificate as PEM. */
    public static String pem(X509Certificate certificate) {
        return pemOf(certificate);
    }

    /** The key as unencrypted PKCS#8 PEM ("PRIVATE KEY"), the form {@code --tls-key} reads. */
    public static String pem(PrivateKey key) {
        try {
            return pemOf(new JcaPKCS8Generator(key, null).generate());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code issued} as pspgw certs does: its key (PKCS#8, 0600) to {@code key}, its certificate to {@code cert}; both new files. */
    public static void write(Issued issued, Path cert, Path key) throws IOException {
        writeNew(key, pem(issued.key()), true);
        writeNew(cert, pem(issued.certificate()), false);
    }

    /**
     * Writes {@code text} to a new file; never overwrites one. Key files are created readable by
     * their owner alone (0600) before anything is written to them.
     */
    public static void writeNew(Path file, String text, boolean secret) throws IOException {
        if (Files.exists(file)) {
            throw new FileAlreadyExistsException(file + " exists: not overwritten (move it away first)");
        }
        if (secret) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, text, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
        } else {
            Files.writeString(file, text, StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW);
        }
    }

    private static String pemOf(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no EC P-256 key generator", e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer) throws GeneralSecurityException {
        try {
            ContentSigner contentSigner = new JcaContentSignerBuilder(SIGNATURE).build(signer);
            return new JcaX509CertificateConverter().getCertificate(builder.build(contentSigner));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    private static X500Name name(String commonName) {
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM).add(BigInteger.ONE);
    }
}
