/* Fake libdoca_dpdk_bridge.so: the one symbol the gateway binds from it, journalled by the flow fake. */
#include <stddef.h>
#include "fake_doca.h"

int doca_dpdk_port_probe(void *dev, const char *devargs) {
    return fake_doca_enter("doca_dpdk_port_probe", devargs != NULL ? devargs : "(null)");
}
