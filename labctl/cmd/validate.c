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
	code = cmd_lab_arg(cmd, &args, 0, &lab);
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
	cmd_args_free(&args);
	return code;
}
