package io.pspgateway.dataplane.doca;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.util.Locale;

/**
 * The allowlist: every DOCA symbol this backend binds, with its C signature as an FFM descriptor
 * (ABI-3.0.md's function list, plus the runtime version, error names and device functions of
 * BACKEND-NOTES D5, whose prototypes the table lacks and are written beside them). No
 * other DOCA symbol is looked up; a library that lacks one of these is refused as a whole, as a
 * kernel PSP driver missing an op is. {@code DocaAbiTest} checks each descriptor against the
 * table's prototype.
 *
 * <p>Carriers: {@code doca_error_t}, enums, {@code int} and {@code uint32_t} are {@code JAVA_INT};
 * {@code uint16_t} is {@code JAVA_SHORT}; {@code uint64_t} and {@code size_t} are
 * {@code JAVA_LONG}; {@code bool} is {@code JAVA_BOOLEAN}; every pointer is {@code ADDRESS}.
 */
enum DocaSymbol {
    DOCA_VERSION_RUNTIME(FunctionDescriptor.of(ADDRESS)),
    DOCA_ERROR_GET_NAME(FunctionDescriptor.of(ADDRESS, JAVA_INT)),

    // the PF by PCI address (BACKEND-NOTES 2.1 steps 4 and 6; D5), prototypes as DOCA 3.0 declares them:
    /** {@code doca_error_t doca_devinfo_create_list(struct doca_devinfo ***dev_list, uint32_t *nb_devs)} */
    DOCA_DEVINFO_CREATE_LIST(status(ADDRESS, ADDRESS)),
    /** {@code doca_error_t doca_devinfo_destroy_list(struct doca_devinfo **dev_list)} */
    DOCA_DEVINFO_DESTROY_LIST(status(ADDRESS)),
    /** {@code doca_error_t doca_devinfo_is_equal_pci_addr(const struct doca_devinfo *devinfo, const char *pci_addr, uint8_t *is_equal)} */
    DOCA_DEVINFO_IS_EQUAL_PCI_ADDR(status(ADDRESS, ADDRESS, ADDRESS)),
    /** {@code doca_error_t doca_dev_open(struct doca_devinfo *devinfo, struct doca_dev **dev)} */
    DOCA_DEV_OPEN(status(ADDRESS, ADDRESS)),
    /** {@code doca_error_t doca_dev_close(struct doca_dev *dev)} */
    DOCA_DEV_CLOSE(status(ADDRESS)),
    /** {@code struct doca_devinfo *doca_dev_as_devinfo(const struct doca_dev *dev)} */
    DOCA_DEV_AS_DEVINFO(FunctionDescriptor.of(ADDRESS, ADDRESS)),
    /** {@code doca_error_t doca_devinfo_get_ipv4_addr(const struct doca_devinfo *devinfo, uint8_t *ipv4_addr, uint32_t size)} */
    DOCA_DEVINFO_GET_IPV4_ADDR(status(ADDRESS, ADDRESS, JAVA_INT)),
    /** {@code doca_error_t doca_devinfo_get_ipv6_addr(const struct doca_devinfo *devinfo, uint8_t *ipv6_addr, uint32_t size)} */
    DOCA_DEVINFO_GET_IPV6_ADDR(status(ADDRESS, ADDRESS, JAVA_INT)),

    DOCA_FLOW_CFG_CREATE(status(ADDRESS)),
    DOCA_FLOW_CFG_DESTROY(status(ADDRESS)),
    DOCA_FLOW_CFG_SET_CB_ENTRY_PROCESS(status(ADDRESS, ADDRESS)),
    DOCA_FLOW_CFG_SET_DEFAULT_RSS(status(ADDRESS, ADDRESS)),
    DOCA_FLOW_CFG_SET_MODE_ARGS(status(ADDRESS, ADDRESS)),
    DOCA_FLOW_CFG_SET_NR_COUNTERS(status(ADDRESS, JAVA_INT)),
    DOCA_FLOW_CFG_SET_NR_SHARED_RESOURCE(status(ADDRESS, JAVA_INT, JAVA_INT)),
    DOCA_FLOW_CFG_SET_PIPE_QUEUES(status(ADDRESS, JAVA_SHORT)),
    DOCA_FLOW_INIT(status(ADDRESS)),
    DOCA_FLOW_DESTROY(FunctionDescriptor.ofVoid()),

    DOCA_FLOW_PORT_CFG_CREATE(status(ADDRESS)),
    DOCA_FLOW_PORT_CFG_DESTROY(status(ADDRESS)),
    DOCA_FLOW_PORT_CFG_SET_ACTIONS_MEM_SIZE(status(ADDRESS, JAVA_INT)),
    DOCA_FLOW_PORT_CFG_SET_DEV(status(ADDRESS, ADDRESS)),
    DOCA_FLOW_PORT_CFG_SET_PORT_ID(status(ADDRESS, JAVA_SHORT)),
    DOCA_FLOW_PORT_START(status(ADDRESS, ADDRESS)),
    DOCA_FLOW_PORT_STOP(status(ADDRESS)),

    DOCA_FLOW_PIPE_CFG_CREATE(status(ADDRESS, ADDRESS)),
    DOCA_FLOW_PIPE_CFG_DESTROY(status(ADDRESS)),
    DOCA_FLOW_PIPE_CFG_SET_ACTIONS(status(ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG)),
    DOCA_FLOW_PIPE_CFG_SET_DIR_INFO(status(ADDRESS, JAVA_INT)),
    DOCA_FLOW_PIPE_CFG_SET_DOMAIN(status(ADDRESS, JAVA_INT)),
    DOCA_FLOW_PIPE_CFG_SET_IS_ROOT(status(ADDRESS, JAVA_BOOLEAN)),
    DOCA_FLOW_PIPE_CFG_SET_MATCH(status(ADDRESS, ADDRESS, ADDRESS)),
    DOCA_FLOW_PIPE_CFG_SET_MISS_COUNTER(status(ADDRESS, JAVA_BOOLEAN)),
    DOCA_FLOW_PIPE_CFG_SET_MONITOR(status(ADDRESS, ADDRESS)),
    DOCA_FLOW_PIPE_CFG_SET_NAME(status(ADDRESS, ADDRESS)),
    DOCA_FLOW_PIPE_CFG_SET_NR_ENTRIES(status(ADDRESS, JAVA_INT)),
    DOCA_FLOW_PIPE_CFG_SET_TYPE(status(ADDRESS, JAVA_INT)),
    DOCA_FLOW_PIPE_CREATE(status(ADDRESS, ADDRESS, ADDRESS, ADDRESS)),

    DOCA_FLOW_PIPE_ADD_ENTRY(status(JAVA_SHORT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS)),
    DOCA_FLOW_PIPE_CONTROL_ADD_ENTRY(status(JAVA_SHORT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
            ADDRESS, ADDRESS, ADDRESS, ADDRESS)),
    DOCA_FLOW_PIPE_REMOVE_ENTRY(status(JAVA_SHORT, JAVA_INT, ADDRESS)),
    /** {@code doca_flow_pipe_update_entry(queue, pipe, actions, monitor, fwd, flags, entry)} (BACKEND-NOTES 1.4, D5) */
    DOCA_FLOW_PIPE_UPDATE_ENTRY(status(JAVA_SHORT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS)),
    DOCA_FLOW_ENTRIES_PROCESS(status(ADDRESS, JAVA_SHORT, JAVA_LONG, JAVA_INT)),

    DOCA_FLOW_SHARED_RESOURCE_SET_CFG(status(JAVA_INT, JAVA_INT, ADDRESS)),
    DOCA_FLOW_SHARED_RESOURCES_BIND(status(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS)),
    DOCA_FLOW_RESOURCE_QUERY_ENTRY(status(ADDRESS, ADDRESS)),
    DOCA_FLOW_RESOURCE_QUERY_PIPE_MISS(status(ADDRESS, ADDRESS)),

    DOCA_FLOW_CRYPTO_PSP_MASTER_KEY_ROTATE(status(ADDRESS)),
    DOCA_FLOW_CRYPTO_PSP_SPI_KEY_BULK_ALLOC(status(ADDRESS, JAVA_INT, JAVA_INT, ADDRESS)),
    DOCA_FLOW_CRYPTO_PSP_SPI_KEY_BULK_FREE(status(ADDRESS)),
    DOCA_FLOW_CRYPTO_PSP_SPI_KEY_BULK_GENERATE(status(ADDRESS)),
    DOCA_FLOW_CRYPTO_PSP_SPI_KEY_BULK_GET(status(ADDRESS, JAVA_INT, ADDRESS, ADDRESS)),
    DOCA_FLOW_CRYPTO_PSP_SPI_KEY_WIPE(status(ADDRESS, JAVA_INT)),
    DOCA_FLOW_CRYPTO_PSP_SPI_KEY_BULK_CLEAR(status(ADDRESS)),

    DOCA_DPDK_PORT_PROBE(status(ADDRESS, ADDRESS));

    /** The C name: the constant's name in lower case. */
    final String symbol = name().toLowerCase(Locale.ROOT);
    final FunctionDescriptor descriptor;

    DocaSymbol(FunctionDescriptor descriptor) {
        this.descriptor = descriptor;
    }

    /** A function returning {@code doca_error_t}. */
    private static FunctionDescriptor status(MemoryLayout... arguments) {
        return FunctionDescriptor.of(JAVA_INT, arguments);
    }

    /**
     * {@code void doca_flow_entry_process_cb(struct doca_flow_pipe_entry *entry, uint16_t pipe_queue,
     * enum doca_flow_entry_status status, enum doca_flow_entry_op op, void *user_ctx)} (BACKEND-NOTES D6).
     */
    static final FunctionDescriptor ENTRY_PROCESS_CALLBACK = FunctionDescriptor.ofVoid(ADDRESS, JAVA_SHORT, JAVA_INT, JAVA_INT, ADDRESS);
}
