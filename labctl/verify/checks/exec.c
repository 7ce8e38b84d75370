/* exec checks: run a command in a service's container (replica 1) and
 * compare its exit code, that a line of stdout matches a regex, and stdout
 * against equals / equals_hash. A timed-out exec keeps running in its
 * container. */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"

#define STDOUT_MAX (1u << 20)

struct exec_conf {
	struct lab_strv command; /* a string is run with sh -c */
	int exit_code;           /* expected, default 0 */
	char *stdout_regex;      /* POSIX ERE a line of stdout must match, or NULL */
};

static const char *const exec_keys[] = {"service", "command", "exit_code", "stdout", "equals", "equals_hash",
					NULL};

static void parse_exec(struct lab_check *c, struct lab_ld *L, const struct lab_node *m)
{
	struct exec_conf *cmd = lab_xcalloc(1, sizeof(*cmd));
	const struct lab_node *x;
	long v = 0;
	c->conf = cmd;
	c->service = lab_ld_check_service(L, c, m, NULL, 1);
	lab_ld_check_need(L, c, m, "command", "a string (run with sh -c) or a list");
	if ((x = lab_node_get(m, "command"))) {
		if (x->kind == LAB_NODE_SCALAR && lab_ld_str(L, x, "command")) {
			lab_strv_push(&cmd->command, "sh");
			lab_strv_push(&cmd->command, "-c");
			lab_strv_push(&cmd->command, x->text);
		} else if (x->kind != LAB_NODE_SCALAR) {
			lab_ld_strlist(L, x, "command", 0, &cmd->command);
		}
	}
	lab_ld_opt_long(L, m, "exit_code", &v, 0);
	cmd->exit_code = (int)v;
	cmd->stdout_regex = lab_ld_opt_str(L, m, "stdout");
	lab_ld_check_regex(L, m, "stdout");
	lab_ld_check_expect(L, m, &c->expect, "equals", NULL, NULL);
}

static void free_exec(void *conf)
{
	struct exec_conf *cmd = conf;
	if (!cmd)
		return;
	lab_strv_free(&cmd->command);
	free(cmd->stdout_regex);
	free(cmd);
}

struct exec_out {
	struct lab_buf out, err;
};

static int exec_collect(int stream, const char *data, size_t len, void *ud)
{
	struct exec_out *o = ud;
	struct lab_buf *b = stream == 2 ? &o->err : &o->out;
	size_t room = b->max > b->len ? b->max - b->len : 0;
	lab_buf_append(b, data, len < room ? len : room);
	return 0;
}

static void run_exec(struct lab_check_ctx *x)
{
	const struct lab_check *c = x->check;
	const struct exec_conf *cmd = c->conf;
	struct exec_out o = {LAB_BUF_INIT, LAB_BUF_INIT};
	struct lab_err err = {0};
	regex_t re;
	int have_re = 0, code = -1;
	lab_buf_init(&o.out, STDOUT_MAX);
	lab_buf_init(&o.err, 4096);
	const char *id = x->container(x, c->service);
	if (!id)
		goto out;
	if (lab_engine_exec(x->e, id, cmd->command.v, NULL, NULL, NULL, exec_collect, &o, &code, &err) < 0) {
		lab_check_outcome(x, LAB_VERIFY_ERROR, "%s", err.msg);
		goto out;
	}
	const char *so = lab_buf_cstr(&o.out);
	x->observed = lab_xasprintf("exit %d: %s", code, so);
	{
		struct lab_buf w = LAB_BUF_INIT;
		lab_buf_printf(&w, "exit %d", cmd->exit_code);
		if (cmd->stdout_regex)
			lab_buf_printf(&w, ", a stdout line matches '%s'", cmd->stdout_regex);
		x->expected = lab_buf_detach(&w);
	}
	if (code != cmd->exit_code) {
		const char *se = lab_buf_cstr(&o.err);
		lab_check_outcome(x, LAB_VERIFY_FAILED, "exit code %d, want %d%s%s", code, cmd->exit_code, *se ? ": " : "", se);
		goto out;
	}
	if (cmd->stdout_regex) {
		if (regcomp(&re, cmd->stdout_regex, REG_EXTENDED | REG_NOSUB | REG_NEWLINE) != 0) {
			lab_check_outcome(x, LAB_VERIFY_ERROR, "invalid regex '%s'", cmd->stdout_regex);
			goto out;
		}
		have_re = 1;
		if (regexec(&re, so, 0, NULL, 0) != 0)
			lab_check_outcome(x, LAB_VERIFY_FAILED, "no line of stdout matches '%s'", cmd->stdout_regex);
	}
	if (lab_check_has_expect(&c->expect)) {
		char *prev = x->expected;
		x->expected = NULL;
		lab_check_expect(x, so, "stdout");
		lab_check_set_str(&x->expected, lab_xasprintf("%s, stdout %s", prev, x->expected));
		free(prev);
	}
out:
	if (have_re)
		regfree(&re);
	lab_buf_release(&o.out);
	lab_buf_release(&o.err);
}

const struct lab_check_kind lab_check_exec = {"exec", exec_keys, parse_exec, free_exec, run_exec};
