#include "state.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
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

char *lab_state_root(void)
{
	const char *d = getenv("LABCTL_STATE_DIR");
	if (d && *d)
		return lab_xstrdup(d);
	const char *xdg = getenv("XDG_STATE_HOME");
	if (xdg && *xdg)
		return lab_xasprintf("%s/labctl", xdg);
	const char *home = getenv("HOME");
	return lab_xasprintf("%s/.local/state/labctl", home && *home ? home : "/tmp");
}

char *lab_state_dir(const char *project)
{
	if (!lab_state_name_ok(project))
		return NULL;
	char *root = lab_state_root();
	char *dir = lab_xasprintf("%s/%s", root, project);
	free(root);
	return dir;
}

static int mkdir_p(const char *path, mode_t mode);

int lab_state_mkdir(const char *dir, struct lab_err *err)
{
	if (mkdir_p(dir, 0700) < 0)
		return lab_err_set(err, LAB_ERR, "cannot create '%s': %s", dir, strerror(errno));
	return 0;
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

/* The whole of file into *out; an absent file is empty. */
static int read_all(struct lab_buf *out, const char *file)
{
	FILE *f = fopen(file, "r");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		lab_buf_append(out, chunk, n);
	int bad = ferror(f);
	fclose(f);
	return bad ? -1 : 0;
}

/* file becomes text, whole: written to a temporary file beside it (0600,
 * synced) that is renamed over it. The caller holds the directory's lock,
 * so the temporary file's name is its alone. */
int lab_state_replace_file(const char *file, const struct lab_buf *text, struct lab_err *err)
{
	char *tmp = lab_xasprintf("%s.tmp", file);
	int rc = 0;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = lab_err_set(err, LAB_ERR, "cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	ssize_t w = fchmod(fd, 0600) == 0 ? write(fd, text->data, text->len) : -1;
	if (w != (ssize_t)text->len || fsync(fd) < 0) {
		rc = lab_err_set(err, LAB_ERR, "cannot write '%s': %s", tmp, w < 0 ? strerror(errno) : "short write");
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) < 0 || rename(tmp, file) < 0) {
		rc = lab_err_set(err, LAB_ERR, "cannot write '%s': %s", file, strerror(errno));
		unlink(tmp);
	}
out:
	free(tmp);
	return rc;
}

int lab_state_credential(char **value, const char *project, const char *name, int generate,
			 struct lab_err *err)
{
	char *dir = lab_state_dir(project);
	char *file = NULL;
	struct lab_buf text = LAB_BUF_INIT;
	int dfd = -1;
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
	/* one writer at a time: an flock on the directory itself (the
	   file is replaced, so it cannot carry the lock) */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int locked = -1;
	if (dfd >= 0)
		while ((locked = flock(dfd, LOCK_EX)) < 0 && errno == EINTR)
			;
	if (locked < 0) {
		rc = lab_err_set(err, LAB_ERR, "cannot lock '%s': %s", dir, strerror(errno));
		goto out;
	}
	/* whoever held the lock before may have stored it */
	rc = read_value(value, file, name);
	if (rc == LAB_ERR) {
		rc = lab_err_set(err, LAB_ERR, "cannot read '%s': %s", file, strerror(errno));
		goto out;
	}
	if (rc == 0)
		goto out;
	if (random_secret(secret) < 0) {
		rc = lab_err_set(err, LAB_ERR, "cannot read /dev/urandom: %s", strerror(errno));
		goto out;
	}
	if (read_all(&text, file) < 0) {
		rc = lab_err_set(err, LAB_ERR, "cannot read '%s': %s", file, strerror(errno));
		goto out;
	}
	if (text.len && text.data[text.len - 1] != '\n')
		lab_buf_puts(&text, "\n");
	lab_buf_printf(&text, "%s=%s\n", name, secret);
	rc = lab_state_replace_file(file, &text, err);
	if (rc == 0)
		*value = lab_xstrdup(secret);
out:
	if (dfd >= 0)
		close(dfd);
	lab_buf_release(&text);
	free(dir);
	free(file);
	return rc;
}

/* ---- the per-lab lock ---- */

struct lab_state_lock {
	int fd;
};

/* The pid a holder wrote in the lock file, 0 when none (yet). */
static long lock_holder(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

int lab_state_lock(struct lab_state_lock **out, const char *project, lab_state_wait_fn on_wait, void *ud,
		   struct lab_err *err)
{
	*out = NULL;
	/* down takes a name as given when no lab file has it: never a path */
	char *dir = lab_state_dir(project);
	if (!dir)
		return lab_err_set(err, LAB_EINPUT, "invalid project name '%s'", project ? project : "");
	char *file = lab_xasprintf("%s/lock", dir);
	int fd = -1, rc = 0;
	if (mkdir_p(dir, 0700) < 0) {
		rc = lab_err_set(err, LAB_ERR, "cannot create '%s': %s", dir, strerror(errno));
		goto out;
	}
	fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = lab_err_set(err, LAB_ERR, "cannot open '%s': %s", file, strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			rc = lab_err_set(err, LAB_ERR, "cannot lock '%s': %s", file, strerror(errno));
			goto out;
		}
		if (on_wait) {
			/* the holder writes its pid right after it got the lock:
			   give it 100 ms to do so */
			long pid = 0;
			for (int i = 0; i < 20 && !(pid = lock_holder(fd)); i++)
				nanosleep(&(struct timespec){0, 5000000L}, NULL);
			on_wait(pid, ud);
		}
		while (flock(fd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				rc = lab_err_set(err, LAB_ERR, "cannot lock '%s': %s", file, strerror(errno));
				goto out;
			}
		}
	}
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		rc = lab_err_set(err, LAB_ERR, "cannot write '%s': %s", file, strerror(errno));
		goto out;
	}
	*out = lab_xmalloc(sizeof(**out));
	(*out)->fd = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(file);
	free(dir);
	return rc;
}

void lab_state_unlock(struct lab_state_lock *lock)
{
	if (!lock)
		return;
	/* no pid left behind for the next one to name; closing releases */
	if (ftruncate(lock->fd, 0) < 0) {
		/* the lock is released all the same */
	}
	close(lock->fd);
	free(lock);
}
