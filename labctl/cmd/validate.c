/* labctl validate: load and check a lab or compose file; no engine call. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"

int cmd_validate(const struct cmd *cmd, int argc, char **argv)
{
	struct cmd_args args;
	int code = cmd_parse(cmd, argc, argv, &args);
	if (code)
		return args.help ? 0 : code;
	struct lab *lab = NULL;
	char *path = NULL;
	if (args.pos.n > 1) {
		code = cmd_usage_error(cmd, "unexpected argument '%s'", args.pos.v[1]);
		goto out;
	}
	path = cmd_lab_path(args.pos.n ? args.pos.v[0] : NULL, cmd_opt(cmd, &args, "file"));
	if (!path) {
		code = LAB_EXIT_USAGE;
		goto out;
	}
	code = cmd_load_lab(&lab, path, cmd_opt(cmd, &args, "project-name"), 0);
	if (code)
		goto out;
	size_t containers = 0;
	for (size_t i = 0; i < lab->n_services; i++)
		containers += (size_t)lab->services[i].replicas;
	printf("%s: ok: lab '%s', %zu service%s (%zu container%s), %zu volume%s, %zu network%s\n", lab->path,
	       lab->project, lab->n_services, lab->n_services == 1 ? "" : "s", containers, containers == 1 ? "" : "s",
	       lab->n_volumes, lab->n_volumes == 1 ? "" : "s", lab->n_networks, lab->n_networks == 1 ? "" : "s");
out:
	lab_free(lab);
	free(path);
	cmd_args_free(&args);
	return code;
}
