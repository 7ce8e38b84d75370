/* labctl version: our version, and the engine's when one answers. */
#include <stdio.h>

#include "cmd.h"

static int cmd_version(const struct cmd_entry *cmd, struct cmd_args *args);

static const struct cmd_opt version_opts[] = {
	CMD_OPT_END,
};

const struct cmd_entry cmd_version_entry = {
	.name = "version",
	.opts = version_opts,
	.usage = "",
	.summary = "print labctl's version and the engine's",
	.fn = cmd_version,
};

static int cmd_version(const struct cmd_entry *cmd, struct cmd_args *args)
{
	printf("labctl %s (Docker Engine API %s..%s)\n", LABCTL_VERSION, LAB_ENGINE_API_MIN, LAB_ENGINE_API_MAX);
	struct lab_engine *e = NULL;
	struct lab_err err = {0};
	if (lab_engine_open(&e, NULL, &err) == 0)
		printf("engine: %s, API %s\n", lab_engine_host(e), lab_engine_api_version(e));
	else
		printf("engine: not reachable (%s)\n", err.msg);
	lab_engine_free(e);
	return 0;
}
