#include "teardown.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../plan/plan.h"
#include "../swarm/swarm.h"
#include "../util/buf.h"
#include "../util/parallel.h"

struct td {
	struct lab_engine *engine;
	cJSON *list;
	int timeout_s;
	struct lab_err *errs;
	int *failed;
	lab_teardown_progress_fn progress;
	void *ud;
	pthread_mutex_t mu;
	size_t removed;
};

static void say(struct td *d, enum lab_teardown_kind kind, const char *name)
{
	pthread_mutex_lock(&d->mu);
	if (kind == LAB_TEARDOWN_CONTAINER_REMOVED)
		d->removed++;
	if (d->progress)
		d->progress(kind, name, d->ud);
	pthread_mutex_unlock(&d->mu);
}

static void service_removed(const char *name, void *ud)
{
	say(ud, LAB_TEARDOWN_SERVICE_REMOVED, name);
}

static void node_volume_removed(const char *node, const char *volume, void *ud)
{
	char *name = lab_xasprintf("%s/%s", node, volume);
	say(ud, LAB_TEARDOWN_NODE_VOLUME_REMOVED, name);
	free(name);
}

static void remove_one(size_t i, void *ud)
{
	struct td *d = ud;
	const cJSON *c = cJSON_GetArrayItem(d->list, (int)i);
	const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "Id"));
	const cJSON *names = cJSON_GetObjectItemCaseSensitive(c, "Names");
	const char *name = cJSON_GetStringValue(cJSON_GetArrayItem(names, 0));
	struct lab_engine *e = lab_engine_dup(d->engine);
	if (!e) {
		lab_err_set(&d->errs[i], LAB_ERR, "cannot open another connection to the engine");
		d->failed[i] = 1;
		return;
	}
	int rc = lab_engine_container_stop(e, id, d->timeout_s, &d->errs[i]);
	if (rc == 0 || rc == LAB_ENOTFOUND)
		rc = lab_engine_container_remove(e, id, 1, &d->errs[i]);
	if (rc == LAB_ENOTFOUND)
		rc = 0;
	d->failed[i] = rc < 0;
	if (rc == 0)
		say(d, LAB_TEARDOWN_CONTAINER_REMOVED, name ? name + (name[0] == '/') : id);
	lab_engine_free(e);
}

int lab_teardown(struct lab_teardown_result *res, struct lab_engine *e, const char *project, int volumes,
		 int timeout_s, lab_teardown_progress_fn progress, void *ud, struct lab_err *err)
{
	memset(res, 0, sizeof(*res));
	cJSON *list = NULL, *nets = NULL, *vols = NULL;
	char *cfilter = lab_plan_container_filter(project);
	char *filter = lab_plan_label_filter(project);
	struct td d = {.engine = e, .timeout_s = timeout_s, .progress = progress, .ud = ud};
	pthread_mutex_init(&d.mu, NULL);
	struct lab_swarm_info sw;
	struct lab_err ignore = {0};
	/* an engine that says nothing of Swarm (Podman, an old one) has none */
	int manager = lab_swarm_info(&sw, e, &ignore) == 0 && !strcmp(sw.state, "active") && sw.manager;
	struct lab_swarm_sweep sweep = {0};
	int rc = 0;
	if (manager) {
		/* where the tasks ran, before the services (and their tasks) go;
		   a plain down keeps it on the swarm for a later down --volumes,
		   which adds what an earlier one kept */
		if ((rc = lab_swarm_sweep_plan(&sweep, e, project, sw.node_id, err)) < 0)
			goto out;
		if (!volumes && sweep.n && (rc = lab_swarm_sweep_keep(&sweep, e, project, err)) < 0)
			goto out;
		if (volumes && (rc = lab_swarm_sweep_kept(&sweep, e, project, sw.node_id, err)) < 0)
			goto out;
		rc = lab_swarm_remove(&res->services, e, project, 60, service_removed, &d, err);
		if (rc < 0)
			goto out;
		cJSON *nodes = NULL;
		if (lab_engine_json(e, "GET", "/nodes", NULL, &nodes, &ignore) == 0)
			res->swarm_nodes = (size_t)cJSON_GetArraySize(nodes);
		cJSON_Delete(nodes);
	}
	rc = lab_engine_containers(e, cfilter, &list, err);
	if (rc < 0)
		goto out;
	size_t n = (size_t)cJSON_GetArraySize(list);
	d.list = list;
	d.errs = lab_xcalloc(n ? n : 1, sizeof(struct lab_err));
	d.failed = lab_xcalloc(n ? n : 1, sizeof(int));
	lab_parallel(n, 8, remove_one, &d);
	res->containers = d.removed;
	for (size_t i = 0; i < n; i++)
		if (d.failed[i]) {
			*err = d.errs[i];
			rc = err->code ? err->code : LAB_ERR;
			goto out;
		}
	if ((rc = lab_engine_networks(e, filter, &nets, err)) < 0)
		goto out;
	const cJSON *it;
	cJSON_ArrayForEach(it, nets)
	{
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "Id"));
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "Name"));
		rc = lab_engine_network_remove(e, id, err);
		/* an overlay whose tasks' endpoints are still being released
		   (Swarm removes them after the tasks): again, for up to 10 s */
		for (int i = 0; manager && rc < 0 && rc != LAB_ENOTFOUND && i < 50; i++) {
			struct timespec ts = {0, 200 * 1000000L};
			nanosleep(&ts, NULL);
			memset(err, 0, sizeof(*err));
			rc = lab_engine_network_remove(e, id, err);
		}
		if (rc < 0 && rc != LAB_ENOTFOUND)
			goto out;
		rc = 0;
		res->networks++;
		say(&d, LAB_TEARDOWN_NETWORK_REMOVED, name ? name : id);
	}
	if ((rc = lab_engine_volumes(e, filter, &vols, err)) < 0)
		goto out;
	cJSON_ArrayForEach(it, vols)
	{
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "Name"));
		if (!volumes) {
			res->volumes_kept++;
			continue;
		}
		rc = lab_engine_volume_remove(e, name, err);
		if (rc < 0 && rc != LAB_ENOTFOUND)
			goto out;
		rc = 0;
		res->volumes++;
		say(&d, LAB_TEARDOWN_VOLUME_REMOVED, name);
	}
	if (volumes && sweep.n) {
		size_t n = 0;
		rc = lab_swarm_sweep_run(&sweep, e, project, 120, node_volume_removed, &d, &n, err);
		res->volumes += n;
		res->node_volumes += n;
	}
	if (volumes && rc == 0)
		rc = lab_swarm_sweep_forget(&sweep, e, err);
out:
	lab_swarm_info_release(&sw);
	lab_swarm_sweep_free(&sweep);
	pthread_mutex_destroy(&d.mu);
	free(d.errs);
	free(d.failed);
	cJSON_Delete(list);
	cJSON_Delete(nets);
	cJSON_Delete(vols);
	free(cfilter);
	free(filter);
	return rc;
}
