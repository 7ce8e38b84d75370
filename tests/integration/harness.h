/* Integration test harness: drives the real labctl binary ($LABCTL)
 * against the real Docker engine and inspects results with the docker CLI,
 * independently of labctl's own engine client.
 *
 * Every test makes its labs under a fresh temporary directory with a
 * unique project name ("it<pid>-<name>") and removes everything carrying
 * that project's label when it ends. */
#ifndef LAB_IT_HARNESS_H
#define LAB_IT_HARNESS_H

#include <stddef.h>

struct it_run {
	int status;  /* exit code, or 128+signal */
	char *out;   /* stdout */
	char *err;   /* stderr */
};

/* Run a shell command line (sh -c), capturing stdout and stderr. */
void it_run(struct it_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void it_run_free(struct it_run *r);

/* Stdout of a shell command, trailing whitespace trimmed (caller frees). */
char *it_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Number of non-empty lines in s. */
int it_lines(const char *s);

/* Path of the labctl binary under test ($LABCTL, else build/labctl). */
const char *it_labctl(void);
/* Repository root ($LABCTL_REPO, else the current directory). */
const char *it_repo(void);

/* A lab under test: its directory and project name. */
struct it_lab {
	char dir[256];     /* temp dir holding lab.yml */
	char project[64];  /* unique project name */
	char state[300];   /* LABCTL_STATE_DIR for this test */
};

/* Make a lab named it<pid>-<name> whose lab.yml is yaml with "@NAME@"
 * replaced by the project name and "@REPO@" by the repository root. */
void it_lab_make(struct it_lab *lab, const char *name, const char *yaml);
/* Rewrite the lab's lab.yml (same substitutions). */
void it_lab_write(struct it_lab *lab, const char *yaml);
/* Run "labctl ARGS" with the lab's state dir; args may use %s etc. */
void it_labctl_run(struct it_run *r, const struct it_lab *lab, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Remove every container, network and volume labelled with the project,
 * the untagged images its builds left behind, and the temp dir. */
void it_lab_cleanup(struct it_lab *lab);

/* A TCP port free on 127.0.0.1 right now (for services that must
 * advertise their published port, like Kafka's host listener). */
int it_free_port(void);

/* Counts of engine objects carrying io.labctl.lab=<project>. */
int it_count_containers(const char *project);
int it_count_networks(const char *project);
int it_count_volumes(const char *project);
/* Id of the container of service/replica (caller frees; "" when none). */
char *it_container_id(const char *project, const char *service, int replica);

/* The loopback endpoint ("127.0.0.1:PORT") in service's row of up's
 * table, into out (size n). Returns 0, or -1 when the row has none. */
int it_up_endpoint(char *out, size_t n, const char *table, const char *service);

/* Milliseconds from container earlier's start to container later's
 * creation (ids), from docker inspect. */
long it_created_after_start_ms(const char *later, const char *earlier);

/* Remove every container (with its anonymous volumes), network and volume
 * carrying label (io.labctl.lab: labs) whose id and label value pass
 * select: a shell command reading "ID VALUE" lines and printing the ids to
 * remove. Returns how many were removed, -1 when the shell failed. */
int it_remove_labelled(const char *label, const char *select);

/* Whether LABCTL_IT_RECLAIM=1 (.ci/run sets it): leftovers of earlier,
 * interrupted test runs are removed rather than refused. Off on a
 * developer's machine, where a lab of the same name may be theirs. */
int it_reclaim(void);

#endif
