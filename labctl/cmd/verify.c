/* labctl verify: run the lab's checks against the running lab and report
 * them (human, JSON, TAP or JUnit XML). Exit 0 when every check passed,
 * 1 when one did not, 2 for a bad lab file or usage, 3 when the engine
 * cannot be reached. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../verify/registry.h"
#include "../verify/verify.h"
#include "cmd.h"

static int cmd_verify(const struct cmd_entry *cmd, struct cmd_args *args);
static char *help_description(const struct cmd_entry *self);

static const struct cmd_opt verify_opts[] = {
	CMD_OPT_FILE,
	CMD_OPT_PROJECT,
	{"format", 0, "FORMAT", "human (default), json, tap or junit"},
	{"only", 0, "ID[,ID...]", "run only these checks (may be repeated)"},
	CMD_OPT_STUDENT,
	{"hash", 0, "VALUE", "print the equals_hash of VALUE for this lab's key and exit"},
	CMD_OPT_END,
};

const struct cmd_entry cmd_verify_entry = {
	.name = "verify",
	.opts = verify_opts,
	.usage = "LAB | -f FILE [--format human|json|tap|junit] [--only ID]",
	.summary = "run the lab's checks against the running lab: what is left to do",
	/* help_description puts a paragraph naming the check kinds before this */
	.description = "Prints one line per check and the hint under a failure, then\n"
		       "'N passed, M failed' (', K skipped': checks whose skip_unless query\n"
		       "was not true); --format json, tap or junit for tools.\n"
		       "params: take $LAB_STUDENT (or --student); equals_hash answers use the key\n"
		       "$LABCTL_VERIFY_KEY, else lab.seed (--hash VALUE prints one).\n"
		       "Exit 0 when all passed or were skipped, 1 when one failed, errored or\n"
		       "timed out, 2 for a bad lab file, 3 when the engine cannot be reached.",
	.describe = help_description,
	.fn = cmd_verify,
};

/* The locale's charset is UTF-8 (LC_ALL, else LC_CTYPE, else LANG). */
static int utf8_locale(void)
{
	const char *vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
	for (int i = 0; i < 3; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return strcasestr(v, "utf-8") || strcasestr(v, "utf8");
	}
	return 0;
}

/* --only a,b --only c -> [a, b, c] */
static void split_only(struct lab_strv *out, const char *s)
{
	char *copy = lab_xstrdup(s), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (*t)
			lab_strv_push(out, t);
	free(copy);
}

/* The help's description (the entry's describe): a first paragraph naming
 * the check kinds of the registry, filled to 70 columns, then the entry's
 * description. New string. */
static char *help_description(const struct cmd_entry *self)
{
	const char *rest = self->description;
	char *kinds = lab_check_kind_list("");
	char *text = lab_xasprintf("Runs every check under the lab's checks: (%s) at once, each within its timeout, "
				   "against the running lab.",
				   kinds);
	struct lab_buf b = LAB_BUF_INIT;
	size_t col = 0;
	char *save = NULL;
	for (char *w = strtok_r(text, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		size_t len = strlen(w);
		if (col && col + 1 + len > 70) {
			lab_buf_puts(&b, "\n");
			col = 0;
		} else if (col) {
			lab_buf_puts(&b, " ");
			col++;
		}
		lab_buf_puts(&b, w);
		col += len;
	}
	lab_buf_printf(&b, "\n%s", rest ? rest : "");
	free(kinds);
	free(text);
	return lab_buf_detach(&b);
}

/* A hint's commands name the lab (labctl exec module0 ...); for an
 * instance chosen with --student, not $LAB_STUDENT, they would reach the
 * lab itself: say how to reach the instance. */
static void hints_note(const struct cmd_entry *cmd, const struct cmd_args *args, const struct lab_verify_result *res,
		       size_t n)
{
	const char *id = cmd_opt(cmd, args, "student");
	const char *env = getenv("LAB_STUDENT");
	if (!id || (env && strcmp(env, id) == 0))
		return;
	for (size_t i = 0; i < n; i++)
		if (res[i].check->hint && res[i].status != LAB_VERIFY_PASSED && res[i].status != LAB_VERIFY_SKIPPED) {
			fprintf(stderr,
				"note: the hints' labctl commands name the lab; for student '%s' add --student %s to "
				"them, or export LAB_STUDENT=%s first\n",
				id, id, id);
			return;
		}
}

static int cmd_verify(const struct cmd_entry *cmd, struct cmd_args *args)
{
	int code = 0;
	struct lab *lab = NULL;
	struct lab_engine *engine = NULL;
	struct lab_verify_result *res = NULL;
	struct lab_strv only = LAB_STRV_INIT;
	struct lab_buf out = LAB_BUF_INIT;
	struct lab_err err = {0};
	size_t n = 0, abandoned = 0;
	enum lab_verify_format fmt = LAB_VERIFY_HUMAN;
	const char *f = cmd_opt(cmd, args, "format");
	if (f && lab_verify_parse_format(&fmt, f) < 0) {
		code = cmd_usage_error(cmd, "unknown format '%s' (human, json, tap, junit)", f);
		goto out;
	}
	const struct lab_strv *only_args = cmd_opt_all(cmd, args, "only");
	for (size_t i = 0; i < only_args->n; i++)
		split_only(&only, only_args->v[i]);
	code = cmd_lab_arg(cmd, args, 0, &lab);
	if (code)
		goto out;
	const char *env_key = getenv("LABCTL_VERIFY_KEY");
	const char *key = env_key && *env_key ? env_key : lab->seed;
	if (cmd_opt(cmd, args, "hash")) {
		if (!key || !*key) {
			fprintf(stderr, "labctl: lab '%s' has no 'lab.seed' and LABCTL_VERIFY_KEY is not set: no key to "
					"hash with\n", lab->project);
			code = LAB_EXIT_USAGE;
			goto out;
		}
		char *h = lab_verify_hash(key, cmd_opt(cmd, args, "hash"));
		printf("%s\n", h);
		free(h);
		goto out;
	}
	if (lab->n_checks == 0)
		fprintf(stderr, "labctl: lab '%s' has no checks\n", lab->project);
	code = cmd_open_engine(&engine);
	if (code)
		goto out;
	if (lab_verify_run(&res, &n, &abandoned, lab, engine, &only, key, &err) < 0) {
		code = cmd_fail(&err);
		goto out;
	}
	lab_verify_format(&out, fmt, res, n, lab->project, lab->student, utf8_locale());
	fputs(lab_buf_cstr(&out), stdout);
	if (fmt == LAB_VERIFY_HUMAN)
		hints_note(cmd, args, res, n);
	code = lab_verify_failures(res, n) ? LAB_EXIT_FAIL : LAB_EXIT_OK;
	if (abandoned) {
		/* threads of timed-out checks still use the lab and the engine:
		   leave now rather than free what they use */
		fflush(stderr);
		_exit(cmd_finish(code));
	}
out:
	lab_buf_release(&out);
	lab_verify_results_free(res, n);
	lab_strv_free(&only);
	lab_engine_free(engine);
	lab_free(lab);
	return code;
}
