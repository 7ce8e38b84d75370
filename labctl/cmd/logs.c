/* labctl logs: every container's output (or one service's), each line
 * prefixed "service-N | ". A line longer than LAB_LINE_MAX (64 KiB) is
 * printed in pieces, each on its own line; the pieces after the first are
 * prefixed "service-N + ", so memory stays bounded whatever a container
 * wrote. With --follow, one thread per container, all started or none. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/stream.h"
#include "../plan/plan.h"
#include "../util/parallel.h"
#include "cmd.h"

static int cmd_logs(const struct cmd_entry *cmd, struct cmd_args *args);

static const struct cmd_opt logs_opts[] = {
	CMD_OPT_FILE,
	CMD_OPT_PROJECT,
	CMD_OPT_STUDENT,
	{"follow", 0, NULL, "keep printing new output (also -F)"},
	{"tail", 'n', "N", "only the last N lines of each container (default: all)"},
	CMD_OPT_END,
};

const struct cmd_entry cmd_logs_entry = {
	.name = "logs",
	.opts = logs_opts,
	.usage = "LAB [SERVICE] [--follow] [--tail N]",
	.summary = "print the logs of a lab's containers",
	.description = "Each line is prefixed by the container's service and replica (\"talker-1 | \").\n"
		       "A line over 64 KiB is printed in pieces of 64 KiB, one per line; each\n"
		       "piece after the first is prefixed \"talker-1 + \" instead.",
	.fn = cmd_logs,
};

static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;

struct log_src {
	struct lab_engine *engine;
	char *id;
	char *prefix;
	long tail;
	int follow;
	struct lab_lines lines[2]; /* stdout's and stderr's line not yet printed */
	struct lab_err err;
	int rc;
};

/* Where one stream's lines go: the source and the stream. */
struct log_dest {
	struct log_src *src;
	FILE *f;
};

static int emit(const char *text, size_t len, int cont, void *ud)
{
	struct log_dest *d = ud;
	pthread_mutex_lock(&out_mu);
	fprintf(d->f, "%s %c ", d->src->prefix, cont ? '+' : '|');
	fwrite(text, 1, len, d->f);
	fputc('\n', d->f);
	if (d->src->follow)
		fflush(d->f);
	pthread_mutex_unlock(&out_mu);
	return ferror(stdout) ? 1 : 0;
}

static int on_output(int stream, const char *data, size_t len, void *ud)
{
	struct log_src *s = ud;
	struct log_dest d = {s, stream == 2 ? stderr : stdout};
	return lab_lines_feed(&s->lines[stream == 2], data, len, emit, &d);
}

static void *follow_one(void *p)
{
	struct log_src *s = p;
	lab_lines_init(&s->lines[0], 0);
	lab_lines_init(&s->lines[1], 0);
	s->rc = lab_engine_logs(s->engine, s->id, s->tail, s->follow, on_output, s, &s->err);
	struct log_dest out = {s, stdout}, errs = {s, stderr};
	lab_lines_finish(&s->lines[0], emit, &out);
	lab_lines_finish(&s->lines[1], emit, &errs);
	return NULL;
}

static int cmd_logs(const struct cmd_entry *cmd, struct cmd_args *args)
{
	int code = 0;
	struct lab_engine *engine = NULL;
	cJSON *list = NULL;
	struct log_src *srcs = NULL;
	struct lab_err err = {0};
	size_t n = 0;
	char *project = NULL;
	const char *service = NULL;
	long tail = -1;
	if ((code = cmd_service_arg(cmd, args, &service)) || (code = cmd_opt_long(cmd, args, "tail", 0, -1, &tail)))
		goto out;
	code = cmd_open_lab(cmd, args, &project, &engine, &list);
	if (code || (code = cmd_check_lab_known(cmd, args, list)) ||
	    (service && (code = cmd_check_service(cmd, args, project, list, service))))
		goto out;
	srcs = lab_xcalloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(*srcs));
	const cJSON *c;
	cJSON_ArrayForEach(c, list)
	{
		const cJSON *labels = cJSON_GetObjectItemCaseSensitive(c, "Labels");
		const char *svc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LAB_LABEL_SERVICE));
		char repbuf[16];
		const char *rep = lab_plan_replica_label(labels, repbuf);
		if (service && (!svc || strcmp(svc, service) != 0))
			continue;
		struct log_src *s = &srcs[n++];
		s->id = lab_xstrdup(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "Id")));
		s->prefix = lab_xasprintf("%s-%s", svc ? svc : "?", rep ? rep : "1");
		s->tail = tail;
		s->follow = cmd_opt(cmd, args, "follow") != NULL;
	}
	if (n == 0) {
		fprintf(stderr, "labctl: lab '%s' has no %s%s%scontainers (labctl up %s)\n", project, service ? "'" : "",
			service ? service : "", service ? "' " : "", project);
		code = LAB_EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!(srcs[i].engine = lab_engine_dup(engine))) {
			fprintf(stderr, "labctl: cannot open another connection to the engine\n");
			code = LAB_EXIT_FAIL;
			goto out;
		}
	}
	if (cmd_opt(cmd, args, "follow")) {
		/* every container at once, or none */
		if (lab_parallel_all(n, follow_one, srcs, sizeof(*srcs), &err) < 0) {
			code = cmd_fail(&err);
			goto out;
		}
	} else {
		for (size_t i = 0; i < n; i++)
			follow_one(&srcs[i]);
	}
	for (size_t i = 0; i < n; i++)
		if (srcs[i].rc < 0 && srcs[i].rc != LAB_ERR && !code)
			code = cmd_fail(&srcs[i].err);
out:
	for (size_t i = 0; i < n; i++) {
		lab_engine_free(srcs[i].engine);
		free(srcs[i].id);
		free(srcs[i].prefix);
		lab_lines_release(&srcs[i].lines[0]);
		lab_lines_release(&srcs[i].lines[1]);
	}
	free(srcs);
	cJSON_Delete(list);
	free(project);
	lab_engine_free(engine);
	return code;
}
