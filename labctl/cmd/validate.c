/* labctl validate: load and check a lab or compose file; no engine call. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"

static int cmd_validate(const struct cmd_entry *cmd, struct cmd_args *args);

static const struct cmd_opt validate_opts[] = {
	CMD_OPT_FILE,
	CMD_OPT_PROJECT,
	CMD_OPT_PROFILE,
	CMD_OPT_ENV_FILE,
	{"print", 0, NULL, "print the resolved model instead of the summary (labctl config)"},
	CMD_OPT_END,
};

const struct cmd_entry cmd_validate_entry = {
	.name = "validate",
	.opts = validate_opts,
	.usage = "LAB | -f FILE [--print]",
	.summary = "check a lab or compose file without touching the engine",
	.description = "Loads the file, its includes and .env, interpolates variables and checks\n"
		       "everything up would need. Every problem is printed as path:line:col:\n"
		       "message. Exit 0 when valid, 2 when not. --print prints the resolved\n"
		       "model instead, as YAML (the same as labctl config).",
	.fn = cmd_validate,
};

static int cmd_validate(const struct cmd_entry *cmd, struct cmd_args *args)
{
	int code = 0;
	struct lab *lab = NULL;
	code = cmd_lab_arg(cmd, args, 0, &lab);
	if (code)
		goto out;
	if (cmd_opt(cmd, args, "print")) {
		code = cmd_config_print(lab, "yaml");
		goto out;
	}
	size_t containers = 0;
	for (size_t i = 0; i < lab->n_services; i++)
		containers += (size_t)lab->services[i].replicas;
	printf("%s: ok: lab '%s', %zu service%s (%zu container%s), %zu volume%s, %zu network%s\n", lab->path,
	       lab->project, lab->n_services, lab->n_services == 1 ? "" : "s", containers, containers == 1 ? "" : "s",
	       lab->n_volumes, lab->n_volumes == 1 ? "" : "s", lab->n_networks, lab->n_networks == 1 ? "" : "s");
	for (size_t i = 0; i < lab->disabled.n; i++)
		printf("%s: service '%s' is left out: none of its profiles is active (--profile)\n", lab->path,
		       lab->disabled.v[i]);
out:
	lab_free(lab);
	return code;
}
