/*
 * Fake libdoca_flow.so: what the doca backend's tests load in place of DOCA Flow 3.0. Written from
 * the project's ABI table and notes only (struct sizes, offsets, enum values); no DOCA header.
 *
 * It journals every call (function, its scalar arguments and handles as text, the calling thread),
 * hands out handles it can name ("port#1", "pipe#3"), counts what is created and not yet destroyed,
 * fires the entry-process callback for the entries added since the last entries_process, and fails
 * the Nth call of a function with an error a test chose. Test control: the fake_* functions.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "fake_doca.h"

#define JOURNAL_MAX 4096
#define DETAIL_MAX 160
#define PENDING_MAX 1024

#define BLOBS 3
struct call { char function[64]; char detail[DETAIL_MAX]; long thread; unsigned char *blob[BLOBS]; int blob_size[BLOBS]; };
static struct call journal[JOURNAL_MAX];
static int journal_size;
static int journal_lost;

static int journal_on = 1; /* off for benchmarks: calls are then neither formatted nor recorded */

static char fail_function[64];
static int fail_remaining; /* calls of fail_function to let through before failing, -1 when none armed */
static int fail_error;

enum kind { CFG, PORT_CFG, PIPE_CFG, PORT, PIPE, ENTRY, BULK, KINDS };
static const char *const kind_names[] = {"cfg", "port_cfg", "pipe_cfg", "port", "pipe", "entry", "bulk"};
struct object { enum kind kind; int id; int live; uint64_t total_bytes; uint64_t total_pkts; void *user_ctx; };
#define OBJECTS_MAX 65536
static struct object *by_id[KINDS][OBJECTS_MAX]; /* for the counters a test sets by handle name */
static int next_id[KINDS];
static int live[KINDS];

typedef void (*entry_process_cb)(void *entry, uint16_t queue, int status, int op, void *user_ctx);
static entry_process_cb callback;
struct pending { struct object *entry; void *user_ctx; int op; const void *match; const void *actions; unsigned char match_copy[544];
                 unsigned char actions_copy[1040]; };
static struct pending pending[PENDING_MAX];
static int pending_count;
static int entry_status_error_remaining = -1; /* entries to report SUCCESS before one ERROR, -1 when none armed */
static int holding; /* entries_process reports nothing, as if the hardware had not finished */

static int initialised;

int fake_doca_enter(const char *function, const char *detail) {
    if (!journal_on) {
        /* nothing recorded */
    } else if (journal_size < JOURNAL_MAX) {
        struct call *c = &journal[journal_size++];
        snprintf(c->function, sizeof c->function, "%s", function);
        snprintf(c->detail, sizeof c->detail, "%s", detail);
        c->thread = (long) syscall(SYS_gettid);
    } else {
        journal_lost++;
    }
    if (fail_remaining >= 0 && strcmp(function, fail_function) == 0) {
        if (fail_remaining-- == 0) {
            return fail_error;
        }
    }
    return 0;
}

/* ---- test control ------------------------------------------------------------------------- */

void fake_reset(void) {
    for (int i = 0; i < journal_size; i++) {
        for (int k = 0; k < BLOBS; k++) {
            free(journal[i].blob[k]);
            journal[i].blob[k] = NULL;
            journal[i].blob_size[k] = 0;
        }
    }
    journal_size = 0;
    journal_lost = 0;
    fail_remaining = -1;
    entry_status_error_remaining = -1;
    holding = 0;
    pending_count = 0;
    /* live objects are kept: a test checks that what it created was destroyed */
}

/* The bytes of struct argument k of call i, as they were at the call (NULL when not passed). */
const unsigned char *fake_journal_blob(int i, int k) { return journal[i].blob[k]; }
int fake_journal_blob_size(int i, int k) { return journal[i].blob_size[k]; }

/* Keeps a copy of `size` bytes at `struct_pointer` as blob k of the call just journalled. */
static void snapshot(int k, const void *struct_pointer, int size) {
    if (!journal_on || journal_size == 0 || journal_lost > 0 || struct_pointer == NULL) {
        return;
    }
    struct call *c = &journal[journal_size - 1];
    c->blob[k] = malloc(size);
    memcpy(c->blob[k], struct_pointer, size);
    c->blob_size[k] = size;
}

int fake_journal_size(void) { return journal_lost > 0 ? -1 : journal_size; }
const char *fake_journal_function(int i) { return journal[i].function; }
const char *fake_journal_detail(int i) { return journal[i].detail; }
long fake_journal_thread(int i) { return journal[i].thread; }

/* The `after`+1-th call of `function` from now fails with `error`. */
void fake_fail(const char *function, int after, int error) {
    snprintf(fail_function, sizeof fail_function, "%s", function);
    fail_remaining = after;
    fail_error = error;
}

/* After `after` successful entries, entries_process reports one entry as DOCA_FLOW_ENTRY_STATUS_ERROR. */
void fake_fail_entry(int after) { entry_status_error_remaining = after; }

/* Objects of every kind created and not destroyed (ports not stopped, bulks not freed ...). */
int fake_live_objects(void) {
    int n = 0;
    for (int k = 0; k < KINDS; k++) {
        n += live[k];
    }
    return n;
}

int fake_initialised(void) { return initialised; }

/* Test control: 0 stops journalling (and struct copies), for measuring the binding rather than the fake. */
void fake_journal(int on) { journal_on = on; }

/* Test control: what resource_query_entry reports for entry#id, or query_pipe_miss for pipe#id (packets only). */
void fake_set_counter(int kind, int id, uint64_t packets, uint64_t bytes) {
    if (kind >= 0 && kind < KINDS && id > 0 && id < OBJECTS_MAX && by_id[kind][id] != NULL) {
        by_id[kind][id]->total_pkts = packets;
        by_id[kind][id]->total_bytes = bytes;
    }
}

/* Objects of one kind alive now (0 cfg, 1 port_cfg, 2 pipe_cfg, 3 port, 4 pipe, 5 entry, 6 bulk): the fake's own table. */
int fake_live_of_kind(int kind) { return kind >= 0 && kind < KINDS ? live[kind] : -1; }

/* While `on`, entries_process reports no entry: what a timed-out insert looks like. */
void fake_hold_entries(int on) { holding = on; }

/* ---- handles ------------------------------------------------------------------------------ */

static struct object *create(enum kind kind) {
    struct object *o = calloc(1, sizeof *o);
    o->kind = kind;
    o->id = ++next_id[kind];
    o->live = 1;
    if (o->id < OBJECTS_MAX) {
        by_id[kind][o->id] = o;
    }
    live[kind]++;
    return o;
}

static void destroy(struct object *o) {
    if (o != NULL && o->live) {
        o->live = 0;
        live[o->kind]--;
    }
    /* never freed: a use after destroy stays readable and is reported as "#dead" */
}

static const char *name(const void *handle, char *buffer, size_t size) {
    const struct object *o = handle;
    if (o == NULL) {
        snprintf(buffer, size, "NULL");
    } else {
        snprintf(buffer, size, "%s#%d%s", kind_names[o->kind], o->id, o->live ? "" : "#dead");
    }
    return buffer;
}

#define CALL(function, ...) do { \
        char detail[DETAIL_MAX] = ""; if (journal_on) snprintf(detail, sizeof detail, __VA_ARGS__); \
        int error = fake_doca_enter(function, detail); if (error != 0) return error; } while (0)

/* The text of a doca_flow_fwd (40): type@0 and, by type, port_id@8, next_pipe@8 or the RSS set's queues (queues_array@24, nr_queues@32). */
static const char *fwd_text(const unsigned char *fwd, char *out, size_t size) {
    if (fwd == NULL) {
        return snprintf(out, size, "NULL"), out;
    }
    int32_t type;
    memcpy(&type, fwd, 4);
    uint16_t port;
    void *next;
    char n[32];
    switch (type) {
    case 0: snprintf(out, size, "NONE"); break;
    case 1: {
        const uint16_t *queues;
        int32_t nr;
        uint32_t flags;
        memcpy(&flags, fwd + 16, 4);
        memcpy(&queues, fwd + 24, 8);
        memcpy(&nr, fwd + 32, 4);
        int at = snprintf(out, size, "RSS(flags=%u", flags);
        for (int i = 0; i < nr && at < (int) size; i++) {
            at += snprintf(out + at, size - at, i == 0 ? " q=%u" : ",%u", queues[i]);
        }
        if (at < (int) size) snprintf(out + at, size - at, ")");
        break;
    }
    case 2: memcpy(&port, fwd + 8, 2); snprintf(out, size, "PORT(%u)", port); break;
    case 3: memcpy(&next, fwd + 8, 8); snprintf(out, size, "PIPE(%s)", name(next, n, sizeof n)); break;
    case 4: snprintf(out, size, "DROP"); break;
    case 100: snprintf(out, size, "CHANGEABLE"); break;
    default: snprintf(out, size, "type%d", type);
    }
    return out;
}

/* The text of a doca_flow_monitor (48): counter_type@32, shared_mirror_id@40. */
static const char *monitor_text(const unsigned char *monitor, char *out, size_t size) {
    if (monitor == NULL) {
        return snprintf(out, size, "NULL"), out;
    }
    int32_t counter;
    uint32_t mirror;
    memcpy(&counter, monitor + 32, 4);
    memcpy(&mirror, monitor + 40, 4);
    snprintf(out, size, mirror != 0 ? "counter=%d mirror=%u" : "counter=%d", counter, mirror);
    return out;
}

/* ---- global configuration ----------------------------------------------------------------- */

int doca_flow_cfg_create(void **cfg) {
    CALL("doca_flow_cfg_create", "%s", "");
    *cfg = create(CFG);
    return 0;
}

int doca_flow_cfg_destroy(void *cfg) {
    char n[32];
    CALL("doca_flow_cfg_destroy", "%s", name(cfg, n, sizeof n));
    destroy(cfg);
    return 0;
}

int doca_flow_cfg_set_pipe_queues(void *cfg, uint16_t queues) {
    CALL("doca_flow_cfg_set_pipe_queues", "%u", queues);
    return 0;
}

int doca_flow_cfg_set_nr_counters(void *cfg, uint32_t n) {
    CALL("doca_flow_cfg_set_nr_counters", "%u", n);
    return 0;
}

int doca_flow_cfg_set_mode_args(void *cfg, const char *args) {
    CALL("doca_flow_cfg_set_mode_args", "%s", args);
    return 0;
}

int doca_flow_cfg_set_cb_entry_process(void *cfg, entry_process_cb cb) {
    CALL("doca_flow_cfg_set_cb_entry_process", "%s", cb != NULL ? "callback" : "NULL");
    callback = cb;
    return 0;
}

/* doca_flow_resource_rss_cfg (24): outer_flags@0, inner_flags@4, queues_array@8, nr_queues@16, rss_hash_func@20 */
static void rss_text(const uint8_t *rss, char *out, size_t size) {
    uint32_t outer, inner;
    int32_t nr, hash;
    const uint16_t *queues;
    memcpy(&outer, rss, 4);
    memcpy(&inner, rss + 4, 4);
    memcpy(&queues, rss + 8, 8);
    memcpy(&nr, rss + 16, 4);
    memcpy(&hash, rss + 20, 4);
    int at = snprintf(out, size, "outer=%u inner=%u hash=%d queues=", outer, inner, hash);
    for (int i = 0; i < nr && at < (int) size; i++) {
        at += snprintf(out + at, size - at, i == 0 ? "%u" : ",%u", queues[i]);
    }
}

int doca_flow_cfg_set_default_rss(void *cfg, const void *rss) {
    char text[DETAIL_MAX];
    rss_text(rss, text, sizeof text);
    CALL("doca_flow_cfg_set_default_rss", "%s", text);
    return 0;
}

int doca_flow_cfg_set_nr_shared_resource(void *cfg, uint32_t n, int type) {
    CALL("doca_flow_cfg_set_nr_shared_resource", "%u type=%d", n, type);
    return 0;
}

int doca_flow_init(void *cfg) {
    char n[32];
    CALL("doca_flow_init", "%s", name(cfg, n, sizeof n));
    if (initialised) {
        return 18; /* DOCA_ERROR_BAD_STATE */
    }
    initialised = 1;
    return 0;
}

void doca_flow_destroy(void) {
    fake_doca_enter("doca_flow_destroy", "");
    initialised = 0;
}

/* ---- ports -------------------------------------------------------------------------------- */

int doca_flow_port_cfg_create(void **cfg) {
    CALL("doca_flow_port_cfg_create", "%s", "");
    *cfg = create(PORT_CFG);
    return 0;
}

int doca_flow_port_cfg_destroy(void *cfg) {
    char n[32];
    CALL("doca_flow_port_cfg_destroy", "%s", name(cfg, n, sizeof n));
    destroy(cfg);
    return 0;
}

int doca_flow_port_cfg_set_port_id(void *cfg, uint16_t id) {
    CALL("doca_flow_port_cfg_set_port_id", "%u", id);
    return 0;
}

int doca_flow_port_cfg_set_dev(void *cfg, void *dev) {
    CALL("doca_flow_port_cfg_set_dev", "%s", dev != NULL ? "dev" : "NULL");
    return 0;
}

int doca_flow_port_cfg_set_actions_mem_size(void *cfg, uint32_t size) {
    CALL("doca_flow_port_cfg_set_actions_mem_size", "%u", size);
    return 0;
}

int doca_flow_port_start(const void *cfg, void **port) {
    char n[32];
    CALL("doca_flow_port_start", "%s", name(cfg, n, sizeof n));
    *port = create(PORT);
    return 0;
}

int doca_flow_port_stop(void *port) {
    char n[32];
    CALL("doca_flow_port_stop", "%s", name(port, n, sizeof n));
    destroy(port);
    return 0;
}

/* ---- shared resources --------------------------------------------------------------------- */

int doca_flow_shared_resources_bind(int type, uint32_t *ids, uint32_t count, void *object) {
    char n[32];
    CALL("doca_flow_shared_resources_bind", "type=%d ids=%u..%u count=%u to=%s", type, count > 0 ? ids[0] : 0,
         count > 0 ? ids[count - 1] : 0, count, name(object, n, sizeof n));
    return 0;
}

/* For a PSP resource the cfg is psp_cfg.key_cfg {key_type@0, key pointer@8}: the key is journalled in hex. */
int doca_flow_shared_resource_set_cfg(int type, uint32_t id, void *cfg) {
    if (type != 4) {
        CALL("doca_flow_shared_resource_set_cfg", "type=%d id=%u", type, id);
        return 0;
    }
    int32_t key_type;
    const uint8_t *key;
    memcpy(&key_type, cfg, 4);
    memcpy(&key, (const uint8_t *) cfg + 8, 8);
    char hex[65] = "";
    for (int i = 0; journal_on && key != NULL && i < (key_type == 0 ? 16 : 32); i++) {
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    }
    CALL("doca_flow_shared_resource_set_cfg", "type=%d id=%u key_type=%d key=%s", type, id, key_type, key != NULL ? hex : "NULL");
    return 0;
}

/* ---- pipes and entries -------------------------------------------------------------------- */

int doca_flow_pipe_cfg_create(void **cfg, void *port) {
    char n[32];
    CALL("doca_flow_pipe_cfg_create", "%s", name(port, n, sizeof n));
    *cfg = create(PIPE_CFG);
    return 0;
}

int doca_flow_pipe_cfg_destroy(void *cfg) {
    char n[32];
    CALL("doca_flow_pipe_cfg_destroy", "%s", name(cfg, n, sizeof n));
    destroy(cfg);
    return 0;
}

int doca_flow_pipe_cfg_set_name(void *cfg, const char *pipe_name) { CALL("doca_flow_pipe_cfg_set_name", "%s", pipe_name); return 0; }
int doca_flow_pipe_cfg_set_type(void *cfg, int type) { CALL("doca_flow_pipe_cfg_set_type", "%d", type); return 0; }
int doca_flow_pipe_cfg_set_domain(void *cfg, int domain) { CALL("doca_flow_pipe_cfg_set_domain", "%d", domain); return 0; }
int doca_flow_pipe_cfg_set_dir_info(void *cfg, int dir) { CALL("doca_flow_pipe_cfg_set_dir_info", "%d", dir); return 0; }
int doca_flow_pipe_cfg_set_is_root(void *cfg, _Bool root) { CALL("doca_flow_pipe_cfg_set_is_root", "%d", root); return 0; }
int doca_flow_pipe_cfg_set_nr_entries(void *cfg, uint32_t n) { CALL("doca_flow_pipe_cfg_set_nr_entries", "%u", n); return 0; }
int doca_flow_pipe_cfg_set_miss_counter(void *cfg, _Bool on) { CALL("doca_flow_pipe_cfg_set_miss_counter", "%d", on); return 0; }
int doca_flow_pipe_cfg_set_monitor(void *cfg, const void *monitor) {
    char m[48];
    CALL("doca_flow_pipe_cfg_set_monitor", "%s", monitor_text(monitor, m, sizeof m));
    return 0;
}

int doca_flow_pipe_cfg_set_match(void *cfg, const void *match, const void *mask) {
    CALL("doca_flow_pipe_cfg_set_match", "mask=%s", mask == NULL ? "NULL" : mask == match ? "match" : "own");
    snapshot(0, match, 544);
    snapshot(1, mask, 544);
    return 0;
}

int doca_flow_pipe_cfg_set_actions(void *cfg, void *const *actions, void *const *masks, void *const *descs, size_t n) {
    CALL("doca_flow_pipe_cfg_set_actions", "%zu%s", n, masks != NULL ? " masks" : "");
    for (size_t i = 0; i < n && i < BLOBS; i++) {
        snapshot((int) i, actions[i], 1040);
    }
    return 0;
}

int doca_flow_pipe_create(const void *cfg, const void *fwd, const void *fwd_miss, void **pipe) {
    char n[32], f[64], m[64];
    CALL("doca_flow_pipe_create", "%s fwd=%s miss=%s -> pipe#%d", name(cfg, n, sizeof n), fwd_text(fwd, f, sizeof f),
         fwd_text(fwd_miss, m, sizeof m), next_id[PIPE] + 1);
    *pipe = create(PIPE);
    return 0;
}

static int add(const char *function, const char *details, void *user_ctx, const void *match, const void *actions, const void *fwd,
               void **entry) {
    CALL(function, "%.130s -> entry#%d", details, next_id[ENTRY] + 1);
    snapshot(0, match, 544);
    snapshot(1, actions, 1040);
    snapshot(2, fwd, 40);
    if (pending_count == PENDING_MAX) {
        return 24; /* DOCA_ERROR_FULL */
    }
    struct object *e = create(ENTRY);
    e->user_ctx = user_ctx; /* DOCA reports every later operation on the entry with it */
    struct pending *p = &pending[pending_count++];
    memset(p, 0, sizeof *p);
    p->entry = e;
    p->user_ctx = user_ctx;
    p->match = match;
    p->actions = actions;
    if (match != NULL) memcpy(p->match_copy, match, 544);
    if (actions != NULL) memcpy(p->actions_copy, actions, 1040);
    *entry = e;
    return 0;
}

int doca_flow_pipe_add_entry(uint16_t queue, void *pipe, const void *match, const void *actions, const void *monitor,
                             const void *fwd, uint32_t flags, void *user_ctx, void **entry) {
    char n[32], f[64], m[48], d[DETAIL_MAX] = "";
    if (journal_on) snprintf(d, sizeof d, "%s%s%s fwd=%s monitor=%s", name(pipe, n, sizeof n), match != NULL ? " match" : "", actions != NULL ? " actions" : "",
             fwd_text(fwd, f, sizeof f), monitor_text(monitor, m, sizeof m));
    return add("doca_flow_pipe_add_entry", d, user_ctx, match, actions, fwd, entry);
}

int doca_flow_pipe_control_add_entry(uint16_t queue, uint32_t priority, void *pipe, const void *match, const void *mask,
                                     const void *condition, const void *actions, const void *actions_mask,
                                     const void *descs, const void *monitor, const void *fwd, void *user_ctx, void **entry) {
    char n[32], f[64], m[48], d[DETAIL_MAX] = "";
    if (journal_on) snprintf(d, sizeof d, "%s prio=%u fwd=%s monitor=%s", name(pipe, n, sizeof n), priority, fwd_text(fwd, f, sizeof f),
             monitor_text(monitor, m, sizeof m));
    int error = add("doca_flow_pipe_control_add_entry", d, user_ctx, match, NULL, fwd, entry);
    if (error == 0) {
        snapshot(1, mask, 544);
    }
    return error;
}

/* A new actions (and monitor, fwd) for a live entry, reported as DOCA_FLOW_ENTRY_OP_UPD with the entry's usr_ctx. */
int doca_flow_pipe_update_entry(uint16_t queue, void *pipe, const void *actions, const void *monitor, const void *fwd, uint32_t flags,
                                void *entry) {
    char n[32], e[32], m[48];
    CALL("doca_flow_pipe_update_entry", "%s entry=%s%s monitor=%s", name(pipe, n, sizeof n), name(entry, e, sizeof e),
         actions != NULL ? " actions" : "", monitor_text(monitor, m, sizeof m));
    snapshot(1, actions, 1040);
    struct object *o = entry;
    if (o == NULL || !o->live) {
        return 6; /* DOCA_ERROR_INVALID_VALUE */
    }
    if (pending_count == PENDING_MAX) {
        return 24; /* DOCA_ERROR_FULL */
    }
    struct pending *p = &pending[pending_count++];
    memset(p, 0, sizeof *p);
    p->entry = o;
    p->user_ctx = o->user_ctx;
    p->op = 2; /* DOCA_FLOW_ENTRY_OP_UPD */
    p->actions = actions;
    if (actions != NULL) memcpy(p->actions_copy, actions, 1040);
    return 0;
}

int doca_flow_pipe_remove_entry(uint16_t queue, uint32_t flags, void *entry) {
    char n[32];
    CALL("doca_flow_pipe_remove_entry", "%s", name(entry, n, sizeof n));
    destroy(entry);
    return 0;
}

int doca_flow_entries_process(void *port, uint16_t queue, uint64_t timeout_us, uint32_t max) {
    char n[32];
    CALL("doca_flow_entries_process", "%s queue=%u max=%u", name(port, n, sizeof n), queue, max);
    int done = 0;
    int changed = 0;
    for (int i = 0; i < pending_count; i++) {
        if ((pending[i].match != NULL && memcmp(pending[i].match, pending[i].match_copy, 544) != 0)
            || (pending[i].actions != NULL && memcmp(pending[i].actions, pending[i].actions_copy, 1040) != 0)) {
            changed++;
        }
    }
    if (changed > 0) {
        fake_doca_enter("fake:entry-structs-changed-before-processing", "");
    }
    for (; !holding && done < pending_count && (max == 0 || done < (int) max); done++) {
        int status = 1; /* DOCA_FLOW_ENTRY_STATUS_SUCCESS */
        if (entry_status_error_remaining >= 0 && entry_status_error_remaining-- == 0) {
            status = 2;
        }
        if (callback != NULL) {
            callback(pending[done].entry, queue, status, pending[done].op, pending[done].user_ctx);
        }
    }
    memmove(pending, pending + done, (pending_count - done) * sizeof pending[0]);
    pending_count -= done;
    return 0;
}

int doca_flow_resource_query_entry(void *entry, void *query) {
    char n[32];
    CALL("doca_flow_resource_query_entry", "%s", name(entry, n, sizeof n));
    const struct object *o = entry;
    memcpy(query, &o->total_bytes, 8);
    memcpy((uint8_t *) query + 8, &o->total_pkts, 8);
    return 0;
}

int doca_flow_resource_query_pipe_miss(void *pipe, void *query) {
    char n[32];
    CALL("doca_flow_resource_query_pipe_miss", "%s", name(pipe, n, sizeof n));
    const struct object *o = pipe;
    memcpy(query, &o->total_bytes, 8);
    memcpy((uint8_t *) query + 8, &o->total_pkts, 8);
    return 0;
}

/* ---- PSP keys ----------------------------------------------------------------------------- */

struct bulk { struct object object; int key_type; uint32_t count; uint32_t generation; const uint8_t *last_key; };
static uint32_t master_generation;
static uint32_t next_spi = 1;

int doca_flow_crypto_psp_master_key_rotate(void *port) {
    char n[32];
    CALL("doca_flow_crypto_psp_master_key_rotate", "%s", name(port, n, sizeof n));
    master_generation++;
    return 0;
}

int doca_flow_crypto_psp_spi_key_bulk_alloc(void *port, int key_type, uint32_t count, void **bulk) {
    char n[32];
    CALL("doca_flow_crypto_psp_spi_key_bulk_alloc", "%s type=%d count=%u", name(port, n, sizeof n), key_type, count);
    struct bulk *b = calloc(1, sizeof *b);
    b->object = (struct object) {.kind = BULK, .id = ++next_id[BULK], .live = 1};
    live[BULK]++;
    b->key_type = key_type;
    b->count = count;
    *bulk = b;
    return 0;
}

/* Journals whether the buffer the last key was written to has been zeroed by the time the bulk is freed. */
int doca_flow_crypto_psp_spi_key_bulk_free(void *bulk) {
    char n[32];
    const struct bulk *b = bulk;
    const char *keys = "none-read";
    if (b->last_key != NULL) {
        keys = "zeroed";
        for (int i = 0; i < (b->key_type == 0 ? 16 : 32); i++) {
            if (b->last_key[i] != 0) {
                keys = "LEFT-IN-BUFFER";
            }
        }
    }
    CALL("doca_flow_crypto_psp_spi_key_bulk_free", "%s keys=%s", name(bulk, n, sizeof n), keys);
    destroy(bulk);
    return 0;
}

int doca_flow_crypto_psp_spi_key_bulk_generate(void *bulk) {
    char n[32];
    CALL("doca_flow_crypto_psp_spi_key_bulk_generate", "%s", name(bulk, n, sizeof n));
    ((struct bulk *) bulk)->generation = master_generation;
    return 0;
}

/* Deterministic: SPI bit 31 is the master key generation's parity; key byte i = SPI's low byte + i. */
int doca_flow_crypto_psp_spi_key_bulk_get(void *bulk, uint32_t index, uint32_t *spi, uint32_t *key) {
    char n[32];
    CALL("doca_flow_crypto_psp_spi_key_bulk_get", "%s index=%u", name(bulk, n, sizeof n), index);
    struct bulk *b = bulk;
    if (index >= b->count) {
        return 6; /* DOCA_ERROR_INVALID_VALUE */
    }
    *spi = (next_spi++ & 0x7fffffff) | ((b->generation & 1u) << 31);
    b->last_key = (const uint8_t *) key;
    int length = b->key_type == 0 ? 16 : 32;
    for (int i = 0; i < length; i++) {
        ((uint8_t *) key)[i] = (uint8_t) (*spi + i);
    }
    return 0;
}

int doca_flow_crypto_psp_spi_key_wipe(void *bulk, uint32_t index) {
    char n[32];
    CALL("doca_flow_crypto_psp_spi_key_wipe", "%s index=%u", name(bulk, n, sizeof n), index);
    return 0;
}

int doca_flow_crypto_psp_spi_key_bulk_clear(void *bulk) {
    char n[32];
    CALL("doca_flow_crypto_psp_spi_key_bulk_clear", "%s", name(bulk, n, sizeof n));
    return 0;
}
