#include "instance.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "../util/hostport.h"
#include "../util/state.h"

const char *lab_instance_id_problem(const char *id)
{
	if (!id || !*id)
		return "must not be empty";
	if (strlen(id) > LAB_INSTANCE_ID_MAX)
		return "must be at most 32 characters";
	if (!(islower((unsigned char)id[0]) || isdigit((unsigned char)id[0])))
		return "must start with a lowercase letter or a digit";
	for (const char *s = id; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_' || *s == '-'))
			return "may hold only lowercase letters, digits, '_' and '-'";
	return NULL;
}

int lab_instance_id_ok(const char *id)
{
	return lab_instance_id_problem(id) == NULL;
}

char *lab_instance_project(const char *lab, const char *id)
{
	return lab_xasprintf("%s-%s", lab, id);
}

int lab_instance_port_range(int *lo, int *hi, struct lab_err *err)
{
	*lo = 20000;
	*hi = 29999;
	const char *r = getenv("LABCTL_PORT_RANGE");
	if (!r || !*r)
		return 0;
	char *end = NULL;
	errno = 0;
	long a = strtol(r, &end, 10);
	long b = -1;
	if (end && *end == '-' && isdigit((unsigned char)end[1]))
		b = strtol(end + 1, &end, 10);
	if (errno || !end || *end || b < 0)
		return lab_err_set(err, LAB_EINPUT, "invalid LABCTL_PORT_RANGE '%s': expected LO-HI, e.g. 20000-29999", r);
	if (a < 1024 || b > 65535 || a > b)
		return lab_err_set(err, LAB_EINPUT, "invalid LABCTL_PORT_RANGE '%s': need 1024 <= LO <= HI <= 65535", r);
	*lo = (int)a;
	*hi = (int)b;
	return 0;
}

/* The KEY of a published port (see instance.h). New string. */
static char *port_key(const struct lab_service *s, const struct lab_port *p)
{
	if (p->host_var)
		return lab_xstrdup(p->host_var);
	return lab_xasprintf("%s:%d/%s", s->name, p->container_port, p->protocol ? p->protocol : "tcp");
}

/* "KEY=PORT" lines of file into out (an absent file is empty). */
static int read_ports(struct lab_strv *out, const char *file)
{
	FILE *f = fopen(file, "r");
	if (!f)
		return errno == ENOENT ? 0 : -1;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		char *eq = strchr(line, '=');
		if (!eq || eq == line || atoi(eq + 1) <= 0 || atoi(eq + 1) > 65535)
			continue;
		lab_strv_push(out, line);
	}
	int bad = ferror(f);
	fclose(f);
	return bad ? -1 : 0;
}

/* Mark in used every port some project's ports.env under root records. */
static void mark_recorded(unsigned char *used, const char *root)
{
	DIR *d = opendir(root);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!lab_state_name_ok(de->d_name))
			continue;
		char *file = lab_xasprintf("%s/%s/ports.env", root, de->d_name);
		struct lab_strv ports = LAB_STRV_INIT;
		if (read_ports(&ports, file) == 0)
			for (size_t i = 0; i < ports.n; i++)
				used[atoi(strchr(ports.v[i], '=') + 1)] = 1;
		lab_strv_free(&ports);
		free(file);
	}
	closedir(d);
}

/* The lowest port of lo..hi not in used that can be bound on ip/proto
 * here; 0 when none. */
static int pick_port(unsigned char *used, int lo, int hi, const char *ip, const char *proto)
{
	for (int port = lo; port <= hi; port++) {
		if (used[port])
			continue;
		char *holder = NULL;
		struct lab_err ignore = {0};
		int rc = lab_hostport_check(&holder, ip, port, proto, &ignore);
		free(holder);
		if (rc == LAB_EEXISTS)
			continue;
		return port;
	}
	return 0;
}

int lab_instance_ports(struct lab_strv *out, const char *project, const struct lab *lab, int allocate,
		       struct lab_err *err)
{
	int lo, hi, rc = 0, lockfd = -1;
	if (lab_instance_port_range(&lo, &hi, err) < 0)
		return LAB_EINPUT;
	char *dir = lab_state_dir(project);
	if (!dir)
		return lab_err_set(err, LAB_EINPUT, "invalid project name '%s'", project ? project : "");
	char *root = lab_state_root();
	char *file = lab_xasprintf("%s/ports.env", dir);
	char *lockfile = lab_xasprintf("%s/ports.lock", root);
	struct lab_strv have = LAB_STRV_INIT, keys = LAB_STRV_INIT;
	struct lab_buf text = LAB_BUF_INIT;
	unsigned char *used = NULL;

	/* every distinct key, in service order */
	for (size_t i = 0; i < lab->n_services; i++)
		for (size_t k = 0; k < lab->services[i].n_ports; k++) {
			const struct lab_port *p = &lab->services[i].ports[k];
			if (!p->host_port)
				continue;
			char *key = port_key(&lab->services[i], p);
			if (lab_strv_find(&keys, key) < 0)
				lab_strv_take(&keys, key);
			else
				free(key);
		}
	if (keys.n == 0)
		goto out;
	if (!allocate) {
		if (read_ports(&have, file) < 0)
			rc = lab_err_set(err, LAB_ERR, "cannot read '%s': %s", file, strerror(errno));
		for (size_t i = 0; rc == 0 && i < keys.n; i++) {
			const char *v = lab_strv_value(&have, keys.v[i]);
			if (v)
				lab_strv_pushf(out, "%s=%s", keys.v[i], v);
		}
		goto out;
	}
	if ((rc = lab_state_mkdir(root, err)) < 0 || (rc = lab_state_mkdir(dir, err)) < 0)
		goto out;
	lockfd = open(lockfile, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lockfd < 0) {
		rc = lab_err_set(err, LAB_ERR, "cannot open '%s': %s", lockfile, strerror(errno));
		goto out;
	}
	while (flock(lockfd, LOCK_EX) < 0)
		if (errno != EINTR) {
			rc = lab_err_set(err, LAB_ERR, "cannot lock '%s': %s", lockfile, strerror(errno));
			goto out;
		}
	if (read_ports(&have, file) < 0) {
		rc = lab_err_set(err, LAB_ERR, "cannot read '%s': %s", file, strerror(errno));
		goto out;
	}
	int added = 0;
	for (size_t i = 0; i < keys.n; i++) {
		if (lab_strv_find_key(&have, keys.v[i]) >= 0)
			continue;
		if (!used) {
			used = lab_xcalloc(65536, 1);
			mark_recorded(used, root);
		}
		/* the host_ip and protocol of the key's first port */
		const char *ip = "127.0.0.1", *proto = "tcp";
		int found = 0;
		for (size_t s = 0; s < lab->n_services && !found; s++)
			for (size_t k = 0; k < lab->services[s].n_ports && !found; k++) {
				const struct lab_port *p = &lab->services[s].ports[k];
				char *key = p->host_port ? port_key(&lab->services[s], p) : NULL;
				if ((found = key && strcmp(key, keys.v[i]) == 0)) {
					ip = p->host_ip ? p->host_ip : ip;
					proto = p->protocol ? p->protocol : proto;
				}
				free(key);
			}
		int port = pick_port(used, lo, hi, ip, proto);
		if (!port) {
			rc = lab_err_set(err, LAB_ERR,
					 "no free host port left in %d-%d for '%s' of '%s' (set LABCTL_PORT_RANGE to a wider "
					 "range, or take down instances no longer needed)",
					 lo, hi, keys.v[i], project);
			goto out;
		}
		used[port] = 1;
		lab_strv_pushf(&have, "%s=%d", keys.v[i], port);
		added = 1;
	}
	if (added) {
		lab_buf_puts(&text, "# host ports of this lab instance, allocated by labctl once (KEY=PORT)\n");
		for (size_t i = 0; i < have.n; i++)
			lab_buf_printf(&text, "%s\n", have.v[i]);
		if ((rc = lab_state_replace_file(file, &text, err)) < 0)
			goto out;
	}
	for (size_t i = 0; i < keys.n; i++) {
		const char *v = lab_strv_value(&have, keys.v[i]);
		lab_strv_pushf(out, "%s=%s", keys.v[i], v);
	}
out:
	if (lockfd >= 0)
		close(lockfd);
	free(used);
	lab_buf_release(&text);
	lab_strv_free(&have);
	lab_strv_free(&keys);
	free(lockfile);
	free(file);
	free(root);
	free(dir);
	return rc;
}

void lab_instance_port_vars(struct lab_strv *vars, const struct lab_strv *ports)
{
	for (size_t i = 0; i < ports->n; i++)
		if (!strchr(ports->v[i], ':'))
			lab_strv_push(vars, ports->v[i]);
}

void lab_instance_apply_ports(struct lab *lab, const struct lab_strv *ports)
{
	for (size_t i = 0; i < lab->n_services; i++)
		for (size_t k = 0; k < lab->services[i].n_ports; k++) {
			struct lab_port *p = &lab->services[i].ports[k];
			if (!p->host_port)
				continue;
			char *key = port_key(&lab->services[i], p);
			const char *v = lab_strv_value(ports, key);
			p->host_port = v ? atoi(v) : 0;
			free(key);
		}
}

int lab_roster_read(struct lab_strv *ids, const char *path, struct lab_err *err)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return lab_err_set(err, errno == ENOENT ? LAB_ENOTFOUND : LAB_ERR, "cannot read roster '%s': %s", path,
				   strerror(errno));
	struct lab_err found = {0};
	struct lab_strv lines = LAB_STRV_INIT; /* line number of each id, as text */
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0;
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		line[strcspn(line, "#\r\n")] = '\0';
		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		char *e = s + strlen(s);
		while (e > s && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (!*s)
			continue;
		int col = (int)(s - line) + 1;
		const char *why = lab_instance_id_problem(s);
		long dup = why ? -1 : lab_strv_find(ids, s);
		if (why)
			lab_err_append(&found, LAB_EINPUT, "%s:%d:%d: invalid student id '%.40s%s': %s", path, lineno, col, s,
				       strlen(s) > 40 ? "..." : "", why);
		else if (dup >= 0)
			lab_err_append(&found, LAB_EINPUT, "%s:%d:%d: student '%s' is already on line %s", path, lineno, col,
				       s, lines.v[dup]);
		else {
			lab_strv_push(ids, s);
			lab_strv_pushf(&lines, "%d", lineno);
		}
	}
	int bad = ferror(f);
	fclose(f);
	free(line);
	lab_strv_free(&lines);
	if (bad)
		return lab_err_set(err, LAB_ERR, "cannot read roster '%s': %s", path, strerror(errno));
	if (found.code) {
		*err = found;
		return LAB_EINPUT;
	}
	if (ids->n == 0)
		return lab_err_set(err, LAB_EINPUT, "roster '%s' names no student", path);
	return 0;
}
