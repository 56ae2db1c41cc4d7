/* A stand-in header for testing scripts/doca-abi-probe: not DOCA's. Two rows of table.md disagree with it on purpose. */
#include <stdint.h>
typedef enum { DOCA_SUCCESS = 0 } doca_error_t;
enum doca_flow_demo_kind { DOCA_FLOW_DEMO_A = 0, DOCA_FLOW_DEMO_B = 7 };
struct doca_flow_demo { uint8_t flags; struct { uint16_t port; union { uint32_t ip4; uint8_t ip6[16]; }; } outer; uint64_t tail; };
struct doca_flow_port;
doca_error_t doca_flow_demo_start(struct doca_flow_port *port, uint16_t queue);
void doca_flow_demo_stop(void);
