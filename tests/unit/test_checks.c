/* Unit tests of the check registry (labctl/verify/registry.h) and of the
 * check kinds' parse (labctl/verify/checks/<kind>.c) through the loader:
 * the table is complete and consistent, what lists kinds lists the table,
 * and every kind's diagnostics carry file:line:col. No engine. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../labctl/cmd/cmd.h"
#include "../../labctl/verify/check.h"

/* Each test that loads runs in its own temporary directory, so that marks
 * read "lab.yml:7:5". */
static char tdir[PATH_MAX];

static void tdir_setup(void)
{
	snprintf(tdir, sizeof(tdir), "/tmp/labchecks-XXXXXX");
	cr_assert(mkdtemp(tdir));
	cr_assert(chdir(tdir) == 0);
}

static void tdir_teardown(void)
{
	unlink("lab.yml");
	if (chdir("/") == 0)
		rmdir(tdir);
}

/* Services with each probe a check kind may default to. */
static const char *const services = "services:\n"
				    "  db: { image: x, x-ready: { postgres: 5432 } }\n"
				    "  kafka: { image: x, x-ready: { kafka: 9092 } }\n"
				    "  store: { image: x, x-ready: { s3: { port: 9000, access_key: a, secret_key: s } } }\n"
				    "  box: { image: x }\n"
				    "checks:\n"; /* the first check is on line 7 */

/* Load lab.yml made of head and body; *lab on success, else err. */
static int load(struct lab **lab, const char *head, const char *body, struct lab_err *err)
{
	FILE *f = fopen("lab.yml", "w");
	cr_assert(f);
	fprintf(f, "%s%s", head, body);
	fclose(f);
	memset(err, 0, sizeof(*err));
	*lab = NULL;
	return lab_load(lab, "lab.yml", NULL, err);
}

/* ---- the table ---- */

Test(check_registry, every_kind_is_complete)
{
	cr_assert_gt(lab_check_n_kinds, 0);
	for (size_t i = 0; i < lab_check_n_kinds; i++) {
		const struct lab_check_kind *k = lab_check_kinds[i];
		cr_assert_not_null(k, "row %zu", i);
		cr_assert_not_null(k->name, "row %zu has no name", i);
		cr_expect(*k->name, "row %zu: empty name", i);
		for (const char *p = k->name; *p; p++)
			cr_expect(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_',
				  "kind '%s': a name is a YAML key of [a-z0-9_]", k->name);
		cr_expect_not_null(k->parse, "kind '%s' has no parse", k->name);
		cr_expect_not_null(k->free, "kind '%s' has no free", k->name);
		cr_expect_not_null(k->run, "kind '%s' has no run", k->name);
		cr_assert_not_null(k->keys, "kind '%s' has no keys", k->name);
		size_t n = 0;
		while (n < 64 && k->keys[n])
			n++;
		cr_expect_lt(n, 64, "kind '%s': keys not NULL-terminated", k->name);
		cr_expect_gt(n, 0, "kind '%s' accepts no key", k->name);
		for (size_t a = 0; a < n; a++)
			for (size_t b = a + 1; b < n; b++)
				cr_expect_str_neq(k->keys[a], k->keys[b], "kind '%s' lists key '%s' twice", k->name,
						  k->keys[a]);
		cr_expect_eq(lab_check_kind_find(k->name), k, "lab_check_kind_find('%s')", k->name);
	}
	cr_expect_null(lab_check_kind_find("no-such-kind"));
}

Test(check_registry, names_are_unique_and_not_shared_keys)
{
	static const char *const shared[] = {"id", "description", "hint", "timeout"};
	for (size_t i = 0; i < lab_check_n_kinds; i++) {
		const char *name = lab_check_kinds[i]->name;
		for (size_t j = i + 1; j < lab_check_n_kinds; j++)
			cr_expect_str_neq(name, lab_check_kinds[j]->name, "rows %zu and %zu are both '%s'", i, j, name);
		for (size_t s = 0; s < sizeof(shared) / sizeof(shared[0]); s++)
			cr_expect_str_neq(name, shared[s], "kind '%s' is a check's shared key", name);
	}
}

/* verify/checks/<kind>.c for every row, and a row for every file there. */
Test(check_registry, every_file_is_a_row)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(__FILE__, '/');
	snprintf(dir, sizeof(dir), "%.*s../../labctl/verify/checks", slash ? (int)(slash - __FILE__ + 1) : 0,
		 __FILE__);
	DIR *d = opendir(dir);
	cr_assert_not_null(d, "cannot open %s (run from the repository's root)", dir);
	size_t files = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 3 || strcmp(e->d_name + len - 2, ".c") != 0)
			continue;
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)(len - 2), e->d_name);
		files++;
		cr_expect_not_null(lab_check_kind_find(name), "%s/%s is not a row of the registry (verify/registry.c)",
				   dir, e->d_name);
	}
	closedir(d);
	cr_expect_eq(files, lab_check_n_kinds, "%zu files under %s, %zu rows", files, dir, lab_check_n_kinds);
}

/* "... needs exactly one of 'a', 'b'" -> the names, compared with the table. */
static void expect_kinds_listed(const char *text, const char *after, const char *quote)
{
	const char *p = strstr(text, after);
	cr_assert_not_null(p, "no '%s' in:\n%s", after, text);
	p += strlen(after);
	for (size_t i = 0; i < lab_check_n_kinds; i++) {
		const char *name = lab_check_kinds[i]->name;
		char want[128];
		snprintf(want, sizeof(want), "%s%s%s%s", i ? ", " : "", quote, name, quote);
		cr_assert(strncmp(p, want, strlen(want)) == 0, "kind %zu '%s' is not next in:\n%s", i, name, text);
		p += strlen(want);
	}
	cr_expect(*p != ',', "more kinds listed than the registry has:\n%s", text);
}

Test(check_registry, loader_message_lists_the_registry, .init = tdir_setup, .fini = tdir_teardown)
{
	static const char *const bodies[] = {
		"  - { id: a }\n",
		"  - { id: a, sql: { query: q, equals: 1 }, log: { service: box, regex: x } }\n",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct lab *lab;
		struct lab_err err;
		cr_assert_eq(load(&lab, services, bodies[i], &err), LAB_EINPUT, "%s", bodies[i]);
		cr_expect(strncmp(err.msg, "lab.yml:7:5: check 'a' needs exactly one of ", 44) == 0, "%s", err.msg);
		expect_kinds_listed(err.msg, "needs exactly one of ", "'");
	}
}

Test(check_registry, verify_help_lists_the_registry)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	cr_assert(f);
	cmd_print_help(&cmd_verify_entry, f);
	fclose(f);
	/* the paragraph is filled: line breaks are spaces */
	for (char *p = text; *p; p++)
		if (*p == '\n' && p[1] != '\n' && p > text && p[-1] != '\n')
			*p = ' ';
	expect_kinds_listed(text, "Runs every check under the lab's checks: (", "");
	cr_expect(strstr(text, " at once, each within its timeout, against the running lab. Prints one line per check"),
		  "%s", text);
	free(text);
}

/* ---- each kind's parse, through the loader ---- */

struct parse_case {
	const char *head; /* NULL: services (with every probe) */
	const char *body;
	const char *want; /* the loader's whole message */
};

static const char *const no_probes = "services:\n  box: { image: x }\nchecks:\n";

/* Messages as the loader gave them before the registry (same marks, same
 * words, did-you-mean included). */
static const struct parse_case parse_errors[] = {
	{NULL, "  - { id: a, sql: { query: 'select 1', equls: 1 } }\n",
	 "lab.yml:7:40: unknown key 'equls' (did you mean 'equals'?)"},
	{NULL, "  - { id: a, sql: { query: 'select 1', rows: [[1, a], {x: 1}] } }\n",
	 "lab.yml:7:55: expected a list of cells for a row of 'rows'"},
	{no_probes, "  - { id: a, sql: { query: 'select 1', equals: 1 } }\n",
	 "lab.yml:4:19: sql check 'a' needs 'service': no service has an x-ready postgres probe"},
	{NULL, "  - { id: a, kafka: { topic: t, max_lag: 3 } }\n", "lab.yml:7:42: 'max_lag' of check 'a' needs 'group'"},
	{NULL, "  - { id: a, kafka: { partitions: 0 } }\n",
	 "lab.yml:7:21: kafka check 'a' needs 'topic': the topic that must exist\n"
	 "lab.yml:7:35: invalid 'partitions' 0: 1 or more"},
	{no_probes, "  - { id: a, kafka: { topic: t } }\n",
	 "lab.yml:4:21: kafka check 'a' needs 'service': no service has an x-ready kafka probe"},
	{NULL, "  - { id: a, s3: { bucket: b, contains: x } }\n",
	 "lab.yml:7:18: s3 check 'a': 'contains', 'min_size' and 'equals_hash' need 'key'"},
	{NULL, "  - { id: a, s3: { bucket: b, min_size: many } }\n", "lab.yml:7:41: expected an integer for 'min_size'"},
	{no_probes, "  - { id: a, s3: { bucket: b } }\n",
	 "lab.yml:4:18: s3 check 'a' needs 'service': no service has an x-ready s3 probe"},
	{NULL, "  - { id: a, http: { service: box, path: / } }\n",
	 "lab.yml:7:20: http check 'a' needs 'url', or 'service' and 'port' (and 'path')"},
	{NULL, "  - { id: a, http: { url: \"http://x\", stauts: 200 } }\n",
	 "lab.yml:7:39: unknown key 'stauts' (did you mean 'status'?)"},
	{NULL, "  - { id: a, exec: { service: box, command: 'true', stdout: \"(\" } }\n",
	 "lab.yml:7:61: invalid regex '(' for 'stdout': Unmatched ( or \\("},
	{NULL, "  - { id: a, exec: { service: nosuch, command: [a, [b]] } }\n",
	 "lab.yml:7:31: check 'a' names unknown service 'nosuch'\n"
	 "lab.yml:7:52: expected a string for 'command'"},
	{NULL, "  - { id: a, file: { service: box } }\n",
	 "lab.yml:7:20: file check 'a' needs 'path': the file's absolute path in the container"},
	{NULL, "  - { id: a, file: { service: box, path: /x, equals_hash: \"sha:1\" } }\n",
	 "lab.yml:7:59: invalid equals_hash 'sha:1': 'hmac-sha256:' and 64 lowercase hex digits (labctl verify LAB "
	 "--hash VALUE prints it)"},
	{NULL, "  - { id: a, log: { regex: x } }\n", "lab.yml:7:19: log check 'a' needs 'service'"},
	{NULL, "  - { id: a, log: { service: box, regex: \"[\" } }\n",
	 "lab.yml:7:42: invalid regex '[' for 'regex': Invalid regular expression"},
	{NULL, "  - { id: a, sqll: { query: q } }\n", "lab.yml:7:14: unknown key 'sqll' (did you mean 'sql'?)"},
	{no_probes, "  - { id: a, skip_unless: 'select true', exec: { service: box, command: 'true' } }\n",
	 "lab.yml:4:27: check 'a' has skip_unless, a query for a service with an x-ready postgres probe; the lab has "
	 "none"},
};

Test(check_parse, errors_table, .init = tdir_setup, .fini = tdir_teardown)
{
	for (size_t i = 0; i < sizeof(parse_errors) / sizeof(parse_errors[0]); i++) {
		const struct parse_case *t = &parse_errors[i];
		struct lab *lab;
		struct lab_err err;
		int rc = load(&lab, t->head ? t->head : services, t->body, &err);
		cr_expect_eq(rc, LAB_EINPUT, "case %zu: rc %d", i, rc);
		cr_expect_null(lab, "case %zu", i);
		cr_expect_str_eq(err.msg, t->want, "case %zu:\n%s\ngot:\n%s", i, t->body, err.msg);
		lab_free(lab);
	}
}

/* Every line of msg reads "lab.yml:LINE:COL: ..."; returns how many are on line. */
static size_t marked_lines(const char *msg, int line, const char *what)
{
	size_t on_line = 0;
	for (const char *p = msg; *p;) {
		int l = 0, c = 0, used = 0;
		cr_expect(sscanf(p, "lab.yml:%d:%d: %n", &l, &c, &used) == 2 && used > 0 && l > 0 && c > 0,
			  "%s: a message without file:line:col: %s", what, p);
		on_line += l == line;
		const char *nl = strchr(p, '\n');
		p = nl ? nl + 1 : p + strlen(p);
	}
	return on_line;
}

/* For every kind of the registry and every key it accepts, a value of the
 * wrong type is reported at that value (line 9), and every message the
 * kind records carries file:line:col: a kind added later is covered
 * without a row here. */
Test(check_parse, every_kind_and_key_reports_at_the_value, .init = tdir_setup, .fini = tdir_teardown)
{
	for (size_t i = 0; i < lab_check_n_kinds; i++) {
		const struct lab_check_kind *k = lab_check_kinds[i];
		for (size_t j = 0; k->keys[j]; j++) {
			char body[512], what[128];
			snprintf(body, sizeof(body), "  - id: a\n    %s:\n      %s: {no_such_key_zz: [1]}\n", k->name,
				 k->keys[j]);
			snprintf(what, sizeof(what), "%s.%s", k->name, k->keys[j]);
			struct lab *lab;
			struct lab_err err;
			int rc = load(&lab, services, body, &err);
			cr_expect_eq(rc, LAB_EINPUT, "%s: a mapping is not a value: rc %d", what, rc);
			lab_free(lab);
			if (rc != LAB_EINPUT)
				continue;
			cr_expect_gt(marked_lines(err.msg, 9, what), 0, "%s: nothing reported on line 9:\n%s", what, err.msg);
		}
	}
}

Test(check_parse, kinds_and_default_services, .init = tdir_setup, .fini = tdir_teardown)
{
	static const struct {
		const char *body;
		const char *kind, *service;
	} t[] = {
		{"  - { id: a, sql: { query: 'select 1', equals: 1 } }\n", "sql", "db"},
		{"  - { id: a, sql: { service: box, query: 'select 1', min: 1 } }\n", "sql", "box"},
		{"  - { id: a, kafka: { topic: t } }\n", "kafka", "kafka"},
		{"  - { id: a, s3: { bucket: b } }\n", "s3", "store"},
		{"  - { id: a, http: { url: \"http://x/\" } }\n", "http", NULL},
		{"  - { id: a, http: { service: box, port: 80 } }\n", "http", "box"},
		{"  - { id: a, exec: { service: box, command: 'true' } }\n", "exec", "box"},
		{"  - { id: a, file: { service: box, path: /x } }\n", "file", "box"},
		{"  - { id: a, log: { service: db, regex: x } }\n", "log", "db"},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct lab *lab;
		struct lab_err err;
		cr_assert_eq(load(&lab, services, t[i].body, &err), 0, "case %zu: %s", i, err.msg);
		cr_assert_eq(lab->n_checks, 1);
		const struct lab_check *c = &lab->checks[0];
		cr_expect_eq(c->kind, lab_check_kind_find(t[i].kind), "case %zu: kind '%s'", i,
			     c->kind ? c->kind->name : "none");
		cr_expect_not_null(c->conf, "case %zu", i);
		if (t[i].service)
			cr_expect_str_eq(c->service ? c->service : "(null)", t[i].service, "case %zu", i);
		else
			cr_expect_null(c->service, "case %zu", i);
		cr_expect_eq(c->mark.line, 7, "case %zu", i);
		cr_expect_eq(c->mark.col, 11, "case %zu", i);
		lab_free(lab);
	}
	cr_expect_null(lab_find_service_with_probe(NULL, "postgres"));
}

Test(check_parse, skip_unless_on_any_kind, .init = tdir_setup, .fini = tdir_teardown)
{
	struct lab *lab;
	struct lab_err err;
	cr_assert_eq(load(&lab, services,
			  "  - { id: a, skip_unless: \"select to_regclass('t') is not null\", kafka: { topic: t } }\n"
			  "  - { id: b, sql: { query: 'select 1', equals: 1 } }\n",
			  &err),
		     0, "%s", err.msg);
	cr_expect_str_eq(lab->checks[0].skip_unless, "select to_regclass('t') is not null");
	cr_expect_null(lab->checks[1].skip_unless);
	lab_free(lab);
}
