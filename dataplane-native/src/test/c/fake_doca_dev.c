/*
 * The device functions of the fake DOCA (BACKEND-NOTES 2.1 and D5): a list of PFs a test sets,
 * opened by PCI address. DOCA has them in libdoca_common.so; the fake builds them into
 * libdoca_flow.so, beside the journal every call goes through (the binding looks symbols up in
 * all three libraries alike). Until a test sets its own (and again after fake_reset_devices), the
 * list holds one PF at 0000:03:00.0 carrying 192.0.2.1 and 2001:db8::1.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fake_doca.h"

#define DEVICES_MAX 8
struct devinfo { char pci[16]; uint8_t ipv4[4]; uint8_t ipv6[16]; int has_ipv4; int has_ipv6; };
struct dev { struct devinfo *info; };
static struct devinfo devices[DEVICES_MAX] = {
    {"0000:03:00.0", {192, 0, 2, 1}, {0x20, 0x01, 0x0d, 0xb8, [15] = 1}, 1, 1},
};
static int device_count = 1;
static int lists_alive;
static int devices_open;

/* Test control: empties the device list. */
void fake_clear_devices(void) { device_count = 0; }

/* Test control: the list as it was at load. */
void fake_reset_devices(void) {
    static const struct devinfo pf = {"0000:03:00.0", {192, 0, 2, 1}, {0x20, 0x01, 0x0d, 0xb8, [15] = 1}, 1, 1};
    devices[0] = pf;
    device_count = 1;
}

/* Test control: adds a PF; a NULL address means the device has none of that family. */
void fake_add_device(const char *pci, const uint8_t *ipv4, const uint8_t *ipv6) {
    if (device_count == DEVICES_MAX) {
        return;
    }
    struct devinfo *d = &devices[device_count++];
    memset(d, 0, sizeof *d);
    snprintf(d->pci, sizeof d->pci, "%s", pci);
    d->has_ipv4 = ipv4 != NULL;
    d->has_ipv6 = ipv6 != NULL;
    if (ipv4 != NULL) memcpy(d->ipv4, ipv4, 4);
    if (ipv6 != NULL) memcpy(d->ipv6, ipv6, 16);
}

/* Device lists created and not destroyed, and devices opened and not closed. */
int fake_device_lists_alive(void) { return lists_alive; }
int fake_devices_open(void) { return devices_open; }

int doca_devinfo_create_list(struct devinfo ***list, uint32_t *count) {
    int error = fake_doca_enter("doca_devinfo_create_list", "");
    if (error != 0) return error;
    *list = calloc(device_count + 1, sizeof **list);
    for (int i = 0; i < device_count; i++) {
        (*list)[i] = &devices[i];
    }
    *count = (uint32_t) device_count;
    lists_alive++;
    return 0;
}

int doca_devinfo_destroy_list(struct devinfo **list) {
    int error = fake_doca_enter("doca_devinfo_destroy_list", "");
    if (error != 0) return error;
    free(list);
    lists_alive--;
    return 0;
}

/* DOCA takes the address with or without its PCI domain: "03:00.0" is "0000:03:00.0". */
static const char *without_domain(const char *pci) {
    return strlen(pci) == 12 && pci[4] == ':' ? pci + 5 : pci;
}

int doca_devinfo_is_equal_pci_addr(const struct devinfo *info, const char *pci, uint8_t *equal) {
    int error = fake_doca_enter("doca_devinfo_is_equal_pci_addr", pci);
    if (error != 0) return error;
    *equal = strcasecmp(without_domain(info->pci), without_domain(pci)) == 0;
    return 0;
}

int doca_dev_open(struct devinfo *info, struct dev **dev) {
    int error = fake_doca_enter("doca_dev_open", info->pci);
    if (error != 0) return error;
    *dev = malloc(sizeof **dev);
    (*dev)->info = info;
    devices_open++;
    return 0;
}

int doca_dev_close(struct dev *dev) {
    int error = fake_doca_enter("doca_dev_close", dev->info->pci);
    if (error != 0) return error;
    free(dev);
    devices_open--;
    return 0;
}

struct devinfo *doca_dev_as_devinfo(const struct dev *dev) { return dev->info; }

/* The device's address of one family into the caller's buffer of `size` bytes, journalled as `function`. */
static int get_address(const char *function, const struct devinfo *info, int has, const uint8_t *own, uint32_t length, uint8_t *address,
                       uint32_t size) {
    int error = fake_doca_enter(function, info->pci);
    if (error != 0) return error;
    if (size < length) return 6; /* DOCA_ERROR_INVALID_VALUE */
    if (!has) return 16; /* DOCA_ERROR_NOT_FOUND */
    memcpy(address, own, length);
    return 0;
}

int doca_devinfo_get_ipv4_addr(const struct devinfo *info, uint8_t *address, uint32_t size) {
    return get_address("doca_devinfo_get_ipv4_addr", info, info->has_ipv4, info->ipv4, 4, address, size);
}

int doca_devinfo_get_ipv6_addr(const struct devinfo *info, uint8_t *address, uint32_t size) {
    return get_address("doca_devinfo_get_ipv6_addr", info, info->has_ipv6, info->ipv6, 16, address, size);
}
