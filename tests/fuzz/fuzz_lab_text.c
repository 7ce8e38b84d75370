/* The lab loader's text parsers, from memory: the YAML node parser
 * (aliases, merge keys, bounds), interpolation, .env files, durations,
 * shell words, lexical paths and the edit distance.
 *
 * Input: first byte picks the parser (mod 7), the rest is its text; for
 * the two-argument ones (path join, edit distance) the text is split at the
 * first NUL. Checked invariants: return codes are 0 or the documented
 * errors, every error has a message, interpolation output is bounded by
 * LAB_INTERP_MAX_LEN, a joined path has no "." or ".." component where the
 * result is absolute, the edit distance is symmetric and at most the longer
 * length. */
#include <unistd.h>

#include "../../labctl/lab/lab.h"
#include "../../labctl/lab/lab_private.h"
#include "fuzz.h"

static char envfile[] = "/tmp/labctl-fuzz-env-XXXXXX";

static void cleanup(void)
{
	unlink(envfile);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	int fd = mkstemp(envfile);
	if (fd < 0)
		abort();
	close(fd);
	atexit(cleanup);
	return 0;
}

static const char *lookup(const char *name, void *ud)
{
	static const char *const vars[][2] = {
		{"V", "val"}, {"EMPTY", ""}, {"N", "42"}, {"D", "$V"}, {"B", "}"}, {"LONG", NULL},
	};
	static char *longv;
	(void)ud;
	if (!longv) {
		longv = malloc(70000);
		memset(longv, 'l', 69999);
		longv[69999] = '\0';
	}
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (strcmp(vars[i][0], name) == 0)
			return vars[i][1] ? vars[i][1] : longv;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int mode = data[0] % 7;
	char *s = fuzz_cstr(data + 1, size - 1);
	size_t len = size - 1;
	struct lab_err err = {0};
	switch (mode) {
	case 0: { /* YAML */
		struct lab_node *root = NULL;
		int rc = lab_node_parse_string(&root, s, len, "f.yml", &err);
		FUZZ_CHECK(rc == 0 || (rc == LAB_EINPUT && strncmp(err.msg, "f.yml:", 6) == 0));
		FUZZ_CHECK((rc == 0) == (root != NULL));
		lab_node_free(root);
		break;
	}
	case 1: { /* interpolation */
		struct lab_mark m = {"f.yml", 1, 1};
		char *out = NULL;
		int rc = lab_interpolate(&out, s, lookup, NULL, &m, &err);
		FUZZ_CHECK(rc == 0 || (rc == LAB_EINPUT && strncmp(err.msg, "f.yml:1:1: ", 11) == 0));
		FUZZ_CHECK(rc != 0 || strlen(out) <= LAB_INTERP_MAX_LEN);
		if (rc == 0 && !strchr(s, '$'))
			FUZZ_CHECK(strcmp(out, s) == 0);
		free(out);
		break;
	}
	case 2: { /* .env */
		FILE *f = fopen(envfile, "w");
		if (!f)
			abort();
		fwrite(data + 1, 1, len, f);
		fclose(f);
		struct lab_strv out = LAB_STRV_INIT;
		char *msg = NULL;
		int line = -1;
		int rc = lab_dotenv_parse(&out, envfile, &line, &msg);
		FUZZ_CHECK(rc == 0 || (rc == LAB_EINPUT && msg && line >= 1));
		FUZZ_CHECK(rc != 0 || (!msg && line == 0));
		free(msg);
		lab_strv_free(&out);
		break;
	}
	case 3: { /* durations */
		long ms = -1;
		int rc = lab_parse_duration_ms(s, &ms);
		FUZZ_CHECK(rc == 0 || rc == LAB_EINPUT);
		FUZZ_CHECK(rc != 0 || ms >= 0);
		break;
	}
	case 4: { /* shell words */
		struct lab_strv out = LAB_STRV_INIT;
		int rc = lab_shell_split(&out, s);
		FUZZ_CHECK(rc == 0 || rc == LAB_EINPUT);
		lab_strv_free(&out);
		break;
	}
	case 5: { /* lexical paths */
		const char *b = s + strlen(s) + (strlen(s) < len);
		char *j = lab_path_join(s, b);
		char *d = lab_path_dir(j);
		FUZZ_CHECK(*j);
		if (j[0] == '/')
			FUZZ_CHECK(!strstr(j, "/./") && !strstr(j, "/../") && !strstr(j, "//"));
		free(j);
		free(d);
		break;
	}
	case 6: { /* edit distance */
		const char *b = s + strlen(s) + (strlen(s) < len);
		size_t d1 = lab_edit_distance(s, b), d2 = lab_edit_distance(b, s);
		size_t la = strlen(s), lb = strlen(b);
		FUZZ_CHECK(d1 == d2);
		if (la <= LAB_EDIT_MAX_LEN && lb <= LAB_EDIT_MAX_LEN)
			FUZZ_CHECK(d1 <= (la > lb ? la : lb) && d1 >= (la > lb ? la - lb : lb - la));
		else
			FUZZ_CHECK(d1 == (size_t)-1);
		break;
	}
	}
	free(s);
	return 0;
}
