/* The jobs: and datasets: sections of a lab file. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lab_private.h"

static const char *const dataset_keys[] = {"file", "sample", "sha256", "description", "bucket", NULL};
static const char *const job_keys[] = {"binary", "script", "on", "args", "env", "datasets", "replicas",
				       "source", "description", NULL};

static int is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Names usable in LAB_DATASET_<NAME> and as job names on a command line. */
static int name_ok(const char *s)
{
	if (!isalpha((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return 0;
	return 1;
}

static char *opt_str(struct lab_ld *L, const struct lab_node *map, const char *key)
{
	const struct lab_node *v = lab_node_get(map, key);
	const char *t = v ? lab_ld_str(L, v, key) : NULL;
	return t ? lab_xstrdup(t) : NULL;
}

void lab_ld_datasets(struct lab_ld *L, const struct lab_node *n, const char *absdir)
{
	struct lab *lab = lab_ld_lab(L);
	if (lab_ld_want(L, n, LAB_NODE_MAP, "datasets") < 0)
		return;
	lab->datasets = lab_xcalloc(n->n ? n->n : 1, sizeof(*lab->datasets));
	for (size_t i = 0; i < n->n; i++) {
		const struct lab_node *k = n->kids[2 * i], *v = n->kids[2 * i + 1];
		if (!name_ok(k->text)) {
			lab_ld_diag(L, &k->mark, "invalid dataset name '%s': letters, digits, '_' and '-'", k->text);
			continue;
		}
		if (lab_ld_want(L, v, LAB_NODE_MAP, k->text) < 0 || lab_ld_check_keys(L, v, dataset_keys, 1))
			continue;
		struct lab_dataset *d = &lab->datasets[lab->n_datasets++];
		d->name = lab_xstrdup(k->text);
		d->mark = k->mark;
		d->file = opt_str(L, v, "file");
		d->sha256 = opt_str(L, v, "sha256");
		d->bucket = opt_str(L, v, "bucket");
		if (d->bucket && !lab_ld_bucket_name_ok(d->bucket)) {
			lab_ld_diag(L, &lab_node_get(v, "bucket")->mark,
				    "invalid bucket name '%s': 3-63 characters of a-z, 0-9, '.' and '-'", d->bucket);
		}
		char *sample = opt_str(L, v, "sample");
		if (!d->file || !*d->file || strchr(d->file, '/'))
			lab_ld_diag(L, &k->mark, "dataset '%s' needs 'file': the full file's name (no directory)",
				    k->text);
		if (d->sha256) {
			size_t len = strlen(d->sha256), ok = len == 64;
			for (size_t j = 0; ok && j < len; j++)
				ok = isxdigit((unsigned char)d->sha256[j]) && !isupper((unsigned char)d->sha256[j]);
			if (!ok)
				lab_ld_diag(L, &lab_node_get(v, "sha256")->mark,
					    "invalid sha256 '%s': 64 lowercase hex digits", d->sha256);
		}
		if (sample) {
			d->sample = lab_path_join(absdir, sample);
			if (!is_file(d->sample))
				lab_ld_diag(L, &lab_node_get(v, "sample")->mark, "sample '%s' of dataset '%s' not found",
					    sample, k->text);
			free(sample);
		}
	}
}

void lab_ld_jobs(struct lab_ld *L, const struct lab_node *n, const char *absdir)
{
	struct lab *lab = lab_ld_lab(L);
	if (lab_ld_want(L, n, LAB_NODE_MAP, "jobs") < 0)
		return;
	lab->jobs = lab_xcalloc(n->n ? n->n : 1, sizeof(*lab->jobs));
	for (size_t i = 0; i < n->n; i++) {
		const struct lab_node *k = n->kids[2 * i], *v = n->kids[2 * i + 1], *x;
		if (!name_ok(k->text)) {
			lab_ld_diag(L, &k->mark, "invalid job name '%s': letters, digits, '_' and '-'", k->text);
			continue;
		}
		if (lab_ld_want(L, v, LAB_NODE_MAP, k->text) < 0 || lab_ld_check_keys(L, v, job_keys, 1))
			continue;
		struct lab_job *j = &lab->jobs[lab->n_jobs++];
		j->name = lab_xstrdup(k->text);
		j->mark = k->mark;
		j->binary = opt_str(L, v, "binary");
		j->service = opt_str(L, v, "on");
		j->description = opt_str(L, v, "description");
		char *source = opt_str(L, v, "source");
		j->source = lab_path_join(absdir, source ? source : "../../jobs");
		free(source);
		char *script = opt_str(L, v, "script");
		if (script && j->binary) {
			lab_ld_diag(L, &lab_node_get(v, "script")->mark,
				    "job '%s' has both 'binary' and 'script': a C program or a PySpark script", k->text);
		} else if (script) {
			size_t sl = strlen(script);
			j->script = lab_xasprintf("%s/spark/%s", j->source, script);
			if (strchr(script, '/') || sl < 4 || strcmp(script + sl - 3, ".py") != 0)
				lab_ld_diag(L, &lab_node_get(v, "script")->mark,
					    "invalid script '%s': the name of a .py file under '%s/spark'", script, j->source);
			else if (!is_file(j->script))
				lab_ld_diag(L, &lab_node_get(v, "script")->mark, "job script '%s' not found", j->script);
		} else if (!j->binary || !name_ok(j->binary))
			lab_ld_diag(L, &k->mark, "job '%s' needs 'binary': the name of a directory under '%s'", k->text,
				    j->source);
		else {
			char *dir = lab_xasprintf("%s/%s", j->source, j->binary);
			if (!is_dir(dir))
				lab_ld_diag(L, &lab_node_get(v, "binary")->mark, "job source '%s' not found", dir);
			free(dir);
		}
		if (!j->service)
			lab_ld_diag(L, &k->mark, "job '%s' needs 'on': the service whose replicas run it", k->text);
		else if (!lab_ld_find_service(L, j->service))
			lab_ld_diag(L, &lab_node_get(v, "on")->mark, "job '%s' runs on unknown service '%s'", k->text,
				    j->service);
		if ((x = lab_node_get(v, "args")))
			lab_ld_strlist(L, x, "args", 0, &j->args);
		if ((x = lab_node_get(v, "env")))
			lab_ld_kv_list(L, x, "env", &j->env, 1);
		if ((x = lab_node_get(v, "datasets")) && lab_ld_strlist(L, x, "datasets", 0, &j->datasets) == 0) {
			for (size_t d = 0; d < j->datasets.n; d++)
				if (!lab_find_dataset(lab, j->datasets.v[d]))
					lab_ld_diag(L, &x->kids[d]->mark, "job '%s' needs unknown dataset '%s'", k->text,
						    j->datasets.v[d]);
		}
		long reps;
		if ((x = lab_node_get(v, "replicas")) && lab_ld_int(L, x, "replicas", &reps) == 0) {
			if (reps < 1 || reps > 1000)
				lab_ld_diag(L, &x->mark, "invalid replicas '%s' for 'replicas': 1 or more", x->text);
			else
				j->replicas = (int)reps;
		}
		if (j->script) /* one driver; the cluster runs the executors */
			j->replicas = 1;
		free(script);
	}
}

void lab_jobs_free(struct lab *lab)
{
	for (size_t i = 0; i < lab->n_datasets; i++) {
		free(lab->datasets[i].name);
		free(lab->datasets[i].file);
		free(lab->datasets[i].sample);
		free(lab->datasets[i].sha256);
		free(lab->datasets[i].bucket);
	}
	free(lab->datasets);
	for (size_t i = 0; i < lab->n_jobs; i++) {
		struct lab_job *j = &lab->jobs[i];
		free(j->name);
		free(j->binary);
		free(j->script);
		free(j->source);
		free(j->service);
		free(j->description);
		lab_strv_free(&j->args);
		lab_strv_free(&j->env);
		lab_strv_free(&j->datasets);
	}
	free(lab->jobs);
}

struct lab_dataset *lab_find_dataset(const struct lab *lab, const char *name)
{
	for (size_t i = 0; lab && i < lab->n_datasets; i++)
		if (strcmp(lab->datasets[i].name, name) == 0)
			return &lab->datasets[i];
	return NULL;
}

struct lab_job *lab_find_job(const struct lab *lab, const char *name)
{
	for (size_t i = 0; lab && i < lab->n_jobs; i++)
		if (strcmp(lab->jobs[i].name, name) == 0)
			return &lab->jobs[i];
	return NULL;
}
