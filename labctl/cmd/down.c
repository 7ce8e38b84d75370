/* labctl down: remove a lab's containers and networks (and with
 * --volumes its volumes). Only objects labelled io.labctl.lab=<project>
 * are touched (labctl/teardown does it; this file renders it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../teardown/teardown.h"
#include "../util/state.h"
#include "cmd.h"

static int cmd_down(const struct cmd_entry *cmd, struct cmd_args *args);

static const struct cmd_opt down_opts[] = {
	CMD_OPT_FILE,
	CMD_OPT_PROJECT,
	CMD_OPT_STUDENT,
	{"volumes", 'v', NULL, "also remove the lab's named volumes (their data is lost)"},
	{"timeout", 't', "SECONDS", "seconds to wait for a container to stop before killing it (default: its stop_grace_period, else 10)"},
	CMD_OPT_END,
};

const struct cmd_entry cmd_down_entry = {
	.name = "down",
	.opts = down_opts,
	.usage = "LAB | -f FILE [--volumes]",
	.summary = "stop and remove a lab's containers and networks",
	.description = "Removes only containers, networks (and with --volumes, volumes) that\n"
		       "carry the lab's io.labctl.lab label. Named volumes, and the data in\n"
		       "them, are kept unless --volumes is given. Every service's containers\n"
		       "go, whatever profile it is in (down needs no --profile). On a Swarm\n"
		       "manager, the lab's Swarm services (up --swarm) go first, and their\n"
		       "tasks are waited for;\n"
		       "with --volumes, the lab's volumes on the other nodes its tasks ran on\n"
		       "go too, each node's through a one-shot task with that node's engine\n"
		       "socket, from an image the node has (it runs perl). A plain down keeps\n"
		       "where the tasks ran (a Swarm config per node), so that a later\n"
		       "down --volumes reaches those nodes too.",
	.fn = cmd_down,
};

static void render(enum lab_teardown_kind kind, const char *name, void *ud)
{
	switch (kind) {
	case LAB_TEARDOWN_CONTAINER_REMOVED:
		fprintf(stderr, "%s | removed\n", name);
		break;
	case LAB_TEARDOWN_NETWORK_REMOVED:
		fprintf(stderr, "network '%s' removed\n", name);
		break;
	case LAB_TEARDOWN_VOLUME_REMOVED:
		fprintf(stderr, "volume '%s' removed\n", name);
		break;
	case LAB_TEARDOWN_SERVICE_REMOVED:
		fprintf(stderr, "swarm service '%s' removed\n", name);
		break;
	case LAB_TEARDOWN_NODE_VOLUME_REMOVED: {
		const char *slash = strchr(name, '/');
		fprintf(stderr, "volume '%s' removed on node '%.*s'\n", slash ? slash + 1 : name,
			slash ? (int)(slash - name) : 0, name);
		break;
	}
	}
}

static int cmd_down(const struct cmd_entry *cmd, struct cmd_args *args)
{
	int code = 0;
	struct lab_engine *engine = NULL;
	struct lab_err err = {0};
	struct lab_state_lock *lock = NULL;
	struct lab_teardown_result res;
	long timeout_s = LAB_STOP_TIMEOUT_CONTAINER;
	if ((code = cmd_opt_long(cmd, args, "timeout", 0, LAB_STOP_TIMEOUT_CONTAINER, &timeout_s)))
		return code;
	if (timeout_s > 3600)
		timeout_s = 3600;
	char *project = cmd_project(cmd, args);
	if (!project)
		return LAB_EXIT_USAGE;
	if ((code = cmd_lock_lab(project, &lock)) || (code = cmd_open_engine(&engine)))
		goto out;
	if (lab_teardown(&res, engine, project, cmd_opt(cmd, args, "volumes") != NULL, (int)timeout_s, render, NULL,
			 &err) < 0) {
		code = cmd_fail(&err);
		goto out;
	}
	if (!res.containers && !res.networks && !res.volumes && !res.volumes_kept && !res.services) {
		/* a lab named with no lab file and nothing of it on the engine:
		   a typo, not a lab that is down */
		cJSON *none = cJSON_CreateArray();
		code = cmd_check_lab_known(cmd, args, none);
		cJSON_Delete(none);
		if (!code)
			fprintf(stderr, "lab '%s': nothing to remove\n", project);
	}
	else if (res.volumes_kept)
		fprintf(stderr, "lab '%s' is down; %zu named volume%s kept (--volumes removes them)\n", project,
			res.volumes_kept, res.volumes_kept == 1 ? "" : "s");
	else
		fprintf(stderr, "lab '%s' is down\n", project);
out:
	free(project);
	lab_engine_free(engine);
	lab_state_unlock(lock);
	return code;
}
