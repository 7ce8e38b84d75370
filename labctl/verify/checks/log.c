/* log checks: a line of a service's log (replica 1, stdout and stderr)
 * matches a POSIX extended regex. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"

struct log_conf {
	char *regex;             /* POSIX ERE a log line must match */
};

static const char *const log_keys[] = {"service", "regex", NULL};

static void parse_log(struct lab_check *c, struct lab_ld *L, const struct lab_node *m)
{
	struct log_conf *g = lab_xcalloc(1, sizeof(*g));
	c->conf = g;
	c->service = lab_ld_check_service(L, c, m, NULL, 1);
	lab_ld_check_need(L, c, m, "regex", "a POSIX extended regex a log line must match");
	g->regex = lab_ld_opt_str(L, m, "regex");
	lab_ld_check_regex(L, m, "regex");
}

static void free_log(void *conf)
{
	struct log_conf *g = conf;
	if (!g)
		return;
	free(g->regex);
	free(g);
}

struct log_scan {
	regex_t re;
	struct lab_buf line;
	char *match;
};

static int log_line(struct log_scan *ls)
{
	if (!ls->match && regexec(&ls->re, lab_buf_cstr(&ls->line), 0, NULL, 0) == 0)
		ls->match = lab_xstrdup(lab_buf_cstr(&ls->line));
	lab_buf_reset(&ls->line);
	return ls->match != NULL;
}

static int log_chunk(int stream, const char *data, size_t len, void *ud)
{
	struct log_scan *ls = ud;
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n') {
			if (log_line(ls))
				return 1;
		} else if (ls->line.len < 64 * 1024) {
			lab_buf_append(&ls->line, &data[i], 1);
		}
	}
	return 0;
}

static void run_log(struct lab_check_ctx *x)
{
	const struct lab_check *c = x->check;
	const struct log_conf *g = c->conf;
	struct log_scan ls = {.match = NULL};
	struct lab_err err = {0};
	lab_buf_init(&ls.line, 0);
	const char *id = x->container(x, c->service);
	if (!id)
		return;
	if (regcomp(&ls.re, g->regex, REG_EXTENDED | REG_NOSUB) != 0) {
		lab_check_outcome(x, LAB_VERIFY_ERROR, "invalid regex '%s'", g->regex);
		return;
	}
	x->expected = lab_xasprintf("a log line matches '%s'", g->regex);
	int rc = lab_engine_logs(x->e, id, -1, 0, log_chunk, &ls, &err);
	if (!ls.match && ls.line.len)
		log_line(&ls);
	if (ls.match) {
		x->observed = ls.match;
		ls.match = NULL;
	} else if (rc < 0) {
		lab_check_outcome(x, LAB_VERIFY_ERROR, "%s", err.msg);
	} else {
		x->observed = lab_xstrdup("no matching line");
		lab_check_outcome(x, LAB_VERIFY_FAILED, "no log line of service '%s' matches '%s'", c->service, g->regex);
	}
	regfree(&ls.re);
	lab_buf_release(&ls.line);
}

const struct lab_check_kind lab_check_log = {"log", log_keys, parse_log, free_log, run_log};
