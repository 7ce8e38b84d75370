/* Take a lab down: what `labctl down` and `labctl class down` do below
 * rendering. Only what carries the project's io.labctl.lab label is
 * touched: its containers (stopped, then removed with their anonymous
 * volumes, several at once), then its networks, then, with volumes, its
 * named volumes (else they are counted as kept).
 */
#ifndef LAB_TEARDOWN_H
#define LAB_TEARDOWN_H

#include <stddef.h>

#include "../engine/engine.h"
#include "../util/err.h"

enum lab_teardown_kind {
	LAB_TEARDOWN_CONTAINER_REMOVED, /* name: the container's name, without the '/' */
	LAB_TEARDOWN_NETWORK_REMOVED,   /* name: the network's */
	LAB_TEARDOWN_VOLUME_REMOVED,    /* name: the volume's */
};

/* Called once per object removed, from several threads but never two
 * calls at once. name is valid during the call only. */
typedef void (*lab_teardown_progress_fn)(enum lab_teardown_kind kind, const char *name, void *ud);

struct lab_teardown_result {
	size_t containers, networks, volumes; /* removed */
	size_t volumes_kept;                  /* named volumes left (no --volumes) */
};

/* Take project down on e: list its containers (GET /containers/json,
 * lab_plan_container_filter), stop each (POST /containers/{id}/stop?t=
 * timeout_s) and remove it (DELETE /containers/{id}?v=1&force=1), up to
 * eight at once; then its networks and, with volumes, its volumes
 * (lab_plan_label_filter). One already gone counts as removed.
 * *res (zeroed first) counts what was done, also on failure.
 * Errors: the engine's (LAB_EUNREACHABLE, LAB_EENGINE with method, path,
 * status and the daemon's message), the first one met; containers that
 * could be removed were. */
int lab_teardown(struct lab_teardown_result *res, struct lab_engine *e, const char *project, int volumes,
		 int timeout_s, lab_teardown_progress_fn progress, void *ud, struct lab_err *err);

#endif
