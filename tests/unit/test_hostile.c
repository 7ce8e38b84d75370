/* Hostile lab files (issue 11, "Hostile input: found by hand and by a
 * fuzzer"): each finding -> the error or limit it must now hit. Behaviour
 * only, never timings: the timings are bench/hostile.sh's. Each test runs
 * in a fresh temporary directory it chdirs into, so marks read
 * "lab.yml:3:5". (No .timeout: Criterion 2.4 leaks in its runner when two
 * tests with timeouts run at once under --jobs 2.) */

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../labctl/engine/context.h"
#include "../../labctl/lab/lab.h"
#include "../../labctl/lab/lab_private.h"
#include "../../labctl/util/index.h"
#include "../../labctl/util/state.h"

static char th_dir[PATH_MAX];

static void th_setup(void)
{
	snprintf(th_dir, sizeof(th_dir), "/tmp/labhostile-XXXXXX");
	cr_assert(mkdtemp(th_dir));
	cr_assert(chdir(th_dir) == 0);
	unsetenv("LAB_STUDENT");
}

static int th_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void th_teardown(void)
{
	if (chdir("/") == 0 && th_dir[0])
		nftw(th_dir, th_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static void th_write_n(const char *rel, const char *content, size_t len)
{
	FILE *f = fopen(rel, "w");
	cr_assert(f, "cannot write %s", rel);
	cr_assert_eq(fwrite(content, 1, len, f), len);
	fclose(f);
}

static void th_write(const char *rel, const char *content)
{
	th_write_n(rel, content, strlen(content));
}

/* rel: n bytes of '#' (a YAML comment, and not a KEY=VALUE line). */
static void th_write_big(const char *rel, size_t n)
{
	char *big = lab_xmalloc(n);
	memset(big, '#', n);
	th_write_n(rel, big, n);
	free(big);
}

/* Load lab.yml holding yaml; err filled, *out NULL on failure. */
static int th_load(struct lab **out, const char *yaml, const struct lab_load_opts *opts, struct lab_err *err)
{
	th_write("lab.yml", yaml);
	memset(err, 0, sizeof(*err));
	*out = NULL;
	return lab_load(out, "lab.yml", opts, err);
}

/* The same for a buffer (NUL-free). */
static int th_load_buf(struct lab **out, struct lab_buf *b, struct lab_err *err)
{
	int rc = th_load(out, lab_buf_cstr(b), NULL, err);
	lab_buf_release(b);
	return rc;
}

/* Load lab.yml and expect exactly the message want. */
static void th_expect_error(const char *yaml, const char *want)
{
	struct lab *lab;
	struct lab_err err;
	int rc = th_load(&lab, yaml, NULL, &err);
	cr_expect_eq(rc, LAB_EINPUT, "%s -> rc %d", yaml, rc);
	cr_expect_null(lab);
	cr_expect_str_eq(err.msg, want, "%s\ngot:\n%s", yaml, err.msg);
	lab_free(lab);
}

/* ---- path traversal: no path from an unvalidated name, nothing written
 * for a refused lab file ---- */

struct th_creds {
	int calls;
	char project[256];
};

static const char *th_cred(const char *project, const char *name, void *ud)
{
	struct th_creds *c = ud;
	c->calls++;
	snprintf(c->project, sizeof(c->project), "%s", project);
	(void)name;
	return "s3cret";
}

Test(hostile_traversal, refused_lab_never_reaches_the_credential_callback, .init = th_setup, .fini = th_teardown)
{
	static const struct {
		const char *yaml, *project, *want;
	} cases[] = {
		/* the issue's file */
		{"lab: {name: ../../escaped-dir}\ncredentials: [PW]\nservices:\n  web:\n    image: x\n"
		 "    environment: [\"P=${PW}\"]\n",
		 NULL,
		 "lab.yml:1:13: invalid lab name '../../escaped-dir': must contain only lowercase letters, digits, "
		 "'_' and '-' and start with a letter or digit"},
		{"name: ..\ncredentials: [PW]\nservices:\n  web:\n    image: \"x${PW}\"\n", NULL,
		 "lab.yml:1:7: invalid project name '..': must contain only lowercase letters, digits, '_' and '-' "
		 "and start with a letter or digit"},
		/* -p with a path in it */
		{"credentials: [PW]\nservices:\n  web:\n    image: \"x${PW}\"\n", "../../up",
		 "invalid project name '../../up': must contain only lowercase letters, digits, '_' and '-' and "
		 "start with a letter or digit"},
		/* a valid name, but the file is refused for something else */
		{"lab: {name: fine}\ncredentials: [PW]\nservices:\n  web:\n    image: \"x${PW}\"\n    imgae: y\n", NULL,
		 "lab.yml:6:5: unknown key 'imgae' (did you mean 'image'?)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct th_creds c = {0};
		struct lab_load_opts opts = {.project = cases[i].project, .credential = th_cred, .credential_ud = &c};
		struct lab *lab;
		struct lab_err err;
		int rc = th_load(&lab, cases[i].yaml, &opts, &err);
		cr_expect_eq(rc, LAB_EINPUT, "case %zu", i);
		cr_expect_str_eq(err.msg, cases[i].want, "case %zu", i);
		cr_expect_eq(c.calls, 0, "case %zu: the callback was called with project '%s'", i, c.project);
		lab_free(lab);
	}
	/* and a valid file gets its credential once, with its validated name */
	struct th_creds c = {0};
	struct lab_load_opts opts = {.credential = th_cred, .credential_ud = &c};
	struct lab *lab;
	struct lab_err err;
	int rc = th_load(&lab, "lab: {name: fine}\ncredentials: [PW]\nservices:\n  web:\n    image: \"x${PW}\"\n",
			 &opts, &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_expect_eq(c.calls, 1);
	cr_expect_str_eq(c.project, "fine");
	cr_expect_str_eq(lab->services[0].image, "xs3cret");
	lab_free(lab);
}

Test(hostile_traversal, state_paths_only_from_valid_names, .init = th_setup, .fini = th_teardown)
{
	static const char *const bad[] = {"", ".", "..", "../x", "a/b", "/abs", "-x", "_x", "A", "x y", "x\n"};
	static const char *const good[] = {"a", "0", "module3", "a_b-c", "9lives"};
	char state[PATH_MAX + 16];
	snprintf(state, sizeof(state), "%s/st/a/b", th_dir);
	setenv("LABCTL_STATE_DIR", state, 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(lab_state_name_ok(bad[i]), 0, "'%s'", bad[i]);
		cr_expect_null(lab_state_dir(bad[i]), "'%s'", bad[i]);
		char *v = NULL;
		struct lab_err err = {0};
		cr_expect_eq(lab_state_credential(&v, bad[i], "PW", 1, &err), LAB_EINPUT, "'%s'", bad[i]);
		cr_expect_null(v);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cr_expect_eq(lab_state_name_ok(good[i]), 1, "'%s'", good[i]);
		char *d = lab_state_dir(good[i]);
		cr_expect(d && strncmp(d, state, strlen(state)) == 0, "'%s' -> %s", good[i], d);
		free(d);
	}
	/* nothing was made under the temp dir */
	struct stat st;
	cr_expect_eq(stat("st", &st), -1, "a bad name made a directory");
	unsetenv("LABCTL_STATE_DIR");
}

/* ---- params: range over the whole of long ---- */

Test(hostile_params, range_extremes_stay_in_range)
{
	static const struct {
		long lo, hi;
	} ranges[] = {
		{LONG_MIN, LONG_MAX}, {-1, LONG_MAX}, {LONG_MIN, 0}, {LONG_MIN, LONG_MIN + 1},
		{LONG_MAX, LONG_MAX}, {LONG_MIN, LONG_MIN}, {0, LONG_MAX}, {-5, 5}, {7, 7},
	};
	static const char *const students[] = {"", "alice", "bob", "s1", "s2", "s3", "s4", "s5"};
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		struct lab_param p = {.name = "p", .kind = LAB_PARAM_RANGE, .lo = ranges[i].lo, .hi = ranges[i].hi};
		for (size_t j = 0; j < sizeof(students) / sizeof(students[0]); j++) {
			char *v = lab_param_value(&p, "seed", students[j]);
			char *end = NULL;
			errno = 0;
			long x = strtol(v, &end, 10);
			cr_expect(!*end && !errno, "[%ld, %ld]: '%s'", ranges[i].lo, ranges[i].hi, v);
			cr_expect(x >= ranges[i].lo && x <= ranges[i].hi, "[%ld, %ld]: %ld", ranges[i].lo, ranges[i].hi, x);
			free(v);
		}
	}
	/* small ranges keep the documented formula: lo + v mod span */
	struct lab_param p = {.name = "p", .kind = LAB_PARAM_RANGE, .lo = 10, .hi = 19};
	char hex[65];
	lab_hmac_sha256_hex(hex, "seed", "alice\np", strlen("alice\np"));
	unsigned long long v = strtoull((char[17]){hex[0], hex[1], hex[2], hex[3], hex[4], hex[5], hex[6], hex[7],
						   hex[8], hex[9], hex[10], hex[11], hex[12], hex[13], hex[14], hex[15], 0},
				       NULL, 16);
	char *got = lab_param_value(&p, "seed", "alice");
	cr_expect_eq(atol(got), 10 + (long)(v % 10));
	free(got);
}

Test(hostile_params, the_issues_files_validate, .init = th_setup, .fini = th_teardown)
{
	static const char *const ranges[] = {"[-9223372036854775808, 9223372036854775807]",
					     "[-1, 9223372036854775807]"};
	for (size_t i = 0; i < 2; i++) {
		char yaml[512];
		snprintf(yaml, sizeof(yaml),
			 "lab: {name: p, seed: s}\nparams: {p: {range: %s}}\nservices:\n  a:\n    image: x\n"
			 "    environment: [\"P=${PARAM_P}\"]\n",
			 ranges[i]);
		struct lab *lab;
		struct lab_err err;
		cr_assert_eq(th_load(&lab, yaml, NULL, &err), 0, "%s", err.msg);
		cr_expect_eq(strncmp(lab->services[0].environment.v[0], "P=", 2), 0);
		lab_free(lab);
	}
	th_expect_error("lab: {name: p, seed: s}\nparams: {p: {range: [1, 99999999999999999999]}}\nservices: {}\n",
			"lab.yml:2:21: 'range' of param 'p' needs [low, high] integers, low <= high\n"
			"lab.yml:2:25: expected an integer for 'range'");
}

/* ---- unbounded reads: regular files under LAB_FILE_MAX only ---- */

Test(hostile_files, includes_must_be_regular_and_small, .init = th_setup, .fini = th_teardown)
{
	mkdir("dir.yml", 0755);
	cr_assert_eq(mkfifo("fifo.yml", 0644), 0);
	th_write_big("big.yml", LAB_FILE_MAX + 1);
	th_write_big("just.yml", LAB_FILE_MAX); /* read, then empty */
	th_expect_error("include: [/dev/zero]\nservices: {}\n",
			"lab.yml:1:11: include file '/dev/zero' is a character device, not a regular file");
	th_expect_error("include: [fifo.yml]\nservices: {}\n",
			"lab.yml:1:11: include file 'fifo.yml' is a FIFO, not a regular file");
	th_expect_error("include:\n  - dir.yml\nservices: {}\n",
			"lab.yml:2:5: include file 'dir.yml' is a directory, not a regular file");
	th_expect_error("include: [{path: big.yml}]\nservices: {}\n",
			"lab.yml:1:18: include file 'big.yml' is larger than 4 MiB");
	th_expect_error("include: [just.yml]\nservices: {}\n",
			"just.yml:1:1: empty include file: expected a mapping with 'services'");
	/* one path listed many times is looked at once (60k realpath() calls
	   took 0.5 s): reported once */
	struct lab_buf y = LAB_BUF_INIT;
	lab_buf_puts(&y, "services: {}\ninclude: [./nope.yml");
	for (int i = 0; i < 20000; i++)
		lab_buf_puts(&y, ", nope.yml");
	lab_buf_puts(&y, "]\n");
	th_write("lab.yml", lab_buf_cstr(&y));
	lab_buf_release(&y);
	struct lab *lab = NULL;
	struct lab_err err = {0};
	cr_expect_eq(lab_load(&lab, "lab.yml", NULL, &err), LAB_EINPUT);
	cr_expect_str_eq(err.msg, "lab.yml:2:11: include file 'nope.yml' not found");
}

Test(hostile_files, env_files_must_be_regular_and_small, .init = th_setup, .fini = th_teardown)
{
	mkdir("dir.env", 0755);
	cr_assert_eq(mkfifo("fifo.env", 0644), 0);
	th_write_big("big.env", LAB_FILE_MAX + 1);
	th_expect_error("services:\n  a:\n    image: x\n    env_file: /dev/zero\n",
			"lab.yml:4:15: env file '/dev/zero' is a character device, not a regular file");
	th_expect_error("services:\n  a:\n    image: x\n    env_file: [fifo.env]\n",
			"lab.yml:4:16: env file 'fifo.env' is a FIFO, not a regular file");
	th_expect_error("services:\n  a:\n    image: x\n    env_file: [{path: dir.env, required: false}]\n",
			"lab.yml:4:23: env file 'dir.env' is a directory, not a regular file");
	th_expect_error("services:\n  a:\n    image: x\n    env_file: big.env\n",
			"lab.yml:4:15: env file 'big.env' is larger than 4 MiB");
	th_write("bad.env", "OK=1\nnot a line\n");
	th_expect_error("services:\n  a:\n    image: x\n    env_file: bad.env\n",
			"lab.yml:4:15: env file 'bad.env': line 2: expected KEY=VALUE");
}

Test(hostile_files, dotenv_must_be_regular_and_small, .init = th_setup, .fini = th_teardown)
{
	static const char *const yaml = "services:\n  a:\n    image: x\n";
	mkdir(".env", 0755);
	th_expect_error(yaml, ".env:1:1: the .env file is a directory, not a regular file");
	rmdir(".env");
	cr_assert_eq(mkfifo(".env", 0644), 0);
	th_expect_error(yaml, ".env:1:1: the .env file is a FIFO, not a regular file");
	unlink(".env");
	cr_assert_eq(symlink("/dev/zero", ".env"), 0);
	th_expect_error(yaml, ".env:1:1: the .env file is a character device, not a regular file");
	unlink(".env");
	th_write_big(".env", LAB_FILE_MAX + 1);
	th_expect_error(yaml, ".env:1:1: the .env file is larger than 4 MiB");
	th_write(".env", "A=1\nB='open\n");
	th_expect_error(yaml, ".env:2:1: unterminated quote");
}

Test(hostile_files, kernel_pseudo_files, .init = th_setup, .fini = th_teardown)
{
	th_expect_error("include: [/proc/self/status]\nservices: {}\n",
			"lab.yml:1:11: include file '/proc/self/status' is a kernel pseudo-file (/proc, /sys), not a "
			"regular file");
	th_expect_error("services:\n  a:\n    image: x\n    env_file: /proc/self/environ\n",
			"lab.yml:4:15: env file '/proc/self/environ' is a kernel pseudo-file (/proc, /sys), not a "
			"regular file");
}

Test(hostile_files, dockerignore_must_be_regular_and_small, .init = th_setup, .fini = th_teardown)
{
	mkdir("ctx", 0755);
	th_write("ctx/Dockerfile", "FROM scratch\n");
	th_write("ctx/keep", "k\n");
	cr_assert_eq(symlink("/dev/zero", "ctx/.dockerignore"), 0);
	struct lab_buf tar = LAB_BUF_INIT;
	struct lab_err err = {0};
	cr_expect_eq(lab_context_tar(&tar, "ctx", "Dockerfile", &err), LAB_EINPUT);
	cr_expect_str_eq(err.msg, "'ctx/.dockerignore' is a character device, not a regular file");
	lab_buf_release(&tar);
	unlink("ctx/.dockerignore");
	th_write("ctx/.dockerignore", "# comment\r\n  keep  \r\n!nothing\n");
	memset(&err, 0, sizeof(err));
	cr_expect_eq(lab_context_tar(&tar, "ctx", "Dockerfile", &err), 0, "%s", err.msg);
	cr_expect(tar.len > 0);
	lab_buf_release(&tar);
}

Test(hostile_files, lab_file_itself, .init = th_setup, .fini = th_teardown)
{
	struct lab *lab = NULL;
	struct lab_err err = {0};
	cr_expect_eq(lab_load(&lab, "/dev/zero", NULL, &err), LAB_EINPUT);
	cr_expect_str_eq(err.msg, "lab file '/dev/zero' is a character device, not a regular file");
	cr_assert_eq(mkfifo("lab.yml", 0644), 0);
	memset(&err, 0, sizeof(err));
	cr_expect_eq(lab_load(&lab, ".", NULL, &err), LAB_ENOTFOUND, "a FIFO is not a lab file to look for");
	memset(&err, 0, sizeof(err));
	cr_expect_eq(lab_load(&lab, "lab.yml", NULL, &err), LAB_EINPUT);
	cr_expect_str_eq(err.msg, "lab file 'lab.yml' is a FIFO, not a regular file");
	cr_expect_null(lab);
}

/* ---- quadratic blow-ups: bounded and linear ---- */

/* "${Z:-" n times, x, "}" n times */
static char *th_nested(int n)
{
	struct lab_buf b = LAB_BUF_INIT;
	for (int i = 0; i < n; i++)
		lab_buf_puts(&b, "${Z:-");
	lab_buf_puts(&b, "x");
	for (int i = 0; i < n; i++)
		lab_buf_puts(&b, "}");
	return lab_buf_detach(&b);
}

static const char *th_nolookup(const char *name, void *ud)
{
	(void)name, (void)ud;
	return NULL;
}

Test(hostile_interp, nesting_is_bounded, .init = th_setup, .fini = th_teardown)
{
	struct lab_mark m = {"f.yml", 1, 1};
	char *ok = th_nested(LAB_INTERP_MAX_DEPTH), *deep = th_nested(LAB_INTERP_MAX_DEPTH + 1), *out = NULL;
	struct lab_err err = {0};
	cr_expect_eq(lab_interpolate(&out, ok, th_nolookup, NULL, &m, &err), 0, "%s", err.msg);
	cr_expect_str_eq(out, "x");
	free(out);
	out = NULL;
	cr_expect_eq(lab_interpolate(&out, deep, th_nolookup, NULL, &m, &err), LAB_EINPUT);
	cr_expect_str_eq(err.msg, "f.yml:1:1: interpolation nested more than 32 levels deep in "
				  "'${Z:-${Z:-${Z:-${Z:-${Z:-${Z:-${Z:-${Z:-${Z:-${Z:-${Z:-${Z:-${Z:-${Z:-${Z:-${Z:-${Z:-${Z:-${Z:-${Z:-...'");
	cr_expect_null(out);
	free(ok);
	free(deep);

	/* the issue's file: 20k levels in 120 KB */
	char *huge = th_nested(20000);
	struct lab_buf y = LAB_BUF_INIT;
	lab_buf_printf(&y, "services:\n  a:\n    image: \"%s\"\n", huge);
	free(huge);
	struct lab *lab;
	cr_expect_eq(th_load_buf(&lab, &y, &err), LAB_EINPUT);
	cr_expect(strncmp(err.msg, "lab.yml:3:12: interpolation nested more than 32 levels deep in '${Z:-${Z:-", 71) == 0,
		  "%s", err.msg);
	cr_expect_lt(strlen(err.msg), 300);
}

Test(hostile_interp, long_values_are_refused, .init = th_setup, .fini = th_teardown)
{
	/* a 64 KiB value used 17 times in one scalar: over 1 MiB */
	struct lab_buf env = LAB_BUF_INIT;
	lab_buf_puts(&env, "A=");
	for (int i = 0; i < 65536; i++)
		lab_buf_puts(&env, "v");
	lab_buf_puts(&env, "\n");
	th_write(".env", lab_buf_cstr(&env));
	lab_buf_release(&env);
	unsetenv("A");
	struct lab_buf y = LAB_BUF_INIT;
	lab_buf_puts(&y, "services:\n  a:\n    image: x\n    environment:\n      E: \"");
	for (int i = 0; i < 17; i++)
		lab_buf_puts(&y, "$A");
	lab_buf_puts(&y, "\"\n");
	struct lab *lab;
	struct lab_err err;
	cr_expect_eq(th_load_buf(&lab, &y, &err), LAB_EINPUT);
	cr_expect_str_eq(err.msg, "lab.yml:5:10: value is longer than 1 MiB after interpolation");
	/* 16 uses (1 MiB) each in 20 values: 20 MiB in all */
	lab_buf_puts(&y, "services:\n  a:\n    image: x\n    environment:\n");
	for (int v = 0; v < 20; v++) {
		lab_buf_printf(&y, "      E%d: \"", v);
		for (int i = 0; i < 15; i++)
			lab_buf_puts(&y, "$A");
		lab_buf_puts(&y, "\"\n");
	}
	cr_expect_eq(th_load_buf(&lab, &y, &err), LAB_EINPUT);
	cr_expect_str_eq(err.msg, "lab.yml:22:12: interpolation makes more than 16 MiB of text in all");
}

Test(hostile_yaml, mapping_of_49k_keys, .init = th_setup, .fini = th_teardown)
{
	struct lab_buf y = LAB_BUF_INIT;
	lab_buf_puts(&y, "services:\n  a:\n    image: x\nx-big:\n");
	for (int i = 0; i < 49000; i++)
		lab_buf_printf(&y, "  k%06d: 1\n", i);
	struct lab_buf dup = LAB_BUF_INIT;
	lab_buf_puts(&dup, lab_buf_cstr(&y));
	lab_buf_puts(&dup, "  k012345: 2\n");
	struct lab *lab;
	struct lab_err err;
	cr_expect_eq(th_load_buf(&lab, &y, &err), 0, "%s", err.msg);
	lab_free(lab);
	cr_expect_eq(th_load_buf(&lab, &dup, &err), LAB_EINPUT);
	cr_expect_str_eq(err.msg, "lab.yml:49005:3: duplicate key 'k012345'");
	/* merge keys into a big mapping see its keys too */
	th_expect_error("x-a: &a {k1: 1}\nx-b:\n  <<: *a\n  k0: 0\n  k1: 1\n  k2: 2\n  k3: 3\n  k4: 4\n  k5: 5\n"
			"  k6: 6\n  k7: 7\n  k8: 8\n  k8: 9\nservices: {}\n",
			"lab.yml:13:3: duplicate key 'k8'");
	struct lab_node *root = NULL;
	const char *m = "a: &a {k1: 1, z: 2}\nb:\n  <<: *a\n  k0: 0\n  k1: 1\n  k2: 2\n  k3: 3\n  k4: 4\n  k5: 5\n"
			"  k6: 6\n  k7: 7\n  k8: 8\n  k9: 9\n";
	cr_assert_eq(lab_node_parse_string(&root, m, strlen(m), "t.yml", &err), 0, "%s", err.msg);
	struct lab_node *b = lab_node_get(root, "b");
	cr_expect_eq(b->n, 11, "k0..k9 and z from the merge");
	cr_expect_str_eq(lab_node_get(b, "k1")->text, "1");
	cr_expect_str_eq(lab_node_get(b, "z")->text, "2");
	lab_node_free(root);
}

Test(hostile_suggest, long_names_get_no_did_you_mean, .init = th_setup, .fini = th_teardown)
{
	char a[LAB_EDIT_MAX_LEN + 2], b[LAB_EDIT_MAX_LEN + 2];
	memset(a, 'a', sizeof(a) - 1);
	memset(b, 'a', sizeof(b) - 1);
	a[sizeof(a) - 1] = b[sizeof(b) - 1] = '\0';
	b[0] = 'b';
	cr_expect_eq(lab_edit_distance(a, b), (size_t)-1, "65 bytes: not compared");
	a[LAB_EDIT_MAX_LEN] = b[LAB_EDIT_MAX_LEN] = '\0';
	cr_expect_eq(lab_edit_distance(a, b), 1, "64 bytes: compared");

	/* the issue's file: a 100 KB unknown name against a 100 KB service name
	   (written as explicit keys: plain keys are limited to 1024 bytes) */
	struct lab_buf y = LAB_BUF_INIT;
	lab_buf_puts(&y, "services:\n  ? ");
	for (int i = 0; i < 100000; i++)
		lab_buf_puts(&y, "a");
	lab_buf_puts(&y, "\n  : {image: x}\n  c:\n    image: x\n    depends_on:\n      - ");
	for (int i = 0; i < 99999; i++)
		lab_buf_puts(&y, "a");
	lab_buf_puts(&y, "b\n");
	struct lab *lab;
	struct lab_err err;
	cr_expect_eq(th_load_buf(&lab, &y, &err), LAB_EINPUT);
	cr_expect(strncmp(err.msg, "lab.yml:7:9: service 'c' depends on unknown service 'aaaa", 56) == 0, "%.200s",
		  err.msg);
	cr_expect_null(strstr(err.msg, "did you mean"));
	cr_expect_lt(strlen(err.msg), 1100, "a diagnostic is cut at 1 KiB");

	/* thousands of unknown dependencies among thousands of services: some
	   suggestions, then none (bounded work), every one reported */
	lab_buf_puts(&y, "services:\n");
	for (int i = 0; i < 3000; i++)
		lab_buf_printf(&y, "  s%04d: {image: x, depends_on: [t%04d]}\n", i, i);
	cr_expect_eq(th_load_buf(&lab, &y, &err), LAB_EINPUT);
	cr_expect(strncmp(err.msg, "lab.yml:2:34: service 's0000' depends on unknown service 't0000' (did you mean 's0000'?)\n",
			  87) == 0, "%.300s", err.msg);
}

Test(hostile_validate, big_labs_validate, .init = th_setup, .fini = th_teardown)
{
	struct lab *lab;
	struct lab_err err;
	struct lab_buf y = LAB_BUF_INIT;
	/* a 10k-service dependency chain: walked without recursion */
	lab_buf_puts(&y, "services:\n  s00000: {image: x}\n");
	for (int i = 1; i < 10000; i++)
		lab_buf_printf(&y, "  s%05d: {image: x, depends_on: [s%05d]}\n", i, i - 1);
	cr_expect_eq(th_load_buf(&lab, &y, &err), 0, "%.300s", err.msg);
	lab_free(lab);
	/* ... closed into a cycle: one message, shortened */
	lab_buf_puts(&y, "services:\n  s00000: {image: x, depends_on: [s09999]}\n");
	for (int i = 1; i < 10000; i++)
		lab_buf_printf(&y, "  s%05d: {image: x, depends_on: [s%05d]}\n", i, i - 1);
	cr_expect_eq(th_load_buf(&lab, &y, &err), LAB_EINPUT);
	cr_expect_str_eq(err.msg, "lab.yml:3:35: dependency cycle: s00000 -> s09999 -> s09998 -> s09997 -> "
				  "s09996 -> s09995 -> s09994 -> s09993 -> ... (9984 more) -> s00008 -> s00007 -> "
				  "s00006 -> s00005 -> s00004 -> s00003 -> s00002 -> s00001 -> s00000");
	/* 10k ports, 10k volumes, 5k networks, 10k environment entries */
	lab_buf_puts(&y, "services:\n  a:\n    image: x\n    ports:\n");
	for (int i = 0; i < 10000; i++)
		lab_buf_printf(&y, "      - \"%d:80\"\n", 30000 + i);
	lab_buf_puts(&y, "      - \"0.0.0.0:39999:81\"\n    environment:\n");
	for (int i = 0; i < 10000; i++)
		lab_buf_printf(&y, "      - V%05d=%d\n", i % 7000, i);
	lab_buf_puts(&y, "    volumes:\n");
	for (int i = 0; i < 10000; i++)
		lab_buf_printf(&y, "      - \"v%05d:/m/%05d\"\n", i, i);
	lab_buf_puts(&y, "    networks:\n");
	for (int i = 0; i < 5000; i++)
		lab_buf_printf(&y, "      - n%05d\n", i);
	lab_buf_puts(&y, "      - nope\nvolumes:\n");
	for (int i = 0; i < 10000; i++)
		lab_buf_printf(&y, "  v%05d:\n", i);
	lab_buf_puts(&y, "networks:\n");
	for (int i = 0; i < 5000; i++)
		lab_buf_printf(&y, "  n%05d:\n", i);
	cr_expect_eq(th_load_buf(&lab, &y, &err), LAB_EINPUT);
	cr_expect_str_eq(err.msg, "lab.yml:10005:9: host port 0.0.0.0:39999/tcp is already published by service 'a'\n"
				  "lab.yml:35009:9: service 'a' uses undeclared network 'nope'");
}

Test(hostile_validate, environment_dedup_keeps_order, .init = th_setup, .fini = th_teardown)
{
	th_write("a.env", "A=file\nB=file\nA=file2\n");
	struct lab *lab;
	struct lab_err err;
	cr_assert_eq(th_load(&lab,
			     "services:\n  s:\n    image: x\n    env_file: a.env\n"
			     "    environment: [C=env, B=env, C=env2, D]\n    labels: [x=1, y=2, x=3]\n",
			     NULL, &err),
		     0, "%s", err.msg);
	struct lab_service *s = &lab->services[0];
	cr_assert_eq(s->environment.n, 3);
	cr_expect_str_eq(s->environment.v[0], "A=file2");
	cr_expect_str_eq(s->environment.v[1], "B=env");
	cr_expect_str_eq(s->environment.v[2], "C=env2");
	/* labels too: a list with a repeated key keeps the last value, as
	   Compose's list-to-mapping does (main kept both entries) */
	cr_assert_eq(s->labels.n, 2);
	cr_expect_str_eq(s->labels.v[0], "x=3");
	cr_expect_str_eq(s->labels.v[1], "y=2");
	lab_free(lab);
}

/* ---- diagnostics of the YAML bounds ---- */

Test(hostile_yaml, node_and_text_limits_say_which, .init = th_setup, .fini = th_teardown)
{
	struct lab_buf y = LAB_BUF_INIT;
	struct lab *lab;
	struct lab_err err;
	/* no aliases: 110k plain nodes */
	lab_buf_puts(&y, "services: {}\nx-list: [");
	for (int i = 0; i < 110000; i++)
		lab_buf_puts(&y, i ? ",1" : "1");
	lab_buf_puts(&y, "]\n");
	cr_expect_eq(th_load_buf(&lab, &y, &err), LAB_EINPUT);
	cr_expect_str_eq(err.msg, "lab.yml:2:200000: too many YAML nodes: more than 100000 in one file");
	/* aliases of a long scalar: bounded by the text they copy */
	lab_buf_puts(&y, "services: {}\nx-a: &a \"");
	for (int i = 0; i < 500000; i++)
		lab_buf_puts(&y, "y");
	lab_buf_puts(&y, "\"\nx-b: [");
	for (int i = 0; i < 100000; i++)
		lab_buf_puts(&y, i ? ", *a" : "*a");
	lab_buf_puts(&y, "]\n");
	cr_expect_eq(th_load_buf(&lab, &y, &err), LAB_EINPUT);
	cr_expect_str_eq(err.msg, "lab.yml:3:67: too many alias expansions: the document expands to more than 8 MiB of text");
	/* many errors: a bounded report */
	lab_buf_puts(&y, "services:\n");
	for (int i = 0; i < 20000; i++)
		lab_buf_printf(&y, "  s%05d: {}\n", i);
	cr_expect_eq(th_load_buf(&lab, &y, &err), LAB_EINPUT);
	cr_expect(strncmp(err.msg, "lab.yml:2:3: service 's00000' has neither image nor build\n", 58) == 0, "%.100s",
		  err.msg);
	cr_expect_lt(strlen(err.msg), LAB_ERR_MSG_MAX);
}

/* ---- refused as Compose refuses them ---- */

Test(hostile_compose, empty_files_and_empty_healthchecks, .init = th_setup, .fini = th_teardown)
{
	th_expect_error("", "lab.yml:1:1: empty lab file: expected a mapping with 'services'");
	th_expect_error("# nothing but a comment\n\n", "lab.yml:1:1: empty lab file: expected a mapping with 'services'");
	th_expect_error("~\n", "lab.yml:1:1: empty lab file: expected a mapping with 'services'");
	th_expect_error("\n{}\n", "lab.yml:2:1: empty lab file: expected a mapping with 'services'");
	th_write("inc.yml", "# empty\n");
	th_expect_error("include: [inc.yml]\nservices: {}\n",
			"inc.yml:1:1: empty include file: expected a mapping with 'services'");
	th_expect_error("services:\n  a:\n    image: x\n    healthcheck:\n      test: [\"CMD\"]\n",
			"lab.yml:5:13: healthcheck 'test' needs a command after 'CMD'");
	th_expect_error("services:\n  a:\n    image: x\n    healthcheck: {test: [CMD-SHELL]}\n",
			"lab.yml:4:25: healthcheck 'test' needs a command after 'CMD-SHELL'");
	th_expect_error("services:\n  a:\n    image: x\n    healthcheck: {test: []}\n",
			"lab.yml:4:25: healthcheck 'test' must start with 'CMD', 'CMD-SHELL' or 'NONE'");
	/* still fine */
	struct lab *lab;
	struct lab_err err;
	cr_expect_eq(th_load(&lab, "services:\n  a:\n    image: x\n    healthcheck: {test: [NONE]}\n  b:\n"
				   "    image: x\n    healthcheck: {test: [CMD, \"true\"]}\n",
			     NULL, &err),
		     0, "%s", err.msg);
	lab_free(lab);
}

/* ---- the hash index the loader's checks use ---- */

Test(hostile_index, put_get_set_grow)
{
	struct lab_index ix = LAB_INDEX_INIT;
	char keys[5000][8];
	cr_expect_eq(lab_index_get(&ix, "a", 1), -1, "empty index");
	for (size_t i = 0; i < 5000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
		cr_expect_eq(lab_index_put(&ix, keys[i], strlen(keys[i]), i), -1);
	}
	cr_expect_eq(ix.n, 5000);
	for (size_t i = 0; i < 5000; i++)
		cr_expect_eq(lab_index_get(&ix, keys[i], strlen(keys[i])), (long)i);
	cr_expect_eq(lab_index_put(&ix, "k7", 2, 99), 7, "put keeps the first value");
	cr_expect_eq(lab_index_get(&ix, "k7x", 2), 7, "keys are (pointer, length)");
	char other[] = "k7";
	lab_index_set(&ix, other, 2, 99);
	cr_expect_eq(lab_index_get(&ix, "k7", 2), 99);
	cr_expect_eq(lab_index_get(&ix, "k", 1), -1);
	cr_expect_eq(lab_index_get(&ix, "", 0), -1);
	lab_index_set(&ix, "", 0, 3);
	cr_expect_eq(lab_index_get(&ix, "", 0), 3, "the empty key is a key");
	lab_index_free(&ix);
	lab_index_free(&ix);
	lab_index_free(NULL);
	cr_expect_eq(ix.n, 0);
}
