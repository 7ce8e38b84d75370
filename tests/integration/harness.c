#include "harness.h"

#include <criterion/criterion.h>
#include <criterion/hooks.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static char *vfmt(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	return s;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return strdup("");
	size_t cap = 4096, len = 0;
	char *s = malloc(cap);
	size_t n;
	while ((n = fread(s + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2)
			s = realloc(s, cap *= 2);
	}
	s[len] = '\0';
	fclose(f);
	return s;
}

void it_run(struct it_run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = vfmt(fmt, ap);
	va_end(ap);
	char outp[] = "/tmp/labctl-it-out-XXXXXX", errp[] = "/tmp/labctl-it-err-XXXXXX";
	int fo = mkstemp(outp), fe = mkstemp(errp);
	close(fo);
	close(fe);
	char *full = NULL;
	if (asprintf(&full, "( %s ) >%s 2>%s </dev/null", cmd, outp, errp) < 0)
		abort();
	int st = system(full);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	r->out = slurp(outp);
	r->err = slurp(errp);
	unlink(outp);
	unlink(errp);
	free(full);
	free(cmd);
}

void it_run_free(struct it_run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

char *it_sh(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = vfmt(fmt, ap);
	va_end(ap);
	struct it_run r;
	it_run(&r, "%s", cmd);
	free(cmd);
	free(r.err);
	size_t len = strlen(r.out);
	while (len && (r.out[len - 1] == '\n' || r.out[len - 1] == ' ' || r.out[len - 1] == '\r'))
		r.out[--len] = '\0';
	return r.out;
}

int it_lines(const char *s)
{
	int n = 0, in = 0;
	for (; *s; s++) {
		if (*s == '\n') {
			n += in;
			in = 0;
		} else {
			in = 1;
		}
	}
	return n + in;
}

const char *it_labctl(void)
{
	const char *p = getenv("LABCTL");
	return p && *p ? p : "build/labctl";
}

const char *it_repo(void)
{
	static char cwd[1024];
	const char *p = getenv("LABCTL_REPO");
	if (p && *p)
		return p;
	if (!getcwd(cwd, sizeof(cwd)))
		abort();
	return cwd;
}

static char *substitute(const char *yaml, const struct it_lab *lab)
{
	size_t cap = strlen(yaml) * 2 + 4096, len = 0;
	char *out = malloc(cap);
	for (const char *s = yaml; *s;) {
		const char *rep = NULL;
		size_t skip = 0;
		if (strncmp(s, "@NAME@", 6) == 0)
			rep = lab->project, skip = 6;
		else if (strncmp(s, "@REPO@", 6) == 0)
			rep = it_repo(), skip = 6;
		if (rep) {
			size_t rl = strlen(rep);
			if (len + rl + 1 >= cap)
				out = realloc(out, cap = cap * 2 + rl);
			memcpy(out + len, rep, rl);
			len += rl;
			s += skip;
		} else {
			if (len + 2 >= cap)
				out = realloc(out, cap *= 2);
			out[len++] = *s++;
		}
	}
	out[len] = '\0';
	return out;
}

void it_lab_write(struct it_lab *lab, const char *yaml)
{
	char path[400];
	snprintf(path, sizeof(path), "%s/lab.yml", lab->dir);
	char *text = substitute(yaml, lab);
	FILE *f = fopen(path, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
	free(text);
}

void it_lab_make(struct it_lab *lab, const char *name, const char *yaml)
{
	/* Criterion runs each test in a worker whose parent is the runner:
	   the runner's pid names this run, and its hook below removes what a
	   failed assertion left behind */
	snprintf(lab->project, sizeof(lab->project), "it%d-%s", (int)getppid(), name);
	char tmpl[] = "/tmp/labctl-it-XXXXXX";
	if (!mkdtemp(tmpl))
		abort();
	snprintf(lab->dir, sizeof(lab->dir), "%s/%s", tmpl, lab->project);
	snprintf(lab->state, sizeof(lab->state), "%s/state", tmpl);
	char *cmd = NULL;
	if (asprintf(&cmd, "mkdir -p '%s' '%s'", lab->dir, lab->state) < 0 || system(cmd) != 0)
		abort();
	free(cmd);
	it_lab_write(lab, yaml);
}

void it_labctl_run(struct it_run *r, const struct it_lab *lab, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *args = vfmt(fmt, ap);
	va_end(ap);
	it_run(r, "LABCTL_STATE_DIR='%s' '%s' %s", lab->state, it_labctl(), args);
	free(args);
}

void it_lab_cleanup(struct it_lab *lab)
{
	struct it_run r;
	it_run(&r,
	       "ids=$(docker ps -aq --filter label=io.labctl.lab=%s); [ -z \"$ids\" ] || docker rm -f -v $ids;"
	       "ids=$(docker network ls -q --filter label=io.labctl.lab=%s); [ -z \"$ids\" ] || docker network rm $ids;"
	       "ids=$(docker volume ls -q --filter label=io.labctl.lab=%s); [ -z \"$ids\" ] || docker volume rm $ids;"
	       /* images the lab built that a later build replaced (untagged);
		  tagged ones may be shared images like labctl/compute:1 */
	       "ids=$(docker image ls -q --filter dangling=true --filter label=io.labctl.built-by=%s);"
	       " [ -z \"$ids\" ] || docker rmi $ids >/dev/null 2>&1;"
	       "rm -rf \"$(dirname '%s')\"",
	       lab->project, lab->project, lab->project, lab->project, lab->dir);
	it_run_free(&r);
}

int it_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		abort();
	close(fd);
	return ntohs(sa.sin_port);
}

static int count(const char *what, const char *project)
{
	char *out = it_sh("docker %s -q --filter label=io.labctl.lab=%s", what, project);
	int n = it_lines(out);
	free(out);
	return n;
}

int it_count_containers(const char *project)
{
	return count("ps -a", project);
}

int it_count_networks(const char *project)
{
	return count("network ls", project);
}

int it_count_volumes(const char *project)
{
	return count("volume ls", project);
}

char *it_container_id(const char *project, const char *service, int replica)
{
	return it_sh("docker ps -aq --no-trunc --filter label=io.labctl.lab=%s --filter label=io.labctl.service=%s "
		     "--filter label=io.labctl.replica=%d",
		     project, service, replica);
}

int it_up_endpoint(char *out, size_t n, const char *table, const char *service)
{
	char row[128];
	snprintf(row, sizeof(row), "\n%s ", service);
	const char *line = strncmp(table, row + 1, strlen(row + 1)) == 0 ? table : strstr(table, row);
	const char *eol = line ? strchr(line + 1, '\n') : NULL;
	const char *ep = line ? strstr(line, "127.0.0.1:") : NULL;
	if (!ep || (eol && ep > eol))
		return -1;
	size_t len = strcspn(ep, " \n");
	snprintf(out, n, "%.*s", (int)len, ep);
	return 0;
}

long it_created_after_start_ms(const char *later, const char *earlier)
{
	char *gap = it_sh("echo $(( $(date -d \"$(docker inspect -f '{{.Created}}' %s)\" +%%s%%N) / 1000000 - "
			  "$(date -d \"$(docker inspect -f '{{.State.StartedAt}}' %s)\" +%%s%%N) / 1000000 ))",
			  later, earlier);
	long ms = atol(gap);
	free(gap);
	return ms;
}

int it_remove_labelled(const char *label, const char *select)
{
	struct it_run r;
	/* containers first (with their anonymous volumes), then what they used */
	it_run(&r,
	       "sel() { %s; }; n=0;"
	       "ids=$(docker ps -a --filter label=%s --format '{{.ID}} {{.Label \"%s\"}}' | sel);"
	       "[ -z \"$ids\" ] || n=$((n + $(docker rm -f -v $ids | wc -l)));"
	       "ids=$(docker network ls --filter label=%s --format '{{.ID}} {{.Label \"%s\"}}' | sel);"
	       "[ -z \"$ids\" ] || n=$((n + $(docker network rm $ids | wc -l)));"
	       "ids=$(docker volume ls --filter label=%s --format '{{.Name}} {{.Label \"%s\"}}' | sel);"
	       "[ -z \"$ids\" ] || n=$((n + $(docker volume rm $ids | wc -l)));"
	       "echo $n",
	       select, label, label, label, label, label, label);
	int n = r.status == 0 ? atoi(r.out) : -1;
	it_run_free(&r);
	return n;
}

int it_reclaim(void)
{
	const char *v = getenv("LABCTL_IT_RECLAIM");
	return v && strcmp(v, "1") == 0;
}

/* Before all tests, in the runner, with LABCTL_IT_RECLAIM=1 (CI): remove
 * the labs of earlier runs that were cut off before their POST_ALL
 * (it<pid>- whose runner is gone), so their networks do not use up the
 * engine's address pools. */
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	(void)set;
	if (!it_reclaim())
		return;
	static const char gone[] = "while read -r id lab; do case $lab in it[0-9]*-*) p=${lab#it}; p=${p%%-*};"
				   " kill -0 \"$p\" 2>/dev/null || echo \"$id\";; esac; done";
	/* the labs, and the engines-in-containers of swarm/three_nodes_* */
	int n = it_remove_labelled("io.labctl.lab", gone);
	int m = it_remove_labelled("io.labctl.swarm-test", gone);
	n = n < 0 || m < 0 ? -1 : n + m;
	if (n != 0)
		fprintf(stderr, "harness: LABCTL_IT_RECLAIM=1: removed %d object(s) left by earlier runs\n", n);
}

/* After all tests, in the runner: remove every lab of this run that a
 * test aborted by a failed assertion did not clean up. */
ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	(void)stats;
	char select[100];
	snprintf(select, sizeof(select), "awk '$2 ~ /^it%d-/ {print $1}'", (int)getpid());
	it_remove_labelled("io.labctl.lab", select);
}
