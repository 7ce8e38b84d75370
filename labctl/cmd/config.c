/* labctl config: the resolved model of a lab or compose file, like
 * `docker compose config` (labctl/export/config.h); no engine call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "../export/config.h"

static int cmd_config(const struct cmd_entry *cmd, struct cmd_args *args);

static const struct cmd_opt config_opts[] = {
	CMD_OPT_FILE,
	CMD_OPT_PROJECT,
	CMD_OPT_PROFILE,
	CMD_OPT_ENV_FILE,
	{"format", 0, "FORMAT", "yaml (default) or json"},
	CMD_OPT_END,
};

const struct cmd_entry cmd_config_entry = {
	.name = "config",
	.opts = config_opts,
	.usage = "LAB | -f FILE [--format yaml|json]",
	.summary = "print the resolved model of a lab or compose file, like docker compose config",
	.description = "Loads the file like validate (-f merges, include, extends, profiles, .env and\n"
		       "--env-file, interpolation) and prints what labctl will run: name, services,\n"
		       "networks and volumes in the canonical form of docker compose config (ports,\n"
		       "volumes and depends_on in their long forms, environment as a map, paths\n"
		       "absolute, durations like 1m30s, sizes in bytes). Where labctl differs from\n"
		       "Compose it prints its own value (a port without a host address: host_ip\n"
		       "127.0.0.1). labctl's own keys (x-ready, jobs, checks, ...) are not printed.\n"
		       "Services left out by their profiles are not printed. No engine call.",
	.fn = cmd_config,
};

int cmd_config_print(const struct lab *lab, const char *format)
{
	cJSON *model = lab_config_model(lab);
	int code = 0;
	if (!strcmp(format, "json")) {
		char *s = cJSON_Print(model);
		printf("%s\n", s);
		free(s);
	} else {
		struct lab_buf out = LAB_BUF_INIT;
		struct lab_err err = {0};
		if (lab_config_yaml(model, &out, &err)) {
			fprintf(stderr, "labctl config: %s\n", err.msg);
			code = 1;
		} else {
			fwrite(out.data, 1, out.len, stdout);
		}
		lab_buf_release(&out);
	}
	cJSON_Delete(model);
	return code;
}

static int cmd_config(const struct cmd_entry *cmd, struct cmd_args *args)
{
	const char *format = cmd_opt(cmd, args, "format");
	if (!format)
		format = "yaml";
	if (strcmp(format, "yaml") && strcmp(format, "json"))
		return cmd_usage_error(cmd, "unknown format '%s' (yaml or json)", format);
	struct lab *lab = NULL;
	int code = cmd_lab_arg(cmd, args, 0, &lab);
	if (!code)
		code = cmd_config_print(lab, format);
	lab_free(lab);
	return code;
}
