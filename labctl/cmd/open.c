/* labctl open: the web UIs of a running lab (JupyterLab with its token,
 * the Spark master's UI, a service's x-ui), for a browser on this host;
 * with one UI chosen and $BROWSER set, that browser is started on it.
 * Which UI a service has: lab_probe_service_ui (labctl/probe/probe.h). */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "../endpoints/endpoints.h"
#include "cmd.h"

extern char **environ;

static int cmd_open(const struct cmd_entry *cmd, struct cmd_args *args);

static const struct cmd_opt open_opts[] = {
	CMD_OPT_FILE,
	CMD_OPT_PROJECT,
	CMD_OPT_STUDENT,
	{"print", 0, NULL, "only print the URLs, start no browser"},
	{"json", 0, NULL, "print a JSON array of {service, replica, url}"},
	CMD_OPT_END,
};

const struct cmd_entry cmd_open_entry = {
	.name = "open",
	.opts = open_opts,
	.usage = "LAB [SERVICE] [--print] [--json]",
	.summary = "print (and open) the web UIs of a running lab",
	.description = "Prints one line per web UI of the lab's running services, \"SERVICE URL\":\n"
		       "JupyterLab with its token, the Spark master's UI, a service's x-ui. A\n"
		       "service with several replicas has a line per replica (\"spark-worker-2\").\n"
		       "When exactly one UI is listed (a SERVICE given, or a lab with one UI) and\n"
		       "$BROWSER is set, labctl runs it on the URL and waits for it to return:\n"
		       "the first command of its colon-separated list, with %s replaced by the\n"
		       "URL, or the URL added as its last argument (the BROWSER convention of\n"
		       "xdg-utils and Python's webbrowser). --print starts no browser.\n"
		       "Services of every profile count (what runs is what was started).\n"
		       "A service without a UI, or not running, is exit 1; an unknown one exit 2.",
	.fn = cmd_open,
	.all_profiles = 1, /* jupyter under profile notebook, started with --profile */
};

struct ui {
	char *who;
	const char *service;
	int replica;
	char *url;
};

/* sh -c 'CMD "$1"' sh URL: CMD is $BROWSER's first entry, "%s" in it
 * becoming "$1" (the URL, never parsed by the shell). Returns the
 * browser's exit status, or -1 when it could not be started. */
static int run_browser(const char *browser, const char *url)
{
	size_t n = strcspn(browser, ":");
	struct lab_buf sh = LAB_BUF_INIT;
	const char *pct = NULL;
	for (const char *p = browser; p < browser + n; p++)
		if (p[0] == '%' && p[1] == 's') {
			pct = p;
			break;
		}
	if (pct) {
		lab_buf_append(&sh, browser, (size_t)(pct - browser));
		lab_buf_puts(&sh, "\"$1\"");
		lab_buf_append(&sh, pct + 2, (size_t)(browser + n - (pct + 2)));
	} else {
		lab_buf_append(&sh, browser, n);
		lab_buf_puts(&sh, " \"$1\"");
	}
	char *argv[] = {"sh", "-c", (char *)lab_buf_cstr(&sh), "sh", (char *)url, NULL};
	pid_t pid;
	int st = -1;
	fflush(stdout);
	if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ) == 0 && waitpid(pid, &st, 0) == pid)
		st = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	else
		st = -1;
	lab_buf_release(&sh);
	return st;
}

static int cmd_open(const struct cmd_entry *cmd, struct cmd_args *args)
{
	int code = 0;
	struct lab *lab = NULL;
	struct lab_engine *engine = NULL;
	struct lab_endpoints ep = {0};
	struct lab_err err = {0};
	struct ui *uis = NULL;
	size_t n = 0;
	const char *service = NULL;
	if ((code = cmd_service_arg(cmd, args, &service)))
		goto out;
	/* the lab without its SERVICE (cmd_lab_arg takes LAB alone) */
	struct cmd_args lab_args = *args;
	if (service)
		lab_args.pos.n--;
	if ((code = cmd_lab_arg(cmd, &lab_args, 0, &lab)))
		goto out;
	const struct lab_service *only = NULL;
	if (service) {
		only = lab_find_service(lab, service);
		if (!only) {
			const char **names = lab_xcalloc(lab->n_services + 1, sizeof(*names));
			for (size_t i = 0; i < lab->n_services; i++)
				names[i] = lab->services[i].name;
			const char *near = cmd_suggest(service, names, lab->n_services);
			fprintf(stderr, "labctl: lab '%s' has no service '%s'%s%s%s\n", lab->project, service,
				near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
			free(names);
			code = LAB_EXIT_USAGE;
			goto out;
		}
	}
	if ((code = cmd_open_engine(&engine)))
		goto out;
	if (lab_endpoints_read(&ep, lab, engine, &err) < 0) {
		code = cmd_fail(&err);
		goto out;
	}
	uis = lab_xcalloc(1, sizeof(*uis));
	for (size_t i = 0; i < lab->n_services; i++) {
		const struct lab_service *s = &lab->services[i];
		if (only && s != only)
			continue;
		for (int r = 1; r <= s->replicas; r++) {
			const cJSON *c = lab_endpoints_container(&ep, s->name, r);
			char *url = NULL;
			if (!c || !lab_endpoints_running(c) || lab_endpoints_ui(&url, &ep, s, r) < 0)
				continue;
			uis = lab_xrealloc(uis, (n + 1) * sizeof(*uis));
			uis[n++] = (struct ui){s->replicas > 1 ? lab_xasprintf("%s-%d", s->name, r) : lab_xstrdup(s->name),
					       s->name, r, url};
		}
	}
	if (cmd_opt(cmd, args, "json")) {
		cJSON *arr = cJSON_CreateArray();
		for (size_t i = 0; i < n; i++) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "service", uis[i].service);
			cJSON_AddNumberToObject(o, "replica", uis[i].replica);
			cJSON_AddStringToObject(o, "url", uis[i].url);
			cJSON_AddItemToArray(arr, o);
		}
		cmd_print_json(arr);
	} else {
		for (size_t i = 0; i < n; i++)
			printf("%-20s %s\n", uis[i].who, uis[i].url);
	}
	if (n == 0) {
		if (only)
			fprintf(stderr, "labctl: service '%s' of lab '%s' has no web UI running (labctl up %s)\n",
				only->name, lab->project, lab->project);
		else
			fprintf(stderr, "labctl: lab '%s' has no web UI running (labctl up %s)\n", lab->project,
				lab->project);
		code = LAB_EXIT_FAIL;
		goto out;
	}
	const char *browser = getenv("BROWSER");
	if (n == 1 && browser && *browser && !cmd_opt(cmd, args, "print") && !cmd_opt(cmd, args, "json")) {
		int st = run_browser(browser, uis[0].url);
		if (st != 0) {
			fprintf(stderr, "labctl: $BROWSER (%s) %s\n", browser,
				st < 0 ? "could not be started" : "failed");
			code = LAB_EXIT_FAIL;
		}
	}
out:
	for (size_t i = 0; i < n; i++) {
		free(uis[i].who);
		free(uis[i].url);
	}
	free(uis);
	lab_endpoints_release(&ep);
	lab_engine_free(engine);
	lab_free(lab);
	return code;
}
