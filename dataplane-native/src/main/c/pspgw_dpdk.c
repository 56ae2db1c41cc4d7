/*
 * The DPDK shim of the doca backend's slow path: what the miss path needs from DPDK and what DPDK
 * keeps static inline (bursts, mbuf data, the flow-metadata dynfield) or passes in structs whose
 * layout changes between releases (rte_eth_conf, rte_eth_dev_info). Compiled against the DPDK the
 * gateway runs with (Debian's 22.11 in the tests, DOCA's own on the target), so every layout is
 * right by construction and Java sees scalars and flat buffers only.
 *
 * Mbufs never leave this file: a receive copies each packet into the caller's buffer and frees the
 * burst at once (held packets wait up to the hold timeout, and keeping their mbufs that long would
 * drain the pool and stop receive); a send allocates, copies and frees what the driver refused.
 * So there is one downcall per burst, and no mbuf can be freed twice from Java.
 *
 * Every function returns 0 or a count on success and a negative errno on failure.
 */
/* the flow-metadata dynfield API is still marked experimental in DPDK 22.11 */
#define ALLOW_EXPERIMENTAL_API
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#define PSPGW_BURST_MAX 256

/* The steps of pspgw_port_setup, reported through its step argument when one fails. */
enum pspgw_port_step {
    PSPGW_STEP_INFO = 1,
    PSPGW_STEP_ISOLATE = 2,
    PSPGW_STEP_CONFIGURE = 3,
    PSPGW_STEP_RX_QUEUE = 4,
    PSPGW_STEP_TX_QUEUE = 5,
    PSPGW_STEP_START = 6,
};

int pspgw_eal_init(int argc, char **argv) {
    int parsed = rte_eal_init(argc, argv);
    return parsed < 0 ? -rte_errno : parsed;
}

int pspgw_eal_cleanup(void) {
    return rte_eal_cleanup();
}

int pspgw_port_count(void) {
    return rte_eth_dev_count_avail();
}

/* Registers the flow-metadata dynfield (pkt_meta of DOCA Flow); idempotent. */
int pspgw_metadata_register(void) {
    return rte_flow_dynf_metadata_register() < 0 ? -rte_errno : 0;
}

/* A packet mbuf pool of n mbufs of data_room bytes each (headroom included), on this socket, in *pool. */
int pspgw_pool_create(const char *name, uint32_t n, uint16_t data_room, struct rte_mempool **pool) {
    *pool = rte_pktmbuf_pool_create(name, n, 0, 0, data_room, (int) rte_socket_id());
    return *pool == NULL ? -rte_errno : 0;
}

void pspgw_pool_free(struct rte_mempool *pool) {
    rte_mempool_free(pool);
}

/* Mbufs of pool not in use (a pool that lends mbufs out and never gets them back leaks). */
uint32_t pspgw_pool_available(struct rte_mempool *pool) {
    return rte_mempool_avail_count(pool);
}

int pspgw_port_mac(uint16_t port, uint8_t mac[6]) {
    struct rte_ether_addr addr;
    int rc = rte_eth_macaddr_get(port, &addr);
    if (rc == 0) {
        memcpy(mac, addr.addr_bytes, 6);
    }
    return rc;
}

/* The driver's name for port ("net_ring", "mlx5_pci"), copied into name (NUL-terminated). */
int pspgw_port_driver(uint16_t port, char *name, uint32_t capacity) {
    struct rte_eth_dev_info info;
    int rc = rte_eth_dev_info_get(port, &info);
    if (rc != 0) {
        return rc;
    }
    snprintf(name, capacity, "%s", info.driver_name);
    return 0;
}

/*
 * Configures port with rx_queues receive and tx_queues transmit queues of descriptors each, the
 * receive queues filling from pool, and starts it; in flow-isolated mode first when isolate is set
 * (only the flows DOCA installs send packets to the queues). On failure *step names what failed.
 */
int pspgw_port_setup(uint16_t port, uint16_t rx_queues, uint16_t tx_queues, uint16_t descriptors,
                     struct rte_mempool *pool, int isolate, int *step) {
    struct rte_eth_dev_info info;
    struct rte_eth_conf conf;
    struct rte_flow_error error;
    int rc;
    *step = PSPGW_STEP_INFO;
    if ((rc = rte_eth_dev_info_get(port, &info)) != 0) {
        return rc;
    }
    if (rx_queues > info.max_rx_queues || tx_queues > info.max_tx_queues) {
        return -EINVAL;
    }
    if (isolate) {
        *step = PSPGW_STEP_ISOLATE;
        if (rte_flow_isolate(port, 1, &error) != 0) {
            return -rte_errno;
        }
    }
    memset(&conf, 0, sizeof(conf));
    *step = PSPGW_STEP_CONFIGURE;
    if ((rc = rte_eth_dev_configure(port, rx_queues, tx_queues, &conf)) != 0) {
        return rc;
    }
    uint16_t rx_descriptors = descriptors;
    uint16_t tx_descriptors = descriptors;
    if ((rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rx_descriptors, &tx_descriptors)) != 0) {
        return rc;
    }
    int socket = rte_eth_dev_socket_id(port);
    for (uint16_t q = 0; q < rx_queues; q++) {
        *step = PSPGW_STEP_RX_QUEUE;
        if ((rc = rte_eth_rx_queue_setup(port, q, rx_descriptors, socket, NULL, pool)) != 0) {
            return rc;
        }
    }
    for (uint16_t q = 0; q < tx_queues; q++) {
        *step = PSPGW_STEP_TX_QUEUE;
        if ((rc = rte_eth_tx_queue_setup(port, q, tx_descriptors, socket, NULL)) != 0) {
            return rc;
        }
    }
    *step = PSPGW_STEP_START;
    return rte_eth_dev_start(port);
}

int pspgw_port_stop(uint16_t port) {
    return rte_eth_dev_stop(port);
}

int pspgw_port_close(uint16_t port) {
    return rte_eth_dev_close(port);
}

static uint32_t metadata_of(const struct rte_mbuf *m) {
    /* RX and TX metadata are one flag (a ring port hands the sent mbuf itself to the receiver) */
    return rte_flow_dynf_metadata_avail() && (m->ol_flags & RTE_MBUF_DYNFLAG_RX_METADATA) ? *RTE_FLOW_DYNF_METADATA(m) : 0;
}

/*
 * Receives up to max (at most PSPGW_BURST_MAX) packets from queue of port. Packet i is copied to
 * data + i * slot, its whole length is lengths[i] (more than slot: only slot bytes were copied)
 * and its flow metadata metas[i] (0 when it carries none). Every mbuf is freed before returning.
 */
int pspgw_rx_copy(uint16_t port, uint16_t queue, uint8_t *data, uint32_t slot, uint32_t *lengths, uint32_t *metas,
                  uint16_t max) {
    struct rte_mbuf *burst[PSPGW_BURST_MAX];
    uint16_t n = rte_eth_rx_burst(port, queue, burst, max < PSPGW_BURST_MAX ? max : PSPGW_BURST_MAX);
    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = burst[i];
        uint32_t copied = m->pkt_len < slot ? m->pkt_len : slot;
        uint8_t *to = data + (size_t) i * slot;
        const void *from = rte_pktmbuf_read(m, 0, copied, to);
        if (from != to && from != NULL) {
            memcpy(to, from, copied);
        }
        lengths[i] = m->pkt_len;
        metas[i] = metadata_of(m);
    }
    if (n > 0) {
        rte_pktmbuf_free_bulk(burst, n);
    }
    return n;
}

/*
 * Sends n (at most PSPGW_BURST_MAX) packets on queue of port, packet i being lengths[i] bytes at
 * data + i * slot, with flow metadata metas[i] (none when 0), in mbufs from pool. Returns how
 * many the driver took, in order; the rest are freed here. -ENOBUFS when the pool has too few
 * mbufs for the burst, -EINVAL when a packet does not fit one.
 */
int pspgw_tx_copy(uint16_t port, uint16_t queue, struct rte_mempool *pool, const uint8_t *data, uint32_t slot,
                  const uint32_t *lengths, const uint32_t *metas, uint16_t n) {
    struct rte_mbuf *burst[PSPGW_BURST_MAX];
    if (n > PSPGW_BURST_MAX) {
        return -EINVAL;
    }
    if (n == 0) {
        return 0;
    }
    if (rte_pktmbuf_alloc_bulk(pool, burst, n) != 0) {
        return -ENOBUFS;
    }
    for (uint16_t i = 0; i < n; i++) {
        char *to = lengths[i] <= slot ? rte_pktmbuf_append(burst[i], (uint16_t) lengths[i]) : NULL;
        if (to == NULL) {
            rte_pktmbuf_free_bulk(burst, n);
            return -EINVAL;
        }
        memcpy(to, data + (size_t) i * slot, lengths[i]);
        if (metas[i] != 0 && rte_flow_dynf_metadata_avail()) {
            *RTE_FLOW_DYNF_METADATA(burst[i]) = metas[i];
            burst[i]->ol_flags |= RTE_MBUF_DYNFLAG_TX_METADATA;
        }
    }
    uint16_t sent = rte_eth_tx_burst(port, queue, burst, n);
    if (sent < n) {
        rte_pktmbuf_free_bulk(burst + sent, n - sent);
    }
    return sent;
}
