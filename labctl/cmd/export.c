/* labctl export compose LAB [-o DIR]: the lab as a plain docker-compose
 * file (labctl/export/compose.h), on stdout or as DIR/docker-compose.yml
 * with the lab's credentials in DIR/.env. Never touches the engine. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../export/compose.h"
#include "../util/state.h"
#include "cmd.h"

static int cmd_export(const struct cmd_entry *cmd, struct cmd_args *args);

static const struct cmd_opt export_opts[] = {
	CMD_OPT_FILE,
	{"project-name", 'p', "NAME", "project name whose credentials .env gets (default: the lab's name)"},
	{"output", 'o', "DIR", "write DIR/docker-compose.yml and DIR/.env instead of printing the file"},
	{"no-env", 0, NULL, "with -o: do not write DIR/.env"},
	CMD_OPT_END,
};

const struct cmd_entry cmd_export_entry = {
	.name = "export",
	.opts = export_opts,
	.usage = "compose LAB | -f FILE [-o DIR]",
	.summary = "write the lab as a plain docker-compose file that runs without labctl",
	.description =
		"Prints the lab as one docker-compose file (Compose Specification, no\n"
		"version key, as Debian's docker-compose 1.29 reads it):\n"
		"includes flattened, variables resolved, host ports on the addresses labctl\n"
		"uses, x-ready probes as healthchecks polled every 1 s (pg_isready, curl,\n"
		"bash /dev/tcp; kafka, s3 and log probes keep the image's HEALTHCHECK),\n"
		"buckets as the object store's S3_BUCKETS. The lab's generated credentials\n"
		"stay ${NAME} references: with -o DIR the file goes to DIR/docker-compose.yml\n"
		"and the credentials (labctl's own values for the lab, generated on first\n"
		"use) to DIR/.env, mode 0600. Build contexts and bind mounts are written\n"
		"relative to DIR (or the current directory) when both are under a common\n"
		"directory other than /, else absolute. jobs:, datasets: and checks: have no Compose\n"
		"equivalent and are left out. Never touches the engine.",
	.fn = cmd_export,
};

/* mkdir -p */
static int make_dirs(const char *path)
{
	char *p = lab_xstrdup(path);
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST) {
				free(p);
				return -1;
			}
			if (!c)
				break;
			*s = c;
		}
	}
	free(p);
	return 0;
}

/* Write data to path through a temporary file and rename, so a reader
 * never sees half a file. mode applies to a new file. */
static int write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	char *tmp = lab_xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
	int rc = fd < 0 ? -1 : 0;
	for (size_t off = 0; rc == 0 && off < len;) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = -1;
		else
			off += (size_t)n;
	}
	if (fd >= 0 && close(fd) < 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -1;
	if (rc < 0) {
		fprintf(stderr, "labctl: cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

/* The lines of an existing .env to keep: all but the credentials written
 * anew and the header this command writes. */
static void keep_env_lines(struct lab_buf *b, const char *path, const struct lab *lab)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		int drop = strncmp(line, "# ", 2) == 0 &&
			   (strstr(line, "the lab's generated credentials") || strstr(line, "labctl keeps the same values") ||
			    strstr(line, "(this lab has none)"));
		for (size_t i = 0; i < lab->credentials.n && !drop; i++) {
			size_t n = strlen(lab->credentials.v[i]);
			drop = strncmp(line, lab->credentials.v[i], n) == 0 && line[n] == '=';
		}
		if (!drop)
			lab_buf_puts(b, line);
	}
	free(line);
	fclose(f);
}

/* DIR/.env: the lab's credentials, read from labctl's state for the lab
 * (generated and stored there on first use, as `up` would), so that the
 * Compose copy and labctl use the same passwords on the same volumes.
 * Other lines of an existing .env are kept. */
static int write_env(const struct lab *lab, const char *dir)
{
	char *path = lab_xasprintf("%s/.env", dir);
	struct lab_buf b = LAB_BUF_INIT;
	lab_buf_puts(&b, "");
	keep_env_lines(&b, path, lab);
	if (b.len && b.data[b.len - 1] != '\n')
		lab_buf_puts(&b, "\n");
	lab_buf_printf(&b,
		       "# %s: the lab's generated credentials, for the docker-compose.yml beside\n"
		       "# this file (labctl keeps the same values in its state directory). Keep it private.\n%s",
		       lab->project, lab->credentials.n ? "" : "# (this lab has none)\n");
	for (size_t i = 0; i < lab->credentials.n; i++) {
		char *v = NULL;
		struct lab_err err = {0};
		if (lab_state_credential(&v, lab->project, lab->credentials.v[i], 1, &err) < 0) {
			lab_buf_release(&b);
			free(path);
			return cmd_fail(&err);
		}
		lab_buf_printf(&b, "%s=%s\n", lab->credentials.v[i], v);
		free(v);
	}
	/* a new file each time (rename), created 0600 */
	int rc = write_file(path, b.data, b.len, 0600);
	free(path);
	lab_buf_release(&b);
	return rc < 0 ? LAB_EXIT_FAIL : 0;
}

static int cmd_export(const struct cmd_entry *cmd, struct cmd_args *args)
{
	int code = 0;
	const char *file = cmd_opt(cmd, args, "file");
	const char *outdir = cmd_opt(cmd, args, "output");
	if (args->pos.n < 1 || strcmp(args->pos.v[0], "compose") != 0) {
		code = cmd_usage_error(cmd, args->pos.n ? "unknown format '%s': the one format is compose"
						       : "name the format: labctl export compose LAB",
				       args->pos.n ? args->pos.v[0] : "");
		goto out;
	}
	if (args->pos.n > 2 || (args->pos.n == 2 && file)) {
		code = cmd_usage_error(cmd, "give one lab, by name or with -f FILE");
		goto out;
	}
	if (args->pos.n < 2 && !file) {
		code = cmd_usage_error(cmd, "name a lab or give -f FILE");
		goto out;
	}
	char *path = cmd_lab_path(args->pos.n == 2 ? args->pos.v[1] : NULL, file);
	if (!path) {
		code = LAB_EXIT_USAGE;
		goto out;
	}
	struct lab_strv marks = LAB_STRV_INIT;
	struct lab_load_opts opts = {0};
	opts.project = cmd_opt(cmd, args, "project-name");
	opts.credential = lab_export_credential_ref;
	opts.credential_ud = &marks;
	struct lab *lab = NULL;
	struct lab_err err = {0};
	if (lab_load(&lab, path, &opts, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		code = LAB_EXIT_USAGE;
		goto done;
	}
	char *base = NULL;
	if (outdir) {
		if (make_dirs(outdir) < 0) {
			fprintf(stderr, "labctl: cannot create %s: %s\n", outdir, strerror(errno));
			code = LAB_EXIT_FAIL;
			goto done;
		}
		base = realpath(outdir, NULL);
	} else {
		base = getcwd(NULL, 0);
	}
	if (!base) {
		fprintf(stderr, "labctl: %s: %s\n", outdir ? outdir : "current directory", strerror(errno));
		code = LAB_EXIT_FAIL;
		goto done;
	}
	struct lab_buf yml = LAB_BUF_INIT;
	if (lab_export_compose(lab, base, &yml, &err) < 0) {
		code = cmd_fail(&err);
	} else if (!outdir) {
		fwrite(yml.data, 1, yml.len, stdout);
		code = cmd_finish(0);
	} else {
		char *yp = lab_xasprintf("%s/docker-compose.yml", outdir);
		code = write_file(yp, yml.data, yml.len, 0644) < 0 ? LAB_EXIT_FAIL : 0;
		int env = !cmd_opt(cmd, args, "no-env");
		if (code == 0 && env)
			code = write_env(lab, outdir);
		if (code == 0)
			fprintf(stderr, "wrote %s%s\n", yp, env ? " and .env (0600)" : "");
		free(yp);
	}
	lab_buf_release(&yml);
	free(base);
done:
	lab_free(lab);
	lab_strv_free(&marks);
	free(path);
out:
	return code;
}
