/* The lab loader from files: lab.yml, .env beside it, two include files
 * and an env_file, all from one input, in a private temporary directory.
 *
 * Input: the files' contents separated by lines "#%%" (a YAML comment, so a
 * plain lab file is a valid input): lab.yml, .env, inc.yml, sub/inc.yml,
 * app.env; missing parts leave the file out. lab_load() runs with no
 * credential callback (credentials read "<generated>": nothing is written
 * anywhere), and must return 0 with a lab or LAB_EINPUT/LAB_ENOTFOUND with
 * a message. Seeds: labs/ and the unit tests' lab files
 * (corpus/fuzz_lab). */
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../labctl/lab/lab.h"
#include "fuzz.h"

static char dir[] = "/tmp/labctl-fuzz-lab-XXXXXX";
static const char *const names[] = {"lab.yml", ".env", "inc.yml", "sub/inc.yml", "app.env"};
#define NFILES (sizeof(names) / sizeof(names[0]))

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void cleanup(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	if (!mkdtemp(dir))
		abort();
	atexit(cleanup);
	char sub[sizeof(dir) + 8];
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	mkdir(sub, 0755);
	/* a build context and a job source the seeds may point at */
	char p[sizeof(dir) + 32];
	snprintf(p, sizeof(p), "%s/app", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/app/Dockerfile", dir);
	FILE *f = fopen(p, "w");
	if (f)
		fclose(f);
	setenv("LAB_STUDENT", "fuzz", 1);
	setenv("FUZZ_SET", "value", 1);
	unsetenv("LABCTL_STATE_DIR");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	for (size_t i = 0; i < NFILES; i++) {
		char path[sizeof(dir) + 32];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (p > end) {
			unlink(path);
			continue;
		}
		const char *sep = memmem(p, (size_t)(end - p), "\n#%%", 4);
		const char *stop = sep ? sep + 1 : end;
		FILE *f = fopen(path, "w");
		if (!f)
			abort();
		fwrite(p, 1, (size_t)(stop - p), f);
		fclose(f);
		p = sep ? sep + 4 : end + 1;
	}
	struct lab_strv vars = LAB_STRV_INIT;
	lab_strv_push(&vars, "FUZZ_VAR=from-vars");
	struct lab_load_opts opts = {.vars = &vars};
	struct lab *lab = NULL;
	struct lab_err err = {0};
	char path[sizeof(dir) + 16];
	snprintf(path, sizeof(path), "%s/lab.yml", dir);
	int rc = lab_load(&lab, path, &opts, &err);
	FUZZ_CHECK(rc == 0 || rc == LAB_EINPUT || rc == LAB_ENOTFOUND);
	FUZZ_CHECK((rc == 0) == (lab != NULL));
	FUZZ_CHECK(rc == 0 || err.msg[0]);
	if (lab) {
		FUZZ_CHECK(lab->project && lab->project[0]);
		for (size_t i = 0; i < lab->n_services; i++)
			FUZZ_CHECK(lab_find_service(lab, lab->services[i].name) != NULL);
	}
	lab_free(lab);
	lab_strv_free(&vars);
	return 0;
}
