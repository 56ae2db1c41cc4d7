package io.pspgateway.dataplane.doca;

import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.MemoryLayout.unionLayout;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.UnionLayout;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The DOCA Flow 3.0 structs and constants this backend writes, as FFM layouts: numbers only,
 * written from the project's ABI table ({@code shared/doca/ABI-3.0.md} and BACKEND-NOTES 1.2-1.3,
 * x86_64 LP64), never from NVIDIA's headers. {@code DocaAbiTest} checks every offset, size,
 * alignment and constant here against that table, parsed at test time.
 *
 * <p>Element names are the C field names, so a C path such as {@code outer.ip4.src_ip} is a
 * chain of group elements. C's anonymous unions get a conventional name ({@code l3}, {@code l4},
 * {@code proto}, {@code arm}) that C paths skip. Fields the gateway never touches and the table
 * does not name are padding.
 *
 * <p>These layouts are DOCA 3.0 only: 3.2 and later move fields (no {@code match.flags}, no
 * {@code actions.action_idx}, another {@code doca_flow_meta}), which is why the runtime version is
 * checked before anything is written ({@link DocaFlowNative#requireVersion}).
 */
public final class DocaAbi {
    private DocaAbi() {
    }

    private static final ValueLayout.OfShort BE16 = JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt BE32 = JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong BE64 = JAVA_LONG.withOrder(ByteOrder.BIG_ENDIAN);

    // ---- doca_error_t (BACKEND-NOTES 1.2) -----------------------------------------------------
    public static final int DOCA_SUCCESS = 0;
    public static final int DOCA_ERROR_NOT_SUPPORTED = 4;
    public static final int DOCA_ERROR_AGAIN = 5;
    public static final int DOCA_ERROR_INVALID_VALUE = 6;
    public static final int DOCA_ERROR_NO_MEMORY = 7;
    public static final int DOCA_ERROR_TIME_OUT = 9;
    public static final int DOCA_ERROR_NOT_FOUND = 16;
    public static final int DOCA_ERROR_BAD_STATE = 18;
    public static final int DOCA_ERROR_DRIVER = 21;
    public static final int DOCA_ERROR_FULL = 24;

    // ---- enums (ABI-3.0.md "Enum values"; every C enum here is 4 bytes except meter_color) -----
    public static final int DOCA_FLOW_SHARED_RESOURCE_MIRROR = 3;
    public static final int DOCA_FLOW_SHARED_RESOURCE_PSP = 4;
    public static final int DOCA_FLOW_NO_WAIT = 0;
    public static final int DOCA_FLOW_WAIT_FOR_BATCH = 1;
    public static final int DOCA_FLOW_ENTRY_OP_ADD = 0;
    public static final int DOCA_FLOW_ENTRY_OP_DEL = 1;
    public static final int DOCA_FLOW_ENTRY_OP_UPD = 2;
    public static final int DOCA_FLOW_ENTRY_STATUS_IN_PROCESS = 0;
    public static final int DOCA_FLOW_ENTRY_STATUS_SUCCESS = 1;
    public static final int DOCA_FLOW_ENTRY_STATUS_ERROR = 2;
    public static final int DOCA_FLOW_PIPE_BASIC = 0;
    public static final int DOCA_FLOW_PIPE_CONTROL = 1;
    public static final int DOCA_FLOW_PIPE_DOMAIN_DEFAULT = 0;
    public static final int DOCA_FLOW_PIPE_DOMAIN_SECURE_INGRESS = 1;
    public static final int DOCA_FLOW_PIPE_DOMAIN_EGRESS = 2;
    public static final int DOCA_FLOW_PIPE_DOMAIN_SECURE_EGRESS = 3;
    public static final int DOCA_FLOW_L3_META_NONE = 0;
    public static final int DOCA_FLOW_L3_META_IPV4 = 1;
    public static final int DOCA_FLOW_L3_META_IPV6 = 2;
    public static final int DOCA_FLOW_L4_META_UDP = 2;
    public static final int DOCA_FLOW_L4_META_ICMP = 3;
    public static final int DOCA_FLOW_L3_TYPE_IP4 = 1;
    public static final int DOCA_FLOW_L3_TYPE_IP6 = 2;
    public static final int DOCA_FLOW_L4_TYPE_EXT_UDP = 2;
    public static final int DOCA_FLOW_L4_TYPE_EXT_ICMP6 = 4;
    public static final int DOCA_FLOW_CRYPTO_SYNDROME_ICV_FAIL = 1;
    public static final int DOCA_FLOW_CRYPTO_SYNDROME_BAD_TRAILER = 2;
    public static final int DOCA_FLOW_RESOURCE_TYPE_NON_SHARED = 2;
    public static final int DOCA_FLOW_FWD_NONE = 0;
    public static final int DOCA_FLOW_FWD_RSS = 1;
    public static final int DOCA_FLOW_FWD_PORT = 2;
    public static final int DOCA_FLOW_FWD_PIPE = 3;
    public static final int DOCA_FLOW_FWD_DROP = 4;
    public static final int DOCA_FLOW_FWD_CHANGEABLE = 100;
    public static final int DOCA_FLOW_RSS_IPV4 = 1;
    public static final int DOCA_FLOW_RSS_IPV6 = 2;
    public static final int DOCA_FLOW_DIRECTION_BIDIRECTIONAL = 0;
    public static final int DOCA_FLOW_DIRECTION_NETWORK_TO_HOST = 1;
    public static final int DOCA_FLOW_DIRECTION_HOST_TO_NETWORK = 2;
    public static final int DOCA_FLOW_TUN_PSP = 7;
    public static final int DOCA_FLOW_CRYPTO_RESOURCE_PSP = 2;
    public static final int DOCA_FLOW_CRYPTO_ACTION_ENCRYPT = 1;
    public static final int DOCA_FLOW_CRYPTO_ACTION_DECRYPT = 2;
    public static final int DOCA_FLOW_CRYPTO_REFORMAT_ENCAP = 1;
    public static final int DOCA_FLOW_CRYPTO_REFORMAT_DECAP = 2;
    public static final int DOCA_FLOW_CRYPTO_HEADER_PSP_TUNNEL = 7;
    public static final int DOCA_FLOW_CRYPTO_HEADER_PSP_OVER_IPV4 = 8;
    public static final int DOCA_FLOW_CRYPTO_HEADER_PSP_OVER_IPV6 = 9;
    public static final int DOCA_FLOW_CRYPTO_KEY_128 = 0;
    public static final int DOCA_FLOW_CRYPTO_KEY_256 = 1;

    // ---- other constants (BACKEND-NOTES 1.3) ---------------------------------------------------
    public static final int DOCA_FLOW_CRYPTO_HEADER_LEN_MAX = 114;
    public static final int DOCA_FLOW_PSP_HEADER_LEN = 24;
    public static final int DOCA_FLOW_PSP_DECRYPTION_ID = 0xFFFFFFFF;
    public static final int DOCA_FLOW_PSP_DEFAULT_PORT = 1000;
    public static final int DOCA_FLOW_META_SCRATCH_PAD_MAX = 10;

    // ---- building blocks -----------------------------------------------------------------------

    /** doca_flow_meta (48): pkt_meta and the scratch pad are big-endian typed. */
    public static final StructLayout META = structLayout(
            BE32.withName("pkt_meta"),
            sequenceLayout(DOCA_FLOW_META_SCRATCH_PAD_MAX, BE32).withName("u32"),
            BE32.withName("mark")).withName("doca_flow_meta");

    /**
     * doca_flow_parser_meta (44). {@code meter_color} is a packed one-byte enum at +7: a layout
     * that gave every enum 4 bytes would shift all that follows.
     */
    public static final StructLayout PARSER_META = structLayout(
            JAVA_SHORT.withName("port_id"),
            BE16.withName("random"),
            JAVA_BYTE.withName("ipsec_syndrome"),
            JAVA_BYTE.withName("ipsec_ar_syndrome"),
            JAVA_BYTE.withName("psp_syndrome"),
            JAVA_BYTE.withName("meter_color"),
            JAVA_INT.withName("outer_l2_type"),
            JAVA_INT.withName("outer_l3_type"),
            JAVA_INT.withName("outer_l4_type"),
            JAVA_INT.withName("inner_l2_type"),
            JAVA_INT.withName("inner_l3_type"),
            JAVA_INT.withName("inner_l4_type"),
            paddingLayout(2),
            JAVA_BYTE.withName("outer_l3_ok"),
            JAVA_BYTE.withName("outer_ip4_checksum_ok"),
            paddingLayout(8)).withName("doca_flow_parser_meta");

    /** doca_flow_header_eth (14). */
    private static final StructLayout ETH = structLayout(
            sequenceLayout(6, JAVA_BYTE).withName("src_mac"),
            sequenceLayout(6, JAVA_BYTE).withName("dst_mac"),
            BE16.withName("type")).withName("eth");

    /** doca_flow_header_ip4 (20), in the struct's field order, not the wire's. */
    private static final StructLayout IP4 = structLayout(
            BE32.withName("src_ip"),
            BE32.withName("dst_ip"),
            JAVA_BYTE.withName("version_ihl"),
            JAVA_BYTE.withName("dscp_ecn"),
            BE16.withName("total_len"),
            BE16.withName("identification"),
            BE16.withName("flags_fragment_offset"),
            JAVA_BYTE.withName("next_proto"),
            JAVA_BYTE.withName("ttl"),
            paddingLayout(2)).withName("ip4");

    /** doca_flow_header_ip6 (44). */
    private static final StructLayout IP6 = structLayout(
            sequenceLayout(16, JAVA_BYTE).withName("src_ip"),
            sequenceLayout(16, JAVA_BYTE).withName("dst_ip"),
            JAVA_BYTE.withName("traffic_class"),
            paddingLayout(3),
            BE32.withName("flow_label"),
            BE16.withName("payload_len"),
            JAVA_BYTE.withName("next_proto"),
            JAVA_BYTE.withName("hop_limit")).withName("ip6");

    /** The L4 arms of doca_flow_header_format (16). */
    private static final UnionLayout L4 = unionLayout(
            structLayout(JAVA_BYTE.withName("type"), JAVA_BYTE.withName("code"), paddingLayout(14)).withName("icmp"),
            structLayout(structLayout(BE16.withName("src_port"), BE16.withName("dst_port")).withName("l4_port"),
                    paddingLayout(12)).withName("udp")).withName("l4");

    /** doca_flow_header_format (88): one packet header level, outer or inner. */
    public static final StructLayout HEADER_FORMAT = structLayout(
            ETH,
            paddingLayout(6), // l2_valid_headers, eth_vlan[2]: not used
            JAVA_INT.withName("l3_type"),
            unionLayout(IP4, IP6).withName("l3"),
            JAVA_INT.withName("l4_type_ext"),
            L4).withName("doca_flow_header_format");

    /** doca_flow_header_psp (24). */
    public static final StructLayout HEADER_PSP = structLayout(
            JAVA_BYTE.withName("nexthdr"),
            JAVA_BYTE.withName("hdrextlen"),
            JAVA_BYTE.withName("res_cryptofst"),
            JAVA_BYTE.withName("s_d_ver_v"),
            BE32.withName("spi"),
            BE64.withName("iv"),
            BE64.withName("vc")).withName("doca_flow_header_psp");

    /** doca_flow_tun (272): the tunnel type and, for PSP, its header. */
    public static final StructLayout TUN = structLayout(
            JAVA_INT.withName("type"),
            paddingLayout(4),
            unionLayout(HEADER_PSP.withName("psp"), paddingLayout(264)).withName("proto")).withName("doca_flow_tun");

    // ---- the structs passed to DOCA -------------------------------------------------------------

    /** doca_flow_match (544, align 8). */
    public static final StructLayout MATCH = structLayout(
            JAVA_INT.withName("flags"),
            META.withName("meta"),
            PARSER_META.withName("parser_meta"),
            HEADER_FORMAT.withName("outer"),
            TUN.withName("tun"),
            HEADER_FORMAT.withName("inner")).withName("doca_flow_match");

    /** doca_flow_crypto_encap_action (128). */
    public static final StructLayout CRYPTO_ENCAP = structLayout(
            JAVA_INT.withName("action_type"),
            JAVA_INT.withName("net_type"),
            JAVA_SHORT.withName("icv_size"),
            JAVA_SHORT.withName("data_size"),
            sequenceLayout(DOCA_FLOW_CRYPTO_HEADER_LEN_MAX, JAVA_BYTE).withName("encap_data"),
            paddingLayout(2)).withName("doca_flow_crypto_encap_action");

    /** doca_flow_crypto_action (16). */
    public static final StructLayout CRYPTO = structLayout(
            JAVA_INT.withName("action_type"),
            JAVA_INT.withName("resource_type"),
            paddingLayout(4), // ipsec_sa
            JAVA_INT.withName("crypto_id")).withName("doca_flow_crypto_action");

    /** doca_flow_actions (1040, align 8). */
    public static final StructLayout ACTIONS = structLayout(
            JAVA_BYTE.withName("action_idx"),
            paddingLayout(3),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("decap_type"),
            paddingLayout(22).withName("decap_cfg"),
            paddingLayout(2),
            JAVA_BOOLEAN.withName("pop_vlan"),
            paddingLayout(3),
            META.withName("meta"),
            PARSER_META.withName("parser_meta"),
            HEADER_FORMAT.withName("outer"),
            paddingLayout(4),
            TUN.withName("tun"),
            JAVA_INT.withName("encap_type"),
            paddingLayout(4),
            paddingLayout(368).withName("encap_cfg"),
            JAVA_BOOLEAN.withName("has_push"),
            paddingLayout(3),
            paddingLayout(8).withName("push"),
            JAVA_INT.withName("nat64"),
            JAVA_BOOLEAN.withName("has_crypto_encap"),
            paddingLayout(3),
            CRYPTO_ENCAP.withName("crypto_encap"),
            CRYPTO.withName("crypto"),
            paddingLayout(4)).withName("doca_flow_actions");

    /** doca_flow_resource_rss_cfg (24). */
    public static final StructLayout RSS_CFG = structLayout(
            JAVA_INT.withName("outer_flags"),
            JAVA_INT.withName("inner_flags"),
            ADDRESS.withName("queues_array"),
            JAVA_INT.withName("nr_queues"),
            JAVA_INT.withName("rss_hash_func")).withName("doca_flow_resource_rss_cfg");

    /** doca_flow_fwd (40, align 8): a type and, by type, a port, a next pipe or an RSS set. */
    public static final StructLayout FWD = structLayout(
            JAVA_INT.withName("type"),
            paddingLayout(4),
            unionLayout(
                    JAVA_SHORT.withName("port_id"),
                    ADDRESS.withName("next_pipe"),
                    structLayout(JAVA_INT.withName("rss_type"), paddingLayout(4), RSS_CFG.withName("rss")).withName("rss_arm"))
                    .withName("arm")).withName("doca_flow_fwd");

    /** doca_flow_monitor (48, align 8): the gateway uses only the counter and the mirror. */
    public static final StructLayout MONITOR = structLayout(
            JAVA_INT.withName("meter_type"),
            paddingLayout(4),
            unionLayout(structLayout(paddingLayout(8), JAVA_LONG.withName("cir"), paddingLayout(8)).withName("non_shared_meter"))
                    .withName("arm"),
            JAVA_INT.withName("counter_type"),
            JAVA_INT.withName("shared_counter"),
            JAVA_INT.withName("shared_mirror_id"),
            JAVA_INT.withName("aging_sec")).withName("doca_flow_monitor");

    /** doca_flow_mirror_target (408). */
    public static final StructLayout MIRROR_TARGET = structLayout(
            JAVA_BOOLEAN.withName("has_encap"),
            paddingLayout(7),
            paddingLayout(360).withName("encap"),
            FWD.withName("fwd")).withName("doca_flow_mirror_target");

    /** doca_flow_shared_resource_cfg (368, align 8): a PSP key or a mirror. */
    public static final StructLayout SHARED_RESOURCE_CFG = structLayout(unionLayout(
            structLayout(structLayout(JAVA_INT.withName("key_type"), paddingLayout(4), ADDRESS.withName("key")).withName("key_cfg"))
                    .withName("psp_cfg"),
            structLayout(JAVA_INT.withName("nr_targets"), paddingLayout(4), ADDRESS.withName("target"), FWD.withName("fwd"))
                    .withName("mirror_cfg"),
            paddingLayout(368)).withName("arm")).withName("doca_flow_shared_resource_cfg");

    /** doca_flow_resource_query (16): an entry's or a pipe miss's counter. */
    public static final StructLayout RESOURCE_QUERY = structLayout(
            structLayout(JAVA_LONG.withName("total_bytes"), JAVA_LONG.withName("total_pkts")).withName("counter"))
            .withName("doca_flow_resource_query");

    /** Every layout the table describes, by C struct name: what DocaAbiTest walks. */
    public static final java.util.List<MemoryLayout> STRUCTS = java.util.List.of(MATCH, ACTIONS, FWD, MONITOR, SHARED_RESOURCE_CFG,
            RESOURCE_QUERY, HEADER_PSP, RSS_CFG, MIRROR_TARGET, META, PARSER_META, HEADER_FORMAT, TUN, CRYPTO_ENCAP, CRYPTO);
}
