package io.pspgateway.cluster;

import com.google.protobuf.ByteString;
import io.pspgateway.config.HostPort;
import io.pspgateway.tls.Certificates;
import io.pspgateway.tls.GrpcTls;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Optional;

/**
 * Who may announce what in the cluster. With TLS material every member signs what it publishes
 * with its TLS key and attaches its certificate; a receiver believes an announcement only when
 * <ul>
 *   <li>it is signed, by the key of a certificate our CA issued that is valid now;</li>
 *   <li>the certificate names the announced gateway id (a DNS SAN) and gRPC address (an IP SAN);</li>
 *   <li>it was found in the register of the member incarnation it names: Distributed Data lets
 *       any member write any register, so a member could otherwise overwrite another's, or replay
 *       an announcement of an earlier incarnation;</li>
 *   <li>every prefix announced lies within the prefixes the certificate allows
 *       ({@code pspgw certs issue --vip-prefix}; a certificate without any may announce none).</li>
 * </ul>
 * Anything else is ignored, counted and logged. Without TLS material (a plaintext cluster, warned
 * of at start) every announcement is believed, as before.
 */
public final class AnnouncementTrust {
    private final Optional<GrpcTls> tls;
    private final java.util.concurrent.atomic.LongAdder refused = new java.util.concurrent.atomic.LongAdder();

    public AnnouncementTrust(Optional<GrpcTls> tls) {
        this.tls = tls;
    }

    /** Announcements not believed so far (each change of a member's register counts once). */
    public long refused() {
        return refused.sum();
    }

    /** {@code info} with a proof that we announce it; unchanged without TLS material. */
    GatewayInfo sign(GatewayInfo info) {
        if (tls.isEmpty()) {
            return info;
        }
        ByteString signed = GatewayInfoSerializer.content(info).toByteString();
        try {
            return info.withProof(new GatewayInfo.Proof(signed, ByteString.copyFrom(tls.get().certificate().getEncoded()),
                    ByteString.copyFrom(tls.get().sign(signed.toByteArray()))));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign this gateway's announcement with its TLS key: " + e.getMessage(), e);
        }
    }

    /** Why {@code info}, read from the register of member incarnation {@code memberUid}, is not believed (counted); empty when it is. */
    Optional<String> refusal(GatewayInfo info, long memberUid) {
        Optional<String> why = check(info, memberUid);
        if (why.isPresent()) {
            refused.increment();
        }
        return why;
    }

    private Optional<String> check(GatewayInfo info, long memberUid) {
        if (tls.isEmpty()) {
            return Optional.empty();
        }
        if (info.incarnation() != memberUid) {
            return Optional.of("it names incarnation " + Long.toUnsignedString(info.incarnation()) + " but was found in the register of "
                    + Long.toUnsignedString(memberUid) + " (written by another member, or replayed)");
        }
        if (info.proof() == null) {
            return Optional.of("it is not signed");
        }
        X509Certificate certificate;
        try {
            certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(info.proof().certificate().toByteArray()));
            tls.get().verify(certificate, info.proof().signed().toByteArray(), info.proof().signature().toByteArray());
        } catch (GeneralSecurityException | ClassCastException e) {
            return Optional.of("its certificate or signature does not verify: " + e.getMessage());
        }
        if (!GrpcTls.dnsNames(certificate).contains(info.id())) {
            return Optional.of("its certificate names " + GrpcTls.dnsNames(certificate) + ", not gateway " + info.id());
        }
        InetAddress grpc;
        try {
            grpc = HostPort.ip(info.grpcHost());
        } catch (IllegalArgumentException e) {
            return Optional.of("its gRPC host '" + info.grpcHost() + "' is not an IP address");
        }
        if (!GrpcTls.ipAddresses(certificate).contains(grpc)) {
            return Optional.of("its certificate does not name its gRPC address " + info.grpcHost());
        }
        VipPrefixes allowed;
        try {
            allowed = VipPrefixes.parse(Certificates.vipPrefixes(certificate));
        } catch (IllegalArgumentException e) {
            return Optional.of("its certificate's VIP prefixes are unreadable: " + e.getMessage());
        }
        return info.vipPrefixes().firstOutside(allowed).map(outside -> "it announces " + outside
                + ", which its certificate does not allow (it allows " + allowed.asStrings() + ")");
    }
}
