/* x-ready log: REGEX -- a line of the container's log (stdout or stderr,
 * the last 1000 lines) matches the POSIX extended regular expression. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "../lab/lab_private.h"
#include "probe.h"

struct log_cfg {
	char *regex;
};

static void log_parse(void **cfg, struct lab_ld *L, const struct lab_node *n)
{
	const char *re = lab_ld_str(L, n, "log");
	regex_t rx;
	int rc;
	if (!re)
		return;
	if ((rc = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB)) != 0) {
		char buf[256];
		regerror(rc, &rx, buf, sizeof(buf));
		lab_ld_diag(L, &n->mark, "invalid regular expression '%s' for 'log': %s", re, buf);
		return;
	}
	regfree(&rx);
	struct log_cfg *c = lab_xcalloc(1, sizeof(*c));
	c->regex = lab_xstrdup(re);
	*cfg = c;
}

static void log_free(void *cfg)
{
	struct log_cfg *c = cfg;
	if (!c)
		return;
	free(c->regex);
	free(c);
}

static int log_port(const void *cfg)
{
	return 0;
}

struct log_match {
	regex_t re;
	struct lab_buf line;
	int matched;
	char last[121]; /* the start of the last non-empty line read: what the probe last saw */
};

static int log_line_check(struct log_match *lm)
{
	if (regexec(&lm->re, lab_buf_cstr(&lm->line), 0, NULL, 0) == 0)
		lm->matched = 1;
	if (lm->line.len) {
		/* printable only: a log line may hold escapes and '\r' */
		size_t k = 0;
		for (size_t i = 0; i < lm->line.len && k < sizeof(lm->last) - 1; i++) {
			unsigned char ch = (unsigned char)lm->line.data[i];
			lm->last[k++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
		}
		while (k && lm->last[k - 1] == ' ')
			k--;
		lm->last[k] = '\0';
	}
	lab_buf_reset(&lm->line);
	return lm->matched;
}

static int log_chunk(int stream, const char *data, size_t len, void *ud)
{
	struct log_match *lm = ud;
	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n') {
			if (log_line_check(lm))
				return 1;
		} else if (lm->line.len < 64 * 1024) {
			lab_buf_append(&lm->line, &data[i], 1);
		}
	}
	return 0;
}

static int log_run(const void *cfg, const struct lab_probe_target *t, struct lab_err *why)
{
	const struct log_cfg *c = cfg;
	struct log_match lm = {.matched = 0};
	lab_buf_init(&lm.line, 0);
	int rc = regcomp(&lm.re, c->regex, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		char msg[256];
		regerror(rc, &lm.re, msg, sizeof(msg));
		return lab_err_set(why, LAB_EINPUT, "invalid log regex '%s': %s", c->regex, msg);
	}
	struct lab_err lerr = {0};
	rc = lab_engine_logs(t->engine, t->container_id, 1000, 0, log_chunk, &lm, &lerr);
	if (!lm.matched && lm.line.len)
		log_line_check(&lm);
	if (lm.matched)
		rc = 0;
	else if (rc < 0 && rc != LAB_ERR)
		rc = lab_err_set(why, rc, "%s", lerr.msg);
	else if (lm.last[0])
		rc = lab_err_set(why, LAB_ERR, "no log line matches '%s' yet; last: %s", c->regex, lm.last);
	else
		rc = lab_err_set(why, LAB_ERR, "no log line matches '%s' yet (no output)", c->regex);
	regfree(&lm.re);
	lab_buf_release(&lm.line);
	return rc;
}

const struct lab_probe_kind lab_probe_log = {
	.name = "log",
	.keys = NULL,
	.parse = log_parse,
	.free = log_free,
	.port = log_port,
	.run = log_run,
	.compose_test = NULL, /* a healthcheck cannot read the container's own log */
	.client_env = NULL,
};
