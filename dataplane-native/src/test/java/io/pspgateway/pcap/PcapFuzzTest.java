package io.pspgateway.pcap;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Property-based fuzzing of the file parsers: garbage pcap files and garbage configuration text
 * produce a clear checked error (or a valid result), never any other exception.
 */
class PcapFuzzTest {

    @Provide
    Arbitrary<byte[]> pcapLike() {
        byte[] header = {(byte) 0xD4, (byte) 0xC3, (byte) 0xB2, (byte) 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                (byte) 0xFF, (byte) 0xFF, 0, 0, 1, 0, 0, 0};
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(300).map(tail -> {
            byte[] all = new byte[header.length + tail.length];
            System.arraycopy(header, 0, all, 0, header.length);
            System.arraycopy(tail, 0, all, header.length, tail.length);
            return all;
        });
    }

    @Property(tries = 2000)
    void garbagePcapFilesFailCleanlyAndNeverCrashTheDecryptor(@ForAll("pcapLike") byte[] file) throws Exception {
        try (PcapReader in = PcapReader.of(new ByteArrayInputStream(file), "fuzz.pcap");
             PcapWriter out = PcapWriter.of(new ByteArrayOutputStream(), PcapWriter.REFERENCE_SNAPLEN)) {
            PspPcapTool.decrypt(new io.pspgateway.psp.MasterKeyPair(new byte[32], new byte[32]), in, out);
        } catch (PcapFormatException expected) {
            // a clear message naming the record is the right answer to a broken file
        } catch (IOException e) {
            throw new AssertionError("only PcapFormatException may come out of a parse, got " + e, e);
        }
    }

    @Provide
    Arbitrary<String> configLike() {
        Arbitrary<String> token = Arbitraries.oneOf(
                Arbitraries.strings().withChars("0123456789abcdefxXzZ-").ofMinLength(1).ofMaxLength(10),
                Arbitraries.of("tunnel", "transport", "aes-gcm-128", "aes-gcm-256", "vc", "no-vc", "\n", "\r\n", "\t"));
        return token.list().ofMaxSize(90).map(t -> String.join(" ", t));
    }

    @Property(tries = 2000)
    void garbageConfigsGiveAConfigExceptionOrAConfig(@ForAll("configLike") String text) {
        try {
            ReferenceConfig.parseEncrypt(text, "fuzz.cfg");
        } catch (ReferenceConfig.ConfigException expected) {
            if (!expected.getMessage().startsWith("fuzz.cfg:")) {
                throw new AssertionError("error does not name the file and line: " + expected.getMessage());
            }
        }
    }
}
