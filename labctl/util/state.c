#include "state.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

int lab_state_name_ok(const char *project)
{
	const char *s = project;
	if (!s || !(islower((unsigned char)*s) || isdigit((unsigned char)*s)))
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

char *lab_state_dir(const char *project)
{
	if (!lab_state_name_ok(project))
		return NULL;
	const char *d = getenv("LABCTL_STATE_DIR");
	if (d && *d)
		return lab_xasprintf("%s/%s", d, project);
	const char *xdg = getenv("XDG_STATE_HOME");
	if (xdg && *xdg)
		return lab_xasprintf("%s/labctl/%s", xdg, project);
	const char *home = getenv("HOME");
	return lab_xasprintf("%s/.local/state/labctl/%s", home && *home ? home : "/tmp", project);
}

static int mkdir_p(const char *path, mode_t mode)
{
	char *p = lab_xstrdup(path);
	int rc = 0;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (rc == 0 && mkdir(p, mode) < 0 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

static int read_value(char **value, const char *file, const char *name)
{
	FILE *f = fopen(file, "r");
	if (!f)
		return errno == ENOENT ? LAB_ENOTFOUND : LAB_ERR;
	char line[1024];
	size_t nl = strlen(name);
	int rc = LAB_ENOTFOUND;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, name, nl) == 0 && line[nl] == '=') {
			*value = lab_xstrdup(line + nl + 1);
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

static int random_secret(char out[25])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char raw[24];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, raw, sizeof(raw));
	close(fd);
	if (n != (ssize_t)sizeof(raw))
		return -1;
	for (size_t i = 0; i < sizeof(raw); i++)
		out[i] = alphabet[raw[i] % 62];
	out[24] = '\0';
	return 0;
}

int lab_state_credential(char **value, const char *project, const char *name, int generate,
			 struct lab_err *err)
{
	char *dir = lab_state_dir(project);
	char *file = NULL;
	int rc;
	if (!dir) {
		rc = lab_err_set(err, LAB_EINPUT, "invalid project name '%s'", project ? project : "");
		goto out;
	}
	file = lab_xasprintf("%s/credentials.env", dir);
	rc = read_value(value, file, name);
	if (rc == LAB_ERR) {
		rc = lab_err_set(err, LAB_ERR, "cannot read '%s': %s", file, strerror(errno));
		goto out;
	}
	if (rc == 0 || !generate)
		goto out;
	char secret[25];
	if (mkdir_p(dir, 0700) < 0) {
		rc = lab_err_set(err, LAB_ERR, "cannot create '%s': %s", dir, strerror(errno));
		goto out;
	}
	if (random_secret(secret) < 0) {
		rc = lab_err_set(err, LAB_ERR, "cannot read /dev/urandom: %s", strerror(errno));
		goto out;
	}
	int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = lab_err_set(err, LAB_ERR, "cannot write '%s': %s", file, strerror(errno));
		goto out;
	}
	fchmod(fd, 0600);
	char *line = lab_xasprintf("%s=%s\n", name, secret);
	ssize_t w = write(fd, line, strlen(line));
	int saved = errno;
	free(line);
	if (close(fd) < 0 || w < 0) {
		rc = lab_err_set(err, LAB_ERR, "cannot write '%s': %s", file, strerror(w < 0 ? saved : errno));
		goto out;
	}
	*value = lab_xstrdup(secret);
	rc = 0;
out:
	free(dir);
	free(file);
	return rc;
}
