package io.pspgateway.pcap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.psp.MasterKeyPair;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Conformance with Google's reference implementation: for every cfg and every cleartext it was
 * run on, our encryptor's output is byte-identical to the reference encryptor's, and our
 * decryptor turns the reference's encrypted file back into the cleartext.
 */
class ReferenceVectorTest {
    static Path vectors() {
        try {
            return Path.of(ReferenceVectorTest.class.getResource("/psp-reference/decrypt.cfg").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /** One reference case: the cfg, the family (v4/v6), and the reference's encrypted output. */
    record Case(String name, Path cfg, Path cleartext, Path encrypted, Path decrypted) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() throws IOException {
        Path dir = vectors();
        List<Case> all = new ArrayList<>();
        try (Stream<Path> cfgs = Files.list(dir)) {
            for (Path cfg : cfgs.filter(p -> p.getFileName().toString().startsWith("encrypt_")).sorted().toList()) {
                String variant = cfg.getFileName().toString().replaceFirst("^encrypt_", "").replaceFirst("\\.cfg$", "");
                for (String family : List.of("v4", "v6")) {
                    Path encrypted = dir.resolve(family + "_encrypt_" + variant + ".pcap");
                    if (Files.exists(encrypted)) {
                        String clear = family + (variant.endsWith("_empty") ? "_cleartext_empty.pcap" : "_cleartext.pcap");
                        all.add(new Case(family + "_" + variant, cfg, dir.resolve(clear), encrypted,
                                dir.resolve(family + "_decrypt_" + variant + ".pcap")));
                    }
                }
            }
        }
        return all.stream();
    }

    @Test
    void everyReferenceCaseIsFound() throws IOException {
        assertEquals(22, cases().count());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void encryptIsByteIdenticalToTheReference(Case c) throws Exception {
        ReferenceConfig cfg = ReferenceConfig.parseEncrypt(Files.readString(c.cfg()), c.cfg().toString());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PcapRunSummary summary;
        try (PcapReader in = PcapReader.open(c.cleartext()); PcapWriter w = PcapWriter.of(out, PcapWriter.REFERENCE_SNAPLEN)) {
            summary = PspPcapTool.encrypt(cfg, in, w, false);
        }
        assertEquals(0, summary.failedCount());
        assertArrayEquals(Files.readAllBytes(c.encrypted()), out.toByteArray());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void decryptGivesBackTheCleartext(Case c) throws Exception {
        MasterKeyPair keys = ReferenceConfig.parseMasterKeys(Files.readString(vectors().resolve("decrypt.cfg")), "decrypt.cfg");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PcapRunSummary summary;
        try (PcapReader in = PcapReader.open(c.encrypted()); PcapWriter w = PcapWriter.of(out, PcapWriter.REFERENCE_SNAPLEN)) {
            summary = PspPcapTool.decrypt(keys, in, w);
        }
        assertEquals(1, summary.processedCount(), summary.line("decrypted", c.name()));
        List<PcapRecord> ours = records(out.toByteArray());
        List<PcapRecord> clear = records(Files.readAllBytes(c.cleartext()));
        assertEquals(clear.size(), ours.size());
        for (int i = 0; i < clear.size(); i++) {
            assertArrayEquals(clear.get(i).data(), ours.get(i).data());
            assertEquals(clear.get(i).seconds(), ours.get(i).seconds());
            assertEquals(clear.get(i).micros(), ours.get(i).micros());
        }
        // where the reference decryptor produced output, ours is byte-identical to it as a file
        List<PcapRecord> reference = records(Files.readAllBytes(c.decrypted()));
        if (!reference.isEmpty()) {
            assertArrayEquals(Files.readAllBytes(c.decrypted()), out.toByteArray());
        }
    }

    @Test
    void corruptedEncryptionFailsAuthenticationAtTheDecryptor() throws Exception {
        Case c = cases().filter(k -> k.name().equals("v4_tunnel_crypt_off_128")).findFirst().orElseThrow();
        ReferenceConfig cfg = ReferenceConfig.parseEncrypt(Files.readString(c.cfg()), "cfg");
        ByteArrayOutputStream sealed = new ByteArrayOutputStream();
        try (PcapReader in = PcapReader.open(c.cleartext()); PcapWriter w = PcapWriter.of(sealed, PcapWriter.REFERENCE_SNAPLEN)) {
            PspPcapTool.encrypt(cfg, in, w, true);
        }
        PcapRunSummary summary;
        try (PcapReader in = PcapReader.of(new ByteArrayInputStream(sealed.toByteArray()), "sealed");
             PcapWriter w = PcapWriter.of(new ByteArrayOutputStream(), PcapWriter.REFERENCE_SNAPLEN)) {
            summary = PspPcapTool.decrypt(cfg.masterKeys(), in, w);
        }
        assertEquals(0, summary.processedCount());
        assertEquals(java.util.Map.of("auth-failed", 1L), summary.failedByReason());
    }

    @Test
    void packetsWhoseCryptOffsetPassesTheEndAreSkippedAndCounted() throws Exception {
        // the _empty cfg's offset ends exactly at the end of the empty packet; one word more passes it
        Path dir = vectors();
        String text = Files.readString(dir.resolve("encrypt_transport_crypt_off_128_empty.cfg"))
                .replaceFirst("(?m)^2$", "3");
        ReferenceConfig cfg = ReferenceConfig.parseEncrypt(text, "cfg");
        PcapRunSummary summary;
        try (PcapReader in = PcapReader.open(dir.resolve("v4_cleartext_empty.pcap"));
             PcapWriter w = PcapWriter.of(new ByteArrayOutputStream(), PcapWriter.REFERENCE_SNAPLEN)) {
            summary = PspPcapTool.encrypt(cfg, in, w, false);
        }
        assertEquals(0, summary.processedCount());
        assertEquals(java.util.Map.of("crypt-offset-past-end", 1L), summary.skippedByReason());
        assertTrue(summary.line("encrypted", "x").contains("skipped: crypt-offset-past-end=1"));
    }

    static List<PcapRecord> records(byte[] file) throws IOException {
        List<PcapRecord> all = new ArrayList<>();
        try (PcapReader r = PcapReader.of(new ByteArrayInputStream(file), "test")) {
            for (PcapRecord rec; (rec = r.next()) != null; ) {
                all.add(rec);
            }
        }
        return all;
    }
}
