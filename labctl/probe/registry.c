/* The registry of probe kinds: one row per kind, whose descriptor
 * lab_probe_<kind> lives in labctl/probe/<kind>.c. The order is the order
 * a service's probes run in: cheap and quick first, the log probe (which
 * reads up to 1000 log lines) last. */
#include "probe.h"

#define KINDS(X)                                                                                   \
	X(tcp)                                                                                     \
	X(http)                                                                                    \
	X(schema_registry)                                                                         \
	X(connect)                                                                                 \
	X(postgres)                                                                                \
	X(kafka)                                                                                   \
	X(s3)                                                                                      \
	X(spark)                                                                                   \
	X(jupyter)                                                                                 \
	X(log)

#define DECLARE(k) extern const struct lab_probe_kind lab_probe_##k;
KINDS(DECLARE)

#define ROW(k) &lab_probe_##k,
const struct lab_probe_kind *const lab_probe_kinds[] = {KINDS(ROW) NULL};
