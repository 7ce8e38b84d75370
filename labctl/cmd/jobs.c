/* labctl jobs LAB: list the lab's jobs. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

static int cmd_jobs(const struct cmd_entry *cmd, struct cmd_args *args);

const struct cmd_entry cmd_jobs_entry = {
	.name = "jobs",
	.opts = cmd_lab_file_opts,
	.usage = "LAB | -f FILE",
	.summary = "list the lab's jobs",
	.fn = cmd_jobs,
};

static int cmd_jobs(const struct cmd_entry *cmd, struct cmd_args *args)
{
	int code = 0;
	struct lab *lab = NULL;
	if ((code = cmd_lab_arg(cmd, args, 0, &lab)))
		goto out;
	if (!lab->n_jobs) {
		fprintf(stderr, "lab '%s' has no jobs\n", lab->project);
		goto out;
	}
	printf("%-12s %-18s %-10s %-9s %-18s %s\n", "JOB", "BINARY/SCRIPT", "ON", "REPLICAS", "DATASETS", "DESCRIPTION");
	for (size_t i = 0; i < lab->n_jobs; i++) {
		const struct lab_job *j = &lab->jobs[i];
		const struct lab_service *s = lab_find_service(lab, j->service);
		char reps[16];
		snprintf(reps, sizeof(reps), "%d", j->replicas ? j->replicas : s ? s->replicas : 0);
		struct lab_buf ds = LAB_BUF_INIT;
		for (size_t d = 0; d < j->datasets.n; d++)
			lab_buf_printf(&ds, "%s%s", d ? "," : "", j->datasets.v[d]);
		const char *script = j->script ? strrchr(j->script, '/') : NULL;
		printf("%-12s %-18s %-10s %-9s %-18s %s\n", j->name, j->binary ? j->binary : script ? script + 1 : "?",
		       j->service, reps,
		       ds.len ? lab_buf_cstr(&ds) : "-", j->description ? j->description : "");
		lab_buf_release(&ds);
	}
out:
	lab_free(lab);
	return code;
}
