package io.pspgateway.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.pspgateway.tls.Certificates;
import io.pspgateway.tls.GrpcTls;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Who may announce what: a signed announcement of a certificate of the CA, for its id, address, incarnation and allowed prefixes. */
class AnnouncementTrustTest {
    private static final Certificates.Issued CA = Certificates.newAuthority("announcement test CA", Duration.ofDays(1));
    private static final long INCARNATION = 7;

    private static GrpcTls material(Certificates.Issued authority, String id, String address, List<String> prefixes) throws Exception {
        Certificates.Issued own = Certificates.issue(authority, id, List.of(InetAddress.ofLiteral(address)), prefixes, Duration.ofDays(1));
        return GrpcTls.of(List.of(CA.certificate()), List.of(own.certificate()), own.key());
    }

    private static GatewayInfo announcement(String id, String grpcHost, String... prefixes) {
        return new GatewayInfo(id, grpcHost, 3000, "198.51.100.2", VipPrefixes.parse(List.of(prefixes)), List.of(1, 0), INCARNATION, 0);
    }

    /** What a receiver trusting {@link #CA} makes of {@code info} signed by {@code signer}, found in the register of {@code register}. */
    private static Optional<String> received(GatewayInfo info, GrpcTls signer, long register) throws Exception {
        GatewayInfo signed = new AnnouncementTrust(Optional.of(signer)).sign(info);
        // through the wire form, as gossip carries it
        GatewayInfoSerializer serializer = new GatewayInfoSerializer(null);
        GatewayInfo read = (GatewayInfo) serializer.fromBinary(serializer.toBinary(signed), serializer.manifest(signed));
        return new AnnouncementTrust(Optional.of(material(CA, "receiver", "127.0.0.9", List.of()))).refusal(read, register);
    }

    @Test
    void aSignedAnnouncementWithinItsCertificateIsBelieved() throws Exception {
        GrpcTls gw1 = material(CA, "gw1", "127.0.0.2", List.of("10.2.0.0/16", "fd00:2::/48"));
        assertEquals(Optional.empty(), received(announcement("gw1", "127.0.0.2", "10.2.0.0/24", "10.2.7.1", "fd00:2:0:1::/64"), gw1, INCARNATION));
    }

    @Test
    void everythingElseIsRefusedSayingWhy() throws Exception {
        GrpcTls gw1 = material(CA, "gw1", "127.0.0.2", List.of("10.2.0.0/16"));
        assertRefused(received(announcement("gw1", "127.0.0.2", "10.3.0.0/24"), gw1, INCARNATION), "announces 10.3.0.0/24");
        assertRefused(received(announcement("gw1", "127.0.0.2", "10.0.0.0/8"), gw1, INCARNATION), "announces 10.0.0.0/8");
        assertRefused(received(announcement("gw1", "127.0.0.2", "10.2.0.0/24"), gw1, INCARNATION + 1), "register of 8");
        assertRefused(received(announcement("gw2", "127.0.0.2", "10.2.0.0/24"), gw1, INCARNATION), "not gateway gw2");
        assertRefused(received(announcement("gw1", "127.0.0.3", "10.2.0.0/24"), gw1, INCARNATION), "gRPC address 127.0.0.3");
        GrpcTls noPrefixes = material(CA, "gw1", "127.0.0.2", List.of());
        assertRefused(received(announcement("gw1", "127.0.0.2", "10.2.0.0/24"), noPrefixes, INCARNATION), "allows []");
        Certificates.Issued otherCa = Certificates.newAuthority("another CA", Duration.ofDays(1));
        assertRefused(received(announcement("gw1", "127.0.0.2", "10.2.0.0/24"), material(otherCa, "gw1", "127.0.0.2",
                List.of("10.2.0.0/16")), INCARNATION), "does not verify");

        AnnouncementTrust receiver = new AnnouncementTrust(Optional.of(material(CA, "receiver", "127.0.0.9", List.of())));
        assertRefused(receiver.refusal(announcement("gw1", "127.0.0.2", "10.2.0.0/24"), INCARNATION), "not signed");
        GatewayInfo signed = new AnnouncementTrust(Optional.of(gw1)).sign(announcement("gw1", "127.0.0.2", "10.2.0.0/24"));
        byte[] forged = signed.proof().signature().toByteArray();
        forged[forged.length - 1] ^= 1;
        assertRefused(receiver.refusal(signed.withProof(new GatewayInfo.Proof(signed.proof().signed(), signed.proof().certificate(),
                ByteString.copyFrom(forged))), INCARNATION), "does not verify");
        assertEquals(2, receiver.refused(), "each refusal counted");
    }

    @Test
    void theWireFormIsReadFromWhatWasSignedNeverFromTheCopyBesideIt() throws Exception {
        GrpcTls gw1 = material(CA, "gw1", "127.0.0.2", List.of("10.2.0.0/16"));
        GatewayInfo signed = new AnnouncementTrust(Optional.of(gw1)).sign(announcement("gw1", "127.0.0.2", "10.2.0.0/24"));
        GatewayInfoSerializer serializer = new GatewayInfoSerializer(null);
        byte[] tampered = io.pspgateway.proto.cluster.GatewayAnnouncement.parseFrom(serializer.toBinary(signed)).toBuilder()
                .setVipPrefixes(ByteString.copyFrom(VipPrefixes.parse(List.of("10.0.0.0/8")).pack())).build().toByteArray();
        GatewayInfo read = (GatewayInfo) serializer.fromBinary(tampered, serializer.manifest(signed));
        assertEquals(List.of("10.2.0.0/24"), read.vipPrefixes().asStrings());
    }

    @Test
    void withoutTlsMaterialAnnouncementsAreBelievedAsTheyCome() {
        AnnouncementTrust plaintext = new AnnouncementTrust(Optional.empty());
        GatewayInfo unsigned = announcement("gw1", "127.0.0.2", "10.2.0.0/24");
        assertEquals(unsigned, plaintext.sign(unsigned));
        assertEquals(Optional.empty(), plaintext.refusal(unsigned, INCARNATION + 1));
    }

    private static void assertRefused(Optional<String> refusal, String because) {
        assertTrue(refusal.isPresent() && refusal.get().contains(because), "expected a refusal saying '" + because + "', got " + refusal);
    }
}
