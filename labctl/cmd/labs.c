/* labctl labs: the labs found in the labs directory, with their titles. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

static int cmd_labs(const struct cmd_entry *cmd, struct cmd_args *args);

static const struct cmd_opt labs_opts[] = {
	{"json", 0, NULL, "print a JSON array of {name, title, path}"},
	CMD_OPT_END,
};

const struct cmd_entry cmd_labs_entry = {
	.name = "labs",
	.opts = labs_opts,
	.usage = "",
	.summary = "list the labs with their titles",
	.description = "Lists labs/<name>/lab.yml under $LABCTL_LABS_DIR, ./labs, or the labs\n"
		       "directory of the labctl checkout.",
	.fn = cmd_labs,
};

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmd_labs(const struct cmd_entry *cmd, struct cmd_args *args)
{
	int code = 0;
	struct lab_strv names = LAB_STRV_INIT;
	char *dir = NULL;
	/* find the directory through any lab: a known name resolves it */
	const char *env = getenv("LABCTL_LABS_DIR");
	if (env && *env) {
		dir = lab_xstrdup(env);
	} else {
		struct stat st;
		if (stat("labs", &st) == 0 && S_ISDIR(st.st_mode)) {
			dir = lab_xstrdup("labs");
		} else {
			dir = cmd_labs_beside_binary();
		}
	}
	if (!dir) {
		fprintf(stderr, "labctl: no labs directory (set LABCTL_LABS_DIR or run from a labctl checkout)\n");
		code = LAB_EXIT_USAGE;
		goto out;
	}
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "labctl: cannot open labs directory '%s'\n", dir);
		code = LAB_EXIT_USAGE;
		goto out;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *p = lab_xasprintf("%s/%s/lab.yml", dir, de->d_name);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			lab_strv_push(&names, de->d_name);
		free(p);
	}
	closedir(d);
	if (names.n)
		qsort(names.v, names.n, sizeof(char *), by_name);
	int json = cmd_opt(cmd, args, "json") != NULL;
	cJSON *arr = json ? cJSON_CreateArray() : NULL;
	for (size_t i = 0; i < names.n; i++) {
		char *p = lab_xasprintf("%s/%s/lab.yml", dir, names.v[i]);
		struct lab *lab = NULL;
		struct lab_err err = {0};
		int rc = lab_load(&lab, p, NULL, &err);
		const char *title = rc == 0 && lab->title ? lab->title : "";
		char *first = NULL;
		if (rc < 0)
			first = lab_xstrndup(err.msg, strcspn(err.msg, "\n"));
		if (json) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "name", names.v[i]);
			cJSON_AddStringToObject(o, "title", title);
			cJSON_AddStringToObject(o, "path", p);
			if (first)
				cJSON_AddStringToObject(o, "error", first);
			cJSON_AddItemToArray(arr, o);
		} else if (first) {
			printf("%-12s (invalid: %s)\n", names.v[i], first);
		} else {
			printf("%-12s %s\n", names.v[i], title);
		}
		free(first);
		lab_free(lab);
		free(p);
	}
	if (json) {
		cmd_print_json(arr);
	}
out:
	lab_strv_free(&names);
	free(dir);
	return code;
}
