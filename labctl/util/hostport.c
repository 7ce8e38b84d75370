/* lab_hostport_check: bind to find out, /proc to name the holder. */
#include "hostport.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"

/* An address in either family. */
struct addr {
	int family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} u;
};

static int is_any(const struct addr *a)
{
	if (a->family == AF_INET)
		return a->u.v4.s_addr == INADDR_ANY;
	return IN6_IS_ADDR_UNSPECIFIED(&a->u.v6);
}

/* Does a socket bound to have take what want asks for? The same address,
 * or either is the wildcard; an IPv6 socket on :: (dual stack) or on
 * ::ffff:a.b.c.d also takes IPv4. */
static int covers(const struct addr *have, const struct addr *want)
{
	if (is_any(have) || is_any(want))
		return 1;
	if (have->family == want->family)
		return have->family == AF_INET ? have->u.v4.s_addr == want->u.v4.s_addr
					       : memcmp(&have->u.v6, &want->u.v6, sizeof(want->u.v6)) == 0;
	if (have->family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&have->u.v6))
		return memcmp(&have->u.v6.s6_addr[12], &want->u.v4, 4) == 0;
	return 0;
}

/* A /proc/net address: 8 hex digits (IPv4) or 32 (IPv6), each 32-bit
 * word printed as the host-order value of its network-order bytes. */
static int proc_addr(struct addr *a, const char *hex)
{
	size_t n = strlen(hex);
	char word[9] = {0};
	if (n == 8) {
		a->family = AF_INET;
		a->u.v4.s_addr = (uint32_t)strtoul(hex, NULL, 16);
		return 0;
	}
	if (n != 32)
		return -1;
	a->family = AF_INET6;
	for (int i = 0; i < 4; i++) {
		memcpy(word, hex + 8 * i, 8);
		uint32_t w = (uint32_t)strtoul(word, NULL, 16);
		memcpy(&a->u.v6.s6_addr[4 * i], &w, 4);
	}
	return 0;
}

/* Inodes of the sockets in /proc/net/<proto>{,6} bound to a port that
 * covers want: listening for tcp (state 0A), any for udp. */
static void bound_inodes(struct lab_strv *inodes, const struct addr *want, int port, const char *proto)
{
	for (int six = 0; six < 2; six++) {
		char path[32];
		snprintf(path, sizeof(path), "/proc/net/%s%s", proto, six ? "6" : "");
		FILE *f = fopen(path, "r");
		char line[512];
		if (!f)
			continue;
		if (!fgets(line, sizeof(line), f)) { /* the header */
			fclose(f);
			continue;
		}
		while (fgets(line, sizeof(line), f)) {
			char hex[33];
			unsigned lport = 0, st = 0;
			unsigned long inode = 0;
			struct addr have;
			if (sscanf(line, " %*d: %32[0-9A-Fa-f]:%X %*s %X %*s %*s %*s %*u %*u %lu", hex, &lport, &st,
				   &inode) != 4)
				continue;
			if ((int)lport != port || !inode || proc_addr(&have, hex) < 0 || !covers(&have, want))
				continue;
			if (strcmp(proto, "tcp") == 0 && st != 0x0A)
				continue;
			lab_strv_pushf(inodes, "socket:[%lu]", inode);
		}
		fclose(f);
	}
}

/* "process PID (CMDLINE)" for pid, or NULL when its command line cannot
 * be read. */
static char *describe(const char *pid)
{
	char path[300], buf[256];
	snprintf(path, sizeof(path), "/proc/%s/cmdline", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		/* a kernel thread or a zombie: its name then */
		snprintf(path, sizeof(path), "/proc/%s/comm", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n <= 0)
			return NULL;
	}
	buf[n] = '\0';
	/* the program's name without its directory, then its arguments */
	char *prog = buf, *slash = NULL;
	for (char *q = buf; *q; q++)
		if (*q == '/')
			slash = q;
	if (slash && slash[1])
		prog = slash + 1;
	n -= prog - buf;
	for (ssize_t i = 0; i < n; i++)
		if (prog[i] == '\0' || !isprint((unsigned char)prog[i]))
			prog[i] = ' ';
	while (n > 0 && prog[n - 1] == ' ')
		prog[--n] = '\0';
	if (n > 80)
		memcpy(prog + 77, "...", 4);
	return lab_xasprintf("process %s (%s)", pid, prog);
}

/* The first process (by /proc order) with one of inodes open. */
static char *find_holder(const struct lab_strv *inodes)
{
	DIR *proc = opendir("/proc");
	struct dirent *p;
	char *who = NULL;
	while (proc && !who && (p = readdir(proc))) {
		if (!isdigit((unsigned char)p->d_name[0]))
			continue;
		char path[300];
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		DIR *fds = opendir(path); /* EACCES for another user's process */
		struct dirent *fd;
		while (fds && !who && (fd = readdir(fds))) {
			char link[600], target[64];
			snprintf(link, sizeof(link), "/proc/%s/fd/%s", p->d_name, fd->d_name);
			ssize_t n = readlink(link, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			if (lab_strv_find(inodes, target) >= 0)
				who = describe(p->d_name);
		}
		if (fds)
			closedir(fds);
	}
	if (proc)
		closedir(proc);
	return who;
}

int lab_hostport_check(char **holder, const char *ip, int port, const char *proto, struct lab_err *err)
{
	struct addr want = {0};
	*holder = NULL;
	int tcp = strcmp(proto, "tcp") == 0;
	if (!tcp && strcmp(proto, "udp") != 0)
		return lab_err_set(err, LAB_EINPUT, "protocol '%s' is not tcp or udp", proto);
	if (inet_pton(AF_INET, ip, &want.u.v4) == 1)
		want.family = AF_INET;
	else if (inet_pton(AF_INET6, ip, &want.u.v6) == 1)
		want.family = AF_INET6;
	else
		return lab_err_set(err, LAB_EINPUT, "'%s' is not an IP address", ip);
	struct sockaddr_storage ss = {0};
	socklen_t len;
	if (want.family == AF_INET) {
		struct sockaddr_in *sa = (struct sockaddr_in *)&ss;
		sa->sin_family = AF_INET;
		sa->sin_port = htons((uint16_t)port);
		sa->sin_addr = want.u.v4;
		len = sizeof(*sa);
	} else {
		struct sockaddr_in6 *sa = (struct sockaddr_in6 *)&ss;
		sa->sin6_family = AF_INET6;
		sa->sin6_port = htons((uint16_t)port);
		sa->sin6_addr = want.u.v6;
		len = sizeof(*sa);
	}
	int fd = socket(want.family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return lab_err_set(err, LAB_ERR, "cannot make a socket to check port %d: %s", port, strerror(errno));
	int one = 1;
	if (tcp)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	int rc = bind(fd, (struct sockaddr *)&ss, len);
	int saved = errno;
	close(fd);
	if (rc == 0 || saved != EADDRINUSE)
		return 0; /* free, or not ours to judge (EADDRNOTAVAIL, EACCES below 1024) */
	struct lab_strv inodes = LAB_STRV_INIT;
	bound_inodes(&inodes, &want, port, tcp ? "tcp" : "udp");
	if (inodes.n)
		*holder = find_holder(&inodes);
	lab_strv_free(&inodes);
	return LAB_EEXISTS;
}
