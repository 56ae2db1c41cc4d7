package io.pspgateway.dataplane.doca;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pspgateway.dataplane.DataplaneException;
import io.pspgateway.dataplane.DropReason;
import io.pspgateway.dataplane.HeldPacket;
import io.pspgateway.dataplane.HoldReason;
import io.pspgateway.dataplane.MissQueue;
import io.pspgateway.dataplane.EncryptEntry;
import io.pspgateway.dataplane.EntryCounters;
import io.pspgateway.dataplane.FlowKey;
import io.pspgateway.psp.PspMode;
import io.pspgateway.psp.PspVersion;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The doca backend's tunnel entries on the fake: which pipe, which bytes, the IPv6 two-stage form, and nothing half-added. */
class DocaDataplaneTest {
    private FakeDoca fake;
    private DocaDataplane dataplane;
    private int firstCall;
    private final MemorySlowPath slowPath = new MemorySlowPath(64);

    @BeforeEach
    void open() throws Exception {
        fake = FakeDoca.get();
        dataplane = DocaDataplane.open(DocaFlowNative.bind(fake.lookup()), DocaDataplaneContractTest.config(8), slowPath);
        firstCall = fake.journal().size();
        dataplane.programKeySlot(2, PspVersion.V1, new byte[32]);
    }

    @AfterEach
    void close() {
        dataplane.close();
    }

    private static InetAddress ip(String a) throws Exception {
        return InetAddress.getByName(a);
    }

    private static EncryptEntry entry(String from, String to, String outerFrom, String outerTo) throws Exception {
        return new EncryptEntry(ip(from), ip(to), 2, 0x80000042, PspVersion.V1, PspMode.TUNNEL, 0, null, ip(outerFrom), ip(outerTo), null);
    }

    /** The entry adds since the pipeline was built, as "PIPE" names with their structs. */
    private List<PipeJournal.Entry> addsSinceOpen() {
        PipeJournal j = new PipeJournal(fake.journal());
        int before = (int) fake.journal().subList(0, firstCall).stream().filter(c -> c.function().endsWith("add_entry")).count();
        return j.entries.subList(before, j.entries.size());
    }

    @Test
    void anIpv4EncryptEntryGoesToEgrAclIpv4WithThePairAndTheActionsOfItsTunnel() throws Exception {
        EncryptEntry e = entry("10.0.0.1", "10.0.0.2", "fd00::1", "fd00::2");
        dataplane.addEncryptEntry(e);
        List<PipeJournal.Entry> adds = addsSinceOpen();
        assertEquals(List.of("EGR_ACL_IPV4"), adds.stream().map(PipeJournal.Entry::pipe).toList());
        ByteBuffer match = ByteBuffer.wrap(adds.getFirst().call().struct(0)).order(ByteOrder.nativeOrder());
        // parser_meta.outer_l3_type @64 = IPV4 (1), outer.l3_type @116 = IP4 (1), src @120, dst @124 in network order
        assertEquals(1, match.getInt(64));
        assertEquals(1, match.getInt(116));
        assertArrayEquals(new byte[] {10, 0, 0, 1, 10, 0, 0, 2}, Arrays.copyOfRange(adds.getFirst().call().struct(0), 120, 128));
        byte[] actions = adds.getFirst().call().struct(1);
        assertArrayEquals(EncryptActions.encapHeader(e, DocaDataplaneContractTest.PF_MAC, DocaDataplaneContractTest.PEER_MAC),
                Arrays.copyOfRange(actions, 904, 904 + 78));
        assertEquals(3, ByteBuffer.wrap(actions).order(ByteOrder.nativeOrder()).getInt(1032), "slot 2 is crypto id 3");
    }

    @Test
    void ipv6TunnelsToOnePeerShareItsIndexAndItsTaggingEntryGoesWithTheLast() throws Exception {
        dataplane.addEncryptEntry(entry("fd10::1", "fd20::9", "fd00::1", "fd00::2"));
        dataplane.addEncryptEntry(entry("fd10::3", "fd20::9", "fd00::1", "fd00::2"));
        List<PipeJournal.Entry> adds = addsSinceOpen();
        assertEquals(List.of("EGR_ACL", "EGR_ACL_IPV6", "EGR_ACL_IPV6"), adds.stream().map(PipeJournal.Entry::pipe).toList());
        // the tag written by EGR_ACL's entry (actions meta.u32[2] @52) is the one both EGR_ACL_IPV6 entries match (match @16)
        int tag = ByteBuffer.wrap(adds.get(0).call().struct(1)).order(ByteOrder.BIG_ENDIAN).getInt(52);
        assertEquals(tag, ByteBuffer.wrap(adds.get(1).call().struct(0)).order(ByteOrder.BIG_ENDIAN).getInt(16));
        assertEquals(tag, ByteBuffer.wrap(adds.get(2).call().struct(0)).order(ByteOrder.BIG_ENDIAN).getInt(16));
        int removalsBefore = removals();
        dataplane.removeEncryptEntry(FlowKey.of(ip("fd10::1"), ip("fd20::9")));
        assertEquals(removalsBefore + 1, removals(), "the peer's tagging entry stays while a tunnel uses it");
        dataplane.removeEncryptEntry(FlowKey.of(ip("fd10::3"), ip("fd20::9")));
        assertEquals(removalsBefore + 3, removals(), "the last tunnel takes the tagging entry with it");
    }

    private int removals() {
        return (int) fake.journal().stream().filter(c -> c.function().equals("doca_flow_pipe_remove_entry")).count();
    }

    @Test
    void anIpv6AclWhoseSecondStageFailsLeavesNoFirstStage() throws Exception {
        fake.failEntry(1);
        DataplaneException e = assertThrows(DataplaneException.class, () -> dataplane.addIngressAcl(0x51, ip("fd20::9"), ip("fd10::1")));
        assertEquals(DataplaneException.Kind.INTERNAL, e.kind());
        assertEquals(0, dataplane.ingressAclCount());
        List<String> pipes = addsSinceOpen().stream().map(PipeJournal.Entry::pipe).toList();
        assertEquals(List.of("ING_SRC_IP6", "INGR_ACL_IPV6"), pipes);
        assertEquals(2, removals(), "the failed second stage and the first stage were both removed");
        // and the pair goes in whole afterwards
        dataplane.addIngressAcl(0x51, ip("fd20::9"), ip("fd10::1"));
        assertEquals(1, dataplane.ingressAclCount());
    }

    @Test
    void anIpv6EncryptEntryWhoseTaggingStageFailsIsInternalAndLeavesNoEntry() throws Exception {
        int entries = fake.liveEntries();
        fake.failEntry(0);
        DataplaneException e = assertThrows(DataplaneException.class, () -> dataplane.addEncryptEntry(entry("fd10::1", "fd20::9",
                "fd00::1", "fd00::2")));
        assertEquals(DataplaneException.Kind.INTERNAL, e.kind());
        assertEquals(entries, fake.liveEntries());
        // and once the NIC takes it, the same tunnel goes in whole
        dataplane.addEncryptEntry(entry("fd10::1", "fd20::9", "fd00::1", "fd00::2"));
        assertEquals(entries + 2, fake.liveEntries());
    }

    @Test
    void anEncryptEntryTheNicRefusesIsInternalAndNotCounted() throws Exception {
        fake.failEntry(0);
        DataplaneException e = assertThrows(DataplaneException.class, () -> dataplane.addEncryptEntry(entry("10.0.0.1", "10.0.0.2",
                "192.0.2.1", "192.0.2.2")));
        assertEquals(DataplaneException.Kind.INTERNAL, e.kind());
        assertEquals(0, dataplane.encryptEntryCount());
    }

    /** A re-key of {@code first}'s flow: SPI 0x80000043 in key slot 2, over the outer pair given. */
    private static EncryptEntry rekeyed(EncryptEntry first, InetAddress localOuter, InetAddress peerOuter) {
        return new EncryptEntry(first.sourceVip(), first.destinationVip(), 2, 0x80000043, PspVersion.V1, PspMode.TUNNEL, 0, null, localOuter,
                peerOuter, null);
    }

    @Test
    void aReplacementRepointsTheLiveEntryInPlaceWithTheNewTunnelsActions() throws Exception {
        EncryptEntry first = entry("10.0.0.1", "10.0.0.2", "192.0.2.1", "192.0.2.2");
        dataplane.addEncryptEntry(first);
        int live = fake.liveEntries();
        int journalled = fake.journal().size();
        EncryptEntry second = rekeyed(first, ip("fd00::1"), ip("fd00::9"));
        dataplane.addEncryptEntry(second);
        List<FakeDoca.Call> since = fake.journal().subList(journalled, fake.journal().size());
        List<String> functions = since.stream().map(FakeDoca.Call::function).filter(f -> !f.equals("doca_flow_entries_process")).toList();
        assertEquals(List.of("doca_flow_pipe_update_entry"), functions, "no removal, no add: the flow never misses");
        FakeDoca.Call update = since.stream().filter(c -> c.function().equals("doca_flow_pipe_update_entry")).findFirst().orElseThrow();
        String installedEntry = new PipeJournal(fake.journal()).entriesOf("EGR_ACL_IPV4").getLast().call().detail().replaceAll(".*-> ", "");
        assertTrue(update.detail().contains("entry=" + installedEntry), update.detail() + " updates " + installedEntry);
        byte[] actions = update.struct(1);
        byte[] header = EncryptActions.encapHeader(second, DocaDataplaneContractTest.PF_MAC, DocaDataplaneContractTest.PEER_MAC);
        assertArrayEquals(header, Arrays.copyOfRange(actions, 904, 904 + header.length), "the new tunnel's header: an IPv6 outer now, and its SPI");
        assertEquals(3, ByteBuffer.wrap(actions).order(ByteOrder.nativeOrder()).getInt(1032), "slot 2 is crypto id 3");
        assertEquals(java.util.OptionalInt.of(0x80000043), dataplane.encryptEntrySpi(first.flow()));
        assertEquals(live, fake.liveEntries());
        assertEquals(1, dataplane.encryptEntryCount());
    }

    @Test
    void anUpdateCallDocaRefusesLeavesTheEntryAndItsTunnel() throws Exception {
        EncryptEntry first = entry("10.0.0.1", "10.0.0.2", "192.0.2.1", "192.0.2.2");
        dataplane.addEncryptEntry(first);
        int live = fake.liveEntries();
        fake.fail("doca_flow_pipe_update_entry", 0, 6);
        EncryptEntry second = rekeyed(first, first.localOuter(), first.peerOuter());
        DataplaneException e = assertThrows(DataplaneException.class, () -> dataplane.addEncryptEntry(second));
        assertEquals(DataplaneException.Kind.INTERNAL, e.kind());
        assertTrue(e.getMessage().contains("DOCA_ERROR_INVALID_VALUE"), e.getMessage());
        assertEquals(java.util.OptionalInt.of(0x80000042), dataplane.encryptEntrySpi(first.flow()));
        assertEquals(live, fake.liveEntries());
        dataplane.addEncryptEntry(second);
        assertEquals(java.util.OptionalInt.of(0x80000043), dataplane.encryptEntrySpi(first.flow()), "the next update goes through");
    }

    @Test
    void aReplacementTheNicReportsFailedLeavesTheEntryWithTheTunnelItHad() throws Exception {
        EncryptEntry first = entry("10.0.0.1", "10.0.0.2", "192.0.2.1", "192.0.2.2");
        dataplane.addEncryptEntry(first);
        fake.failEntry(0);
        EncryptEntry second = rekeyed(first, first.localOuter(), first.peerOuter());
        assertThrows(DataplaneException.class, () -> dataplane.addEncryptEntry(second));
        assertEquals(java.util.OptionalInt.of(0x80000042), dataplane.encryptEntrySpi(first.flow()));
        assertEquals(1, dataplane.encryptEntryCount());
    }

    @Test
    void whatInspectionReportsIsWhatTheFakeHolds() throws Exception {
        int staticEntries = fake.liveEntries();
        dataplane.addEncryptEntry(entry("10.0.0.1", "10.0.0.2", "192.0.2.1", "192.0.2.2"));
        dataplane.addEncryptEntry(entry("fd10::1", "fd20::9", "fd00::1", "fd00::2"));
        dataplane.addIngressAcl(0x61, ip("10.0.0.2"), ip("10.0.0.1"));
        dataplane.addIngressAcl(0x62, ip("fd20::9"), ip("fd10::1"));
        // the fake holds one entry per IPv4 tunnel and ACL, two per IPv6 ones (the tagging stage, the pair)
        assertEquals(2, dataplane.encryptEntryCount());
        assertEquals(2, dataplane.ingressAclCount());
        assertEquals(staticEntries + 1 + 2 + 1 + 2, fake.liveEntries());
        dataplane.removeEncryptEntry(FlowKey.of(ip("fd10::1"), ip("fd20::9")));
        dataplane.removeIngressAcl(0x62, ip("fd20::9"), ip("fd10::1"));
        assertEquals(staticEntries + 2, fake.liveEntries());
        assertEquals(1, dataplane.encryptEntryCount());
        assertEquals(1, dataplane.ingressAclCount());
    }

    @Test
    void theCountersAreReadFromTheEntriesAndPipesTheyBelongTo() throws Exception {
        EncryptEntry e = entry("10.0.0.1", "10.0.0.2", "192.0.2.1", "192.0.2.2");
        dataplane.addEncryptEntry(e);
        dataplane.addIngressAcl(0x71, ip("10.0.0.2"), ip("10.0.0.1"));
        PipeJournal j = new PipeJournal(fake.journal());
        fake.entryCounter(j.entriesOf("EGR_ACL_IPV4").getLast().id(), 7, 700);
        fake.entryCounter(j.entriesOf("INGR_ACL_IPV4").getLast().id(), 5, 500);
        fake.entryCounter(j.entriesOf("SYNDROME_STATS").get(0).id(), 3, 0); // ICV failed
        fake.entryCounter(j.entriesOf("SYNDROME_STATS").get(1).id(), 2, 0); // bad trailer
        fake.missCounter(j.pipeId("SYNDROME_STATS"), 11);
        fake.missCounter(j.pipeId("PSP_DECRYPT"), 13);
        fake.missCounter(j.pipeId("PSP_INNER_IP_CLASSIFIER"), 17);
        fake.missCounter(j.pipeId("EGR_ACL_IPV4"), 19); // no encrypt entry: to the CPU, where the slow path counts it
        slowPath.miss(new HeldPacket(HoldReason.MISS, FlowKey.of(ip("10.0.0.1"), ip("10.0.0.9")), new byte[60], 0));
        var c = dataplane.counters();
        assertEquals(java.util.Map.of(HoldReason.MISS, 1L), c.held(), "what reached the miss queue, as the slow path counts it");
        assertEquals(List.of(7L, 700L, 5L, 500L, 3L, 2L), List.of(c.txPackets(), c.txBytes(), c.rxPackets(), c.rxBytes(), c.rxAuthFail(), c.rxBad()));
        assertEquals(java.util.Map.of(DropReason.INGRESS_AUTH_FAILED, 3L, DropReason.INGRESS_BAD_HEADER, 2L, DropReason.INGRESS_ACL_MISS, 11L,
                DropReason.INGRESS_NOT_PSP, 13L, DropReason.INGRESS_BAD_INNER, 17L), c.drops());
        assertEquals(new EntryCounters(7, 700), dataplane.encryptEntryCounters(e.flow()));
        assertEquals(new EntryCounters(5, 500), dataplane.ingressAclCounters(0x71, ip("10.0.0.2"), ip("10.0.0.1")));
    }

    @Test
    void theSlowPathsDropsAreCountedBesideTheNicsAndItsMissQueueAndReinjectionAreTheDataplanes() throws Exception {
        dataplane.close();
        SlowPath dropping = new SlowPath() {
            @Override
            public MissQueue missQueue() {
                return slowPath.missQueue();
            }

            @Override
            public void reinject(HeldPacket packet) {
                slowPath.reinject(packet);
            }

            @Override
            public Counters counters() {
                return new Counters(new io.pspgateway.dataplane.SlowPathCounters(9, 1, 1, 0), java.util.Map.of(),
                        java.util.Map.of(DropReason.REINJECT_FAILED, 4L,
                        DropReason.INGRESS_AUTH_FAILED, 1L));
            }
        };
        dataplane = DocaDataplane.open(DocaFlowNative.bind(fake.lookup()), DocaDataplaneContractTest.config(8), dropping);
        var syndromes = new PipeJournal(fake.journal()).entriesOf("SYNDROME_STATS");
        fake.entryCounter(syndromes.get(syndromes.size() - 2).id(), 3, 0); // this pipeline's ICV-failed entry
        assertEquals(java.util.Map.of(DropReason.REINJECT_FAILED, 4L, DropReason.INGRESS_AUTH_FAILED, 4L), dataplane.counters().drops());
        assertEquals(new io.pspgateway.dataplane.SlowPathCounters(9, 1, 1, 0), dataplane.counters().slowPath());
        assertSame(slowPath.missQueue(), dataplane.missQueue());
        HeldPacket p = new HeldPacket(HoldReason.MISS, FlowKey.of(ip("10.0.0.1"), ip("10.0.0.9")), new byte[60], 0);
        dataplane.reinject(p);
        assertEquals(List.of(p), slowPath.reinjected());
    }

    @Test
    void withoutANextHopMacAnEntryIsRefusedBeforeAnyCall() throws Exception {
        dataplane.close();
        DocaDataplane.Config base = DocaDataplaneContractTest.config(8);
        dataplane = DocaDataplane.open(DocaFlowNative.bind(fake.lookup()),
                new DocaDataplane.Config(base.flow(), base.pipeline(), java.util.Optional.empty()), slowPath);
        dataplane.programKeySlot(2, PspVersion.V1, new byte[32]);
        firstCall = fake.journal().size();
        DataplaneException e = assertThrows(DataplaneException.class, () -> dataplane.addEncryptEntry(entry("10.0.0.1", "10.0.0.2",
                "192.0.2.1", "192.0.2.2")));
        assertEquals(DataplaneException.Kind.INVALID_ARGUMENT, e.kind());
        assertEquals(List.of(), addsSinceOpen());
    }
}
