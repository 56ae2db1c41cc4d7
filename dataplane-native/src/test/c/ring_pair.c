/*
 * Test helper for the DPDK slow path's tests: two ring ports joined back to back like a veth
 * pair, built with rte_eth_from_rings. What port a sends on queue q, port b receives on queue q,
 * and the other way round, so a test plays the NIC on port b while the slow path polls port a
 * (a single ring port hands a queue's packets back to the same queue, answers included).
 */
#include <stdint.h>
#include <stdio.h>

#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_lcore.h>
#include <rte_ring.h>

#define MAX_QUEUES 8

int pspgw_test_ring_pair(const char *name, uint16_t queues, uint16_t *port_a, uint16_t *port_b) {
    struct rte_ring *a_to_b[MAX_QUEUES];
    struct rte_ring *b_to_a[MAX_QUEUES];
    char ring_name[RTE_RING_NAMESIZE];
    if (queues == 0 || queues > MAX_QUEUES) {
        return -22;
    }
    for (uint16_t q = 0; q < queues; q++) {
        snprintf(ring_name, sizeof(ring_name), "%s_ab%u", name, q);
        a_to_b[q] = rte_ring_create(ring_name, 1024, (int) rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
        snprintf(ring_name, sizeof(ring_name), "%s_ba%u", name, q);
        b_to_a[q] = rte_ring_create(ring_name, 1024, (int) rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (a_to_b[q] == NULL || b_to_a[q] == NULL) {
            return -rte_errno;
        }
    }
    char port_name[64];
    snprintf(port_name, sizeof(port_name), "%s_a", name);
    int a = rte_eth_from_rings(port_name, b_to_a, queues, a_to_b, queues, (unsigned) rte_socket_id());
    snprintf(port_name, sizeof(port_name), "%s_b", name);
    int b = rte_eth_from_rings(port_name, a_to_b, queues, b_to_a, queues, (unsigned) rte_socket_id());
    if (a < 0 || b < 0) {
        return -rte_errno;
    }
    *port_a = (uint16_t) a;
    *port_b = (uint16_t) b;
    return 0;
}
