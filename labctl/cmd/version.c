/* labctl version: our version, and the engine's when one answers. */
#include <stdio.h>

#include "cmd.h"

int cmd_version(const struct cmd *cmd, int argc, char **argv)
{
	struct cmd_args args;
	int code = cmd_parse(cmd, argc, argv, &args);
	if (code)
		return args.help ? 0 : code;
	printf("labctl %s (Docker Engine API %s..%s)\n", LABCTL_VERSION, LAB_ENGINE_API_MIN, LAB_ENGINE_API_MAX);
	struct lab_engine *e = NULL;
	struct lab_err err = {0};
	if (lab_engine_open(&e, NULL, &err) == 0)
		printf("engine: %s, API %s\n", lab_engine_host(e), lab_engine_api_version(e));
	else
		printf("engine: not reachable (%s)\n", err.msg);
	lab_engine_free(e);
	cmd_args_free(&args);
	return 0;
}
