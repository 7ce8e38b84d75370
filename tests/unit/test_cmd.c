/* The command layer's option parsing: one parse for every command, from
 * the command's own entry. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "../../labctl/cmd/cmd.h"

/* "NAME=V1|V2" expectations are checked with cmd_opt_all. */
struct parse_case {
	const struct cmd_entry *entry;
	const char *argv[12];
	const char *error;  /* expected message, or NULL */
	int help;
	const char *pos;    /* positionals joined by ' ' */
	const char *rest;   /* after "--", joined by ' ' */
	const char *opts[3]; /* "name=v1|v2": every value of the option */
};

static const struct parse_case parse_cases[] = {
	{&cmd_logs_entry, {"logs", "lab", "svc", "-F", "-n", "5"}, NULL, 0, "lab svc", "", {"follow=1", "tail=5"}},
	{&cmd_logs_entry, {"logs", "-f", "x.yml", "svc", "--tail=3"}, NULL, 0, "svc", "", {"file=x.yml", "tail=3"}},
	{&cmd_exec_entry, {"exec", "lab", "svc", "-eA=1", "--env", "B=2", "--", "sh", "-c", "x"}, NULL, 0, "lab svc",
	 "sh -c x", {"env=A=1|B=2"}},
	{&cmd_exec_entry, {"exec", "lab", "svc", "--", "--help"}, NULL, 0, "lab svc", "--help", {"env="}},
	{&cmd_down_entry, {"down", "-t5", "lab", "-t", "7"}, NULL, 0, "lab", "", {"timeout=5|7"}},
	{&cmd_verify_entry, {"verify", "lab", "--only", "a,b", "--only=c"}, NULL, 0, "lab", "", {"only=a,b|c"}},
	{&cmd_up_entry, {"up", "lab", "--help", "--nope"}, NULL, 1, "lab", "", {"json="}},
	{&cmd_up_entry, {"up", "-h"}, NULL, 1, "", "", {"build="}},
	{&cmd_up_entry, {"up", "--nope", "--help"}, "unknown option '--nope'", 0, NULL, NULL, {NULL}},
	{&cmd_up_entry, {"up", "-x"}, "unknown option '-x'", 0, NULL, NULL, {NULL}},
	{&cmd_labs_entry, {"labs", "--json=yes"}, "option '--json' takes no value", 0, NULL, NULL, {NULL}},
	{&cmd_exec_entry, {"exec", "lab", "svc", "-e"}, "option '--env' needs a value (KEY=VALUE)", 0, NULL, NULL,
	 {NULL}},
	{&cmd_version_entry, {"version", "--file", "x"}, "unknown option '--file'", 0, NULL, NULL, {NULL}},
	/* -F is --follow only where there is one */
	{&cmd_status_entry, {"status", "-F"}, "unknown option '-F'", 0, NULL, NULL, {NULL}},
};

static char *join(const struct lab_strv *sv, const char *sep)
{
	struct lab_buf b = LAB_BUF_INIT;
	for (size_t i = 0; i < sv->n; i++)
		lab_buf_printf(&b, "%s%s", i ? sep : "", sv->v[i]);
	return lab_buf_detach(&b);
}

Test(cmd_parse, table)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		int argc = 0;
		while (c->argv[argc])
			argc++;
		struct cmd_args args;
		struct lab_err err = {0};
		int rc = cmd_parse(&args, c->entry, argc, (char **)c->argv, &err);
		if (c->error) {
			cr_expect_eq(rc, LAB_EINPUT, "case %zu: rc %d", i, rc);
			cr_expect_str_eq(err.msg, c->error, "case %zu", i);
			cmd_args_free(&args);
			continue;
		}
		cr_expect_eq(rc, 0, "case %zu: %s", i, err.msg);
		cr_expect_eq(args.help, c->help, "case %zu: help", i);
		char *pos = join(&args.pos, " "), *rest = join(&args.rest, " ");
		cr_expect_str_eq(pos, c->pos, "case %zu: positionals", i);
		cr_expect_str_eq(rest, c->rest, "case %zu: after --", i);
		free(pos);
		free(rest);
		for (size_t k = 0; k < 3 && c->opts[k]; k++) {
			const char *eq = strchr(c->opts[k], '=');
			char *name = strndup(c->opts[k], (size_t)(eq - c->opts[k]));
			char *all = join(cmd_opt_all(c->entry, &args, name), "|");
			cr_expect_str_eq(all, eq + 1, "case %zu: every value of --%s", i, name);
			const char *last = strrchr(eq + 1, '|');
			const char *want = *(eq + 1) ? (last ? last + 1 : eq + 1) : NULL;
			const char *got = cmd_opt(c->entry, &args, name);
			if (want)
				cr_expect(got && strcmp(got, want) == 0, "case %zu: --%s is the last value given: %s", i, name,
					  got ? got : "(null)");
			else
				cr_expect_null(got, "case %zu: --%s not given", i, name);
			free(all);
			free(name);
		}
		cmd_args_free(&args);
	}
}

/* Repeated values are kept whole and apart, however long (they were cut
 * at 4 KiB in one static buffer, joined by newlines). */
Test(cmd_parse, repeated_values_are_unbounded)
{
	char *a = malloc(10000), *b = malloc(10000);
	memset(a, 'x', 9999);
	memset(b, 'y', 9999);
	memcpy(a, "A=", 2);
	memcpy(b, "B=line1\nline2", 13);
	a[9999] = b[9999] = '\0';
	char *argv[] = {"exec", "lab", "svc", "-e", a, "--env", b, "-e", "C=3", NULL};
	struct cmd_args args;
	struct lab_err err = {0};
	cr_assert_eq(cmd_parse(&args, &cmd_exec_entry, 9, argv, &err), 0, "%s", err.msg);
	const struct lab_strv *env = cmd_opt_all(&cmd_exec_entry, &args, "env");
	cr_assert_eq(env->n, 3);
	cr_expect_str_eq(env->v[0], a);
	cr_expect_str_eq(env->v[1], b, "a value keeps its newline");
	cr_expect_str_eq(env->v[2], "C=3");
	cmd_args_free(&args);
	free(a);
	free(b);
}

/* Build output worth its own line off a terminal: Maven's "mirror" lines
 * were shown as errors when any "rror" counted. */
Test(cmd_image, milestones_and_errors_but_not_mirrors)
{
	static const struct {
		const char *line;
		int want;
	} cases[] = {
		{"Step 3/12 : RUN apt-get update", 1},
		{"Successfully tagged labctl/jre:17", 1},
		{"a1b2c3: Pull complete", 1},
		{"ERROR: could not resolve org.apache.spark:spark-sql-kafka", 1},
		{"npm error code E404", 1},
		{"[ERROR] Failed to execute goal", 1},
		{"There were errors: 2", 1},
		{"E: Unable to locate package nosuch", 1},
		{"<settings><mirrors><mirror><id>labctl</id><mirrorOf>*</mirrorOf></mirror></mirrors></settings>", 0},
		{"Downloading from labctl mirror: https://repo1.maven.org/maven2/x.pom", 0},
		{"errorprone-annotations-2.36.0.jar", 0},
		{"Get:1 http://deb.debian.org/debian bookworm InRelease", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(cmd_image_milestone(cases[i].line), cases[i].want, "%s", cases[i].line);
}
