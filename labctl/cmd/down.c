/* labctl down: remove a lab's containers and networks (and with
 * --volumes its volumes). Only objects labelled io.labctl.lab=<project>
 * are touched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../plan/plan.h"
#include "../util/state.h"
#include "cmd.h"

static int cmd_down(const struct cmd_entry *cmd, struct cmd_args *args);

static const struct cmd_opt down_opts[] = {
	CMD_OPT_FILE,
	CMD_OPT_PROJECT,
	{"volumes", 'v', NULL, "also remove the lab's named volumes (their data is lost)"},
	{"timeout", 't', "SECONDS", "seconds to wait for a container to stop before killing it (default 10)"},
	CMD_OPT_END,
};

const struct cmd_entry cmd_down_entry = {
	.name = "down",
	.opts = down_opts,
	.usage = "LAB | -f FILE [--volumes]",
	.summary = "stop and remove a lab's containers and networks",
	.description = "Removes only containers, networks (and with --volumes, volumes) that\n"
		       "carry the lab's io.labctl.lab label. Named volumes, and the data in\n"
		       "them, are kept unless --volumes is given.",
	.fn = cmd_down,
};

struct down_ctx {
	struct lab_engine *engine;
	cJSON *list;
	int timeout_s;
	struct lab_err *errs;
	int *failed;
};

static void remove_one(size_t i, void *ud)
{
	struct down_ctx *d = ud;
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
		fprintf(stderr, "%s | removed\n", name ? name + (name[0] == '/') : id);
	lab_engine_free(e);
}

static int cmd_down(const struct cmd_entry *cmd, struct cmd_args *args)
{
	int code = 0;
	struct lab_engine *engine = NULL;
	struct lab_err err = {0};
	cJSON *list = NULL, *nets = NULL, *vols = NULL;
	char *filter = NULL;
	struct down_ctx d = {0};
	char *project = NULL;
	struct lab_state_lock *lock = NULL;
	const char *t = cmd_opt(cmd, args, "timeout");
	d.timeout_s = t ? atoi(t) : 10;
	code = cmd_open_lab_locked(cmd, args, &project, &engine, &list, &lock);
	if (code)
		goto out;
	filter = lab_plan_label_filter(project);
	size_t n = (size_t)cJSON_GetArraySize(list);
	d.engine = engine;
	d.list = list;
	d.errs = lab_xcalloc(n ? n : 1, sizeof(struct lab_err));
	d.failed = lab_xcalloc(n ? n : 1, sizeof(int));
	cmd_parallel(n, 8, remove_one, &d);
	for (size_t i = 0; i < n; i++)
		if (d.failed[i]) {
			err = d.errs[i];
			goto fail;
		}
	if (lab_engine_networks(engine, filter, &nets, &err) < 0)
		goto fail;
	const cJSON *it;
	cJSON_ArrayForEach(it, nets)
	{
		const char *id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "Id"));
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "Name"));
		int rc = lab_engine_network_remove(engine, id, &err);
		if (rc < 0 && rc != LAB_ENOTFOUND)
			goto fail;
		fprintf(stderr, "network '%s' removed\n", name ? name : id);
	}
	size_t kept = 0;
	if (lab_engine_volumes(engine, filter, &vols, &err) < 0)
		goto fail;
	cJSON_ArrayForEach(it, vols)
	{
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "Name"));
		if (!cmd_opt(cmd, args, "volumes")) {
			kept++;
			continue;
		}
		int rc = lab_engine_volume_remove(engine, name, &err);
		if (rc < 0 && rc != LAB_ENOTFOUND)
			goto fail;
		fprintf(stderr, "volume '%s' removed\n", name);
	}
	if (n == 0 && cJSON_GetArraySize(nets) == 0 && !kept && cJSON_GetArraySize(vols) == 0)
		fprintf(stderr, "lab '%s': nothing to remove\n", project);
	else if (kept)
		fprintf(stderr, "lab '%s' is down; %zu named volume%s kept (--volumes removes them)\n", project, kept,
			kept == 1 ? "" : "s");
	else
		fprintf(stderr, "lab '%s' is down\n", project);
	goto out;
fail:
	code = cmd_fail(&err);
out:
	free(d.errs);
	free(d.failed);
	cJSON_Delete(list);
	cJSON_Delete(nets);
	cJSON_Delete(vols);
	free(filter);
	free(project);
	lab_engine_free(engine);
	lab_state_unlock(lock);
	return code;
}
