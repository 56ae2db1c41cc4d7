package io.pspgateway.dataplane.doca;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.psp.PspMode;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pipeline of BACKEND-NOTES 2.5 against the fake: which pipes in which order, how each is
 * configured, where each forwards and misses, the static entries, and the bytes of the templates
 * that carry the PSP facts. The expectations are written from the notes' table, by hand.
 */
class DocaPipelineTest {
    private static final byte[] PF_MAC = {0x02, 0, 0, 0, 0, 0x01};
    private static final byte[] DECAP_DMAC = {0x02, 0, 0, 0, 0, 0x0d};

    private FakeDoca fake;
    private DocaFlow flow;
    private int liveBefore;

    @BeforeEach
    void start() throws Exception {
        fake = FakeDoca.get();
        liveBefore = fake.liveObjects();
        flow = DocaFlow.start(DocaFlowNative.bind(fake.lookup()), new DocaFlow.Settings(256, 2, MemorySegment.ofAddress(0x1000)));
    }

    @AfterEach
    void stop() {
        flow.close();
    }

    private PipeJournal build(PspMode mode, boolean acl, int sampleRateLog2, boolean maintainOrder) {
        DocaPipeline.build(flow, new DocaPipeline.Settings(mode, 256, 2, acl, sampleRateLog2, maintainOrder, true, PF_MAC, DECAP_DMAC));
        List<FakeDoca.Call> calls = fake.journal();
        assertTrue(calls.stream().noneMatch(c -> c.function().startsWith("fake:")), "an entry's structs changed before DOCA processed it");
        return new PipeJournal(calls);
    }

    private static String line(PipeJournal.Pipe p) {
        return p.name() + " " + String.join(", ", p.settings()) + " | fwd=" + p.fwd() + " miss=" + p.miss();
    }

    @Test
    void theDefaultTunnelPipelineIsTheNotesTableWithoutSampling() {
        PipeJournal j = build(PspMode.TUNNEL, true, 0, false);
        // type 0 BASIC, 1 CONTROL; domain 0 DEFAULT, 1 SECURE_INGRESS, 2 EGRESS, 3 SECURE_EGRESS; dir 1 N2H, 2 H2N; counter=2 NON_SHARED
        assertEquals(List.of(
                "RSS_PIPE type 0, domain 2, nr_entries 1, match mask=NULL, monitor counter=2 | fwd=RSS(flags=3 q=0,1) miss=NULL",
                "SYNDROME_STATS type 0, domain 1, dir_info 1, nr_entries 2, miss_counter 1, match mask=NULL, monitor counter=2 | fwd=DROP miss=DROP",
                "INGR_ACL_IPV4 type 0, domain 0, dir_info 1, nr_entries 256, miss_counter 1, match mask=match, actions 1, monitor counter=2"
                        + " | fwd=PORT(1) miss=PIPE(SYNDROME_STATS)",
                "INGR_ACL_IPV6 type 0, domain 0, dir_info 1, nr_entries 256, miss_counter 1, match mask=match, actions 1, monitor counter=2"
                        + " | fwd=PORT(1) miss=PIPE(SYNDROME_STATS)",
                "ING_SRC_IP6 type 0, domain 0, dir_info 1, nr_entries 256, miss_counter 1, match mask=NULL, actions 1, monitor counter=2"
                        + " | fwd=PIPE(INGR_ACL_IPV6) miss=PIPE(SYNDROME_STATS)",
                "PSP_INNER_IP_CLASSIFIER type 0, domain 1, dir_info 1, nr_entries 2, miss_counter 1, match mask=match, monitor counter=2"
                        + " | fwd=PIPE(NULL) miss=DROP",
                "PSP_DECRYPT type 0, domain 1, dir_info 1, nr_entries 1, miss_counter 1, match mask=NULL, actions 1, monitor counter=2"
                        + " | fwd=PIPE(PSP_INNER_IP_CLASSIFIER) miss=DROP",
                "EGR_ACL_IPV4 type 0, domain 3, dir_info 2, nr_entries 256, miss_counter 1, match mask=NULL, actions 2, monitor counter=2"
                        + " | fwd=PORT(0) miss=PIPE(RSS_PIPE)",
                "EGR_ACL_IPV6 type 0, domain 3, dir_info 2, nr_entries 256, miss_counter 1, match mask=NULL, actions 2, monitor counter=2"
                        + " | fwd=PORT(0) miss=PIPE(RSS_PIPE)",
                "EGR_ACL type 0, domain 3, dir_info 2, nr_entries 256, miss_counter 1, match mask=NULL, actions 1, monitor counter=2"
                        + " | fwd=PIPE(EGR_ACL_IPV6) miss=PIPE(RSS_PIPE)",
                "EMPTY type 0, domain 2, nr_entries 4, miss_counter 1, match mask=match, is_root 1, monitor counter=2 | fwd=CHANGEABLE miss=DROP",
                "ROOT type 1, domain 0, is_root 1, nr_entries 7, monitor counter=2 | fwd=NULL miss=NULL"),
                j.pipes.stream().map(DocaPipelineTest::line).toList());
        assertEquals(List.of("RSS_PIPE fwd=NULL monitor=counter=2",
                "SYNDROME_STATS match fwd=NULL monitor=counter=2", "SYNDROME_STATS match fwd=NULL monitor=counter=2",
                "PSP_INNER_IP_CLASSIFIER match fwd=PIPE(ING_SRC_IP6) monitor=counter=2",
                "PSP_INNER_IP_CLASSIFIER match fwd=PIPE(INGR_ACL_IPV4) monitor=counter=2",
                "PSP_DECRYPT match actions fwd=NULL monitor=counter=2",
                "EMPTY match fwd=PORT(1) monitor=counter=2", "EMPTY match fwd=PORT(1) monitor=counter=2",
                "EMPTY match fwd=PIPE(EGR_ACL_IPV4) monitor=counter=2", "EMPTY match fwd=PIPE(EGR_ACL) monitor=counter=2",
                "ROOT prio=2 fwd=PIPE(PSP_DECRYPT) monitor=counter=2", "ROOT prio=1 fwd=PIPE(PSP_DECRYPT) monitor=counter=2",
                "ROOT prio=2 fwd=PIPE(EMPTY) monitor=counter=2", "ROOT prio=2 fwd=PIPE(EMPTY) monitor=counter=2",
                "ROOT prio=3 fwd=RSS(flags=3 q=0,1) monitor=counter=2", "ROOT prio=1 fwd=RSS(flags=3 q=0,1) monitor=counter=2",
                "ROOT prio=4 fwd=DROP monitor=counter=2"),
                j.entries.stream().map(e -> e.pipe() + " " + e.detail()).toList());
        // no mirror without sampling; every pipe cfg destroyed, every static entry live
        assertTrue(j.resources.stream().noneMatch(r -> r.contains("type=3")), j.resources.toString());
        assertEquals(liveBefore + 2 /* ports */ + j.pipes.size() + j.entries.size(), fake.liveObjects());
    }

    @Test
    void samplingAddsTheMirrorsAndSamplingPipesAndMaintainOrderDropsTheMissOfEgrSampl() {
        PipeJournal j = build(PspMode.TUNNEL, true, 3, true);
        assertEquals(List.of("RSS_PIPE", "fwd_to_wire", "fwd_to_rss", "SYNDROME_STATS", "INGR_ACL_IPV4", "INGR_ACL_IPV6", "ING_SRC_IP6",
                "PSP_INNER_IP_CLASSIFIER", "INGR_SAMPL", "PSP_DECRYPT", "EGR_SAMPL", "EGR_SET_SAMPLE_BIT", "EGR_ACL_IPV4", "EGR_ACL_IPV6",
                "EGR_ACL", "EMPTY", "ROOT"), j.pipeNames());
        assertEquals("fwd=PORT(0) miss=DROP", fwdAndMiss(j, "fwd_to_wire"));
        assertEquals("fwd=RSS(flags=3 q=0,1) miss=NULL", fwdAndMiss(j, "fwd_to_rss"));
        assertEquals("fwd=PIPE(RSS_PIPE) miss=PIPE(PSP_INNER_IP_CLASSIFIER)", fwdAndMiss(j, "INGR_SAMPL"));
        assertTrue(j.pipe("INGR_SAMPL").settings().contains("monitor counter=2 mirror=1"), j.pipe("INGR_SAMPL").toString());
        assertEquals("fwd=PIPE(INGR_SAMPL) miss=DROP", fwdAndMiss(j, "PSP_DECRYPT"));
        assertEquals("fwd=PIPE(fwd_to_wire) miss=DROP", fwdAndMiss(j, "EGR_SAMPL"));
        assertEquals("fwd=PIPE(EGR_SAMPL) miss=PIPE(EGR_SAMPL)", fwdAndMiss(j, "EGR_SET_SAMPLE_BIT"));
        assertEquals("fwd=PIPE(EGR_SET_SAMPLE_BIT) miss=PIPE(RSS_PIPE)", fwdAndMiss(j, "EGR_ACL_IPV4"));
        assertEquals(List.of("match fwd=NULL monitor=counter=2 mirror=2", "match fwd=NULL monitor=counter=2 mirror=3"),
                j.entriesOf("EGR_SAMPL").stream().map(PipeJournal.Entry::detail).toList());
        assertEquals(List.of("doca_flow_shared_resources_bind type=4 ids=1..256 count=256 to=port#P",
                "doca_flow_shared_resource_set_cfg type=3 id=1", "doca_flow_shared_resources_bind type=3 ids=1..1 count=1 to=port#P",
                "doca_flow_shared_resource_set_cfg type=3 id=2", "doca_flow_shared_resources_bind type=3 ids=2..2 count=1 to=port#P",
                "doca_flow_shared_resource_set_cfg type=3 id=3", "doca_flow_shared_resources_bind type=3 ids=3..3 count=1 to=port#P"),
                j.resources.stream().map(r -> r.replaceAll("port#\\d+", "port#P")).toList());
        // the sample bit is set on one packet in 2^3: parser_meta.random (match + 54, big-endian) = 1 under mask 7
        FakeDoca.Call setMatch = matchCallOf(j, "EGR_SET_SAMPLE_BIT");
        assertEquals(1, ByteBuffer.wrap(setMatch.struct(0)).order(ByteOrder.BIG_ENDIAN).getShort(54));
        assertEquals(7, ByteBuffer.wrap(setMatch.struct(1)).order(ByteOrder.BIG_ENDIAN).getShort(54));
    }

    @Test
    void withoutMaintainOrderEgrSamplMissesToTheWireAndNoDropMirrorIsMade() {
        PipeJournal j = build(PspMode.TUNNEL, true, 1, false);
        assertEquals("fwd=PIPE(fwd_to_wire) miss=PIPE(fwd_to_wire)", fwdAndMiss(j, "EGR_SAMPL"));
        assertEquals(1, j.entriesOf("EGR_SAMPL").size());
        assertTrue(j.resources.stream().noneMatch(r -> r.contains("type=3 id=3")), j.resources.toString());
    }

    @Test
    void withTheAclOffTheIngressAclPipesTakeAnyTunnelInOneEntryAndIngSrcIp6IsNotBuilt() {
        PipeJournal j = build(PspMode.TUNNEL, false, 0, false);
        assertTrue(!j.pipeNames().contains("ING_SRC_IP6"), j.pipeNames().toString());
        assertTrue(j.pipe("INGR_ACL_IPV4").settings().contains("nr_entries 1"), j.pipe("INGR_ACL_IPV4").toString());
        assertEquals(1, j.entriesOf("INGR_ACL_IPV4").size());
        assertEquals(1, j.entriesOf("INGR_ACL_IPV6").size());
        assertEquals("match fwd=PIPE(INGR_ACL_IPV6) monitor=counter=2", j.entriesOf("PSP_INNER_IP_CLASSIFIER").getFirst().detail());
    }

    @Test
    void transportModeBridgesNeighbourDiscoveryInNineRootEntriesAndDecapsWithoutAnEthernetHeader() {
        PipeJournal j = build(PspMode.TRANSPORT, true, 0, false);
        assertTrue(j.pipe("ROOT").settings().contains("nr_entries 9"), j.pipe("ROOT").toString());
        assertEquals(List.of("prio=2 fwd=PIPE(PSP_DECRYPT)", "prio=1 fwd=PIPE(PSP_DECRYPT)", "prio=2 fwd=PIPE(EMPTY)", "prio=2 fwd=PIPE(EMPTY)",
                "prio=3 fwd=PORT(0)", "prio=3 fwd=PORT(1)", "prio=1 fwd=PORT(0)", "prio=1 fwd=PORT(1)", "prio=4 fwd=DROP"),
                j.entriesOf("ROOT").stream().map(e -> e.detail().replace(" monitor=counter=2", "")).toList());
        // decap: action_type@892 DECAP (2), net_type@896 PSP_OVER_IPV4 (8), icv@900 16, no data
        ByteBuffer decap = ByteBuffer.wrap(actionsCallOf(j, "INGR_ACL_IPV4").struct(0)).order(ByteOrder.nativeOrder());
        assertEquals(2, decap.getInt(892));
        assertEquals(8, decap.getInt(896));
        assertEquals(16, decap.getShort(900));
        assertEquals(0, decap.getShort(902));
        // encrypt templates: PSP over IPv6 (9) then over IPv4 (8), UDP + PSP + cookie = 32 bytes each
        FakeDoca.Call encrypt = actionsCallOf(j, "EGR_ACL_IPV4");
        assertEquals(9, ByteBuffer.wrap(encrypt.struct(0)).order(ByteOrder.nativeOrder()).getInt(896));
        assertEquals(8, ByteBuffer.wrap(encrypt.struct(1)).order(ByteOrder.nativeOrder()).getInt(896));
        assertEquals(32, ByteBuffer.wrap(encrypt.struct(1)).order(ByteOrder.nativeOrder()).getShort(902));
    }

    @Test
    void theTunnelTemplatesCarryThePspFactsByteForByte() {
        PipeJournal j = build(PspMode.TUNNEL, true, 0, false);
        // encrypt: [0] IPv6 outer 86 bytes, [1] IPv4 outer 66 (cookie on); ENCAP (1), PSP_TUNNEL (7), icv 16, encrypt (1) with
        // resource PSP (2) and crypto_id all-ones, the header bytes all-ones (given per entry), nothing after them
        FakeDoca.Call encrypt = actionsCallOf(j, "EGR_ACL_IPV4");
        int[][] expected = {{0, 86}, {1, 66}};
        for (int t = 0; t < 2; t++) {
            ByteBuffer a = ByteBuffer.wrap(encrypt.struct(t)).order(ByteOrder.nativeOrder());
            int length = expected[t][1];
            assertEquals(expected[t][0], a.get(0));
            assertEquals(1, a.get(888));
            assertEquals(1, a.getInt(892));
            assertEquals(7, a.getInt(896));
            assertEquals(16, a.getShort(900));
            assertEquals(length, a.getShort(902));
            byte[] header = Arrays.copyOfRange(encrypt.struct(t), 904, 904 + 114);
            byte[] ones = new byte[114];
            Arrays.fill(ones, 0, length, (byte) 0xFF);
            assertArrayEquals(ones, header);
            assertEquals(1, a.getInt(1020));
            assertEquals(2, a.getInt(1024));
            assertEquals(-1, a.getInt(1032));
        }
        // decrypt: crypto action DECRYPT (2), PSP, crypto_id DOCA_FLOW_PSP_DECRYPTION_ID; matched on UDP port 1000 (match + 170, BE)
        ByteBuffer decrypt = ByteBuffer.wrap(actionsCallOf(j, "PSP_DECRYPT").struct(0)).order(ByteOrder.nativeOrder());
        assertEquals(2, decrypt.getInt(1020));
        assertEquals(-1, decrypt.getInt(1032));
        assertEquals(1000, ByteBuffer.wrap(matchCallOf(j, "PSP_DECRYPT").struct(0)).order(ByteOrder.BIG_ENDIAN).getShort(170));
        // tunnel decap pushes Ethernet {decap dmac, PF MAC, type} on the inner packet: 14 bytes at + 904
        byte[] decap4 = actionsCallOf(j, "INGR_ACL_IPV4").struct(0);
        assertEquals(14, ByteBuffer.wrap(decap4).order(ByteOrder.nativeOrder()).getShort(902));
        assertArrayEquals(new byte[] {0x02, 0, 0, 0, 0, 0x0d, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00}, Arrays.copyOfRange(decap4, 904, 918));
        byte[] decap6 = actionsCallOf(j, "INGR_ACL_IPV6").struct(0);
        assertArrayEquals(new byte[] {(byte) 0x86, (byte) 0xDD}, Arrays.copyOfRange(decap6, 916, 918));
    }

    private static String fwdAndMiss(PipeJournal j, String pipe) {
        PipeJournal.Pipe p = j.pipe(pipe);
        return "fwd=" + p.fwd() + " miss=" + p.miss();
    }

    /** The set_actions call made while configuring {@code pipe}. */
    private FakeDoca.Call actionsCallOf(PipeJournal j, String pipe) {
        return callWhileConfiguring(pipe, "doca_flow_pipe_cfg_set_actions");
    }

    private FakeDoca.Call matchCallOf(PipeJournal j, String pipe) {
        return callWhileConfiguring(pipe, "doca_flow_pipe_cfg_set_match");
    }

    private FakeDoca.Call callWhileConfiguring(String pipe, String function) {
        boolean inside = false;
        for (FakeDoca.Call c : fake.journal()) {
            if (c.function().equals("doca_flow_pipe_cfg_set_name")) {
                inside = c.detail().equals(pipe);
            } else if (inside && c.function().equals(function)) {
                return c;
            }
        }
        throw new AssertionError("no " + function + " for " + pipe);
    }
}
