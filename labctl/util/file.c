/* Reading a file that came with a lab (or a build context) without
 * trusting it: a regular file of bounded size only. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

/* What a file that is not a regular file is, for messages. */
static const char *file_kind(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	return "a file of another kind";
}

int lab_read_file(struct lab_buf *out, const char *path, size_t max, char **msg)
{
	int rc = 0, fd = -1;
	struct stat st;
	*msg = NULL;
	/* stat first: opening a FIFO would block, opening a device may act */
	if (stat(path, &st) < 0) {
		rc = errno == ENOENT || errno == ENOTDIR ? LAB_ENOTFOUND : LAB_EINPUT;
		*msg = lab_xasprintf("cannot be read: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode))
		goto not_regular;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		rc = errno == ENOENT ? LAB_ENOTFOUND : LAB_EINPUT;
		*msg = lab_xasprintf("cannot be read: %s", strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) /* replaced since the stat */
		goto not_regular;
	/* /proc and /sys "files" are regular but may block (/proc/kmsg) or
	   never end */
	struct statfs sfs;
	if (fstatfs(fd, &sfs) == 0 && (sfs.f_type == PROC_SUPER_MAGIC || sfs.f_type == SYSFS_MAGIC)) {
		rc = LAB_EINPUT;
		*msg = lab_xstrdup("is a kernel pseudo-file (/proc, /sys), not a regular file");
		goto out;
	}
	if ((unsigned long long)st.st_size > max)
		goto too_large;
	char chunk[65536];
	for (;;) {
		ssize_t got = read(fd, chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = LAB_EINPUT;
			*msg = lab_xasprintf("cannot be read: %s", strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		if (out->len + (size_t)got > max) /* grew since the fstat, or /proc */
			goto too_large;
		lab_buf_append(out, chunk, (size_t)got);
	}
	lab_buf_puts(out, ""); /* "" rather than NULL data for an empty file */
	goto out;
not_regular:
	rc = LAB_EINPUT;
	*msg = lab_xasprintf("is %s, not a regular file", file_kind(st.st_mode));
	goto out;
too_large:
	rc = LAB_EINPUT;
	if (max % (1 << 20) == 0)
		*msg = lab_xasprintf("is larger than %zu MiB", max >> 20);
	else
		*msg = lab_xasprintf("is larger than %zu bytes", max);
out:
	if (fd >= 0)
		close(fd);
	if (rc)
		lab_buf_release(out);
	return rc;
}
