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
	LAB_TEARDOWN_SERVICE_REMOVED,   /* name: a Swarm service's (up --swarm) */
	LAB_TEARDOWN_NODE_VOLUME_REMOVED, /* name: "NODE/VOLUME", a volume on another Swarm node */
};

/* Called once per object removed, from several threads but never two
 * calls at once. name is valid during the call only. */
typedef void (*lab_teardown_progress_fn)(enum lab_teardown_kind kind, const char *name, void *ud);

struct lab_teardown_result {
	size_t containers, networks, volumes; /* removed */
	size_t volumes_kept;                  /* named volumes left (no --volumes) */
	size_t services;                      /* Swarm services removed */
	size_t node_volumes;                  /* of volumes: those removed on other Swarm nodes */
	size_t swarm_nodes;                   /* nodes of the swarm (0: the engine is no Swarm manager) */
};

/* Take project down on e. When e is a Swarm manager, first the lab's
 * Swarm services (lab_swarm_remove, labctl/swarm/swarm.h: DELETE
 * /services/{id}, then waiting up to 60 s until their tasks are gone);
 * where the tasks ran is read before (lab_swarm_sweep_plan) and, with
 * volumes, after all below, the lab's volumes on the other
 * nodes those tasks ran on are removed by a one-shot task per node
 * (lab_swarm_sweep_run, swarm.h; at most 120 s). A plain down keeps
 * where they ran on the swarm (lab_swarm_sweep_keep: a Swarm config per
 * node), and a later down --volumes sweeps those nodes too, then forgets
 * them (lab_swarm_sweep_kept, _forget).
 * Then: list its containers (GET /containers/json,
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
