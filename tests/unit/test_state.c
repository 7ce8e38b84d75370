/* util/state.c: credentials written once when several labctl race to make
 * them, and the per-lab lock. Each test uses its own LABCTL_STATE_DIR. */
#include <criterion/criterion.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../labctl/util/buf.h"
#include "../../labctl/util/state.h"

static char st_dir[64];

static void st_setup(void)
{
	snprintf(st_dir, sizeof(st_dir), "/tmp/labctl-st-XXXXXX");
	cr_assert_not_null(mkdtemp(st_dir));
	setenv("LABCTL_STATE_DIR", st_dir, 1);
}

static void st_teardown(void)
{
	char *cmd = lab_xasprintf("rm -rf '%s'", st_dir);
	cr_expect_eq(system(cmd), 0);
	free(cmd);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return lab_xstrdup("");
	struct lab_buf b = LAB_BUF_INIT;
	char chunk[512];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		lab_buf_append(&b, chunk, n);
	fclose(f);
	return lab_buf_detach(&b);
}

/* ---- credentials: one value whoever asks first ---- */

#define RACERS 8

struct racer {
	const char *project;
	const char *name;
	pthread_barrier_t *go;
	char *value;
	int rc;
	struct lab_err err;
};

static void *race(void *arg)
{
	struct racer *r = arg;
	pthread_barrier_wait(r->go);
	r->rc = lab_state_credential(&r->value, r->project, r->name, 1, &r->err);
	return NULL;
}

/* Threads of one process: each opens its own descriptors, as two labctl
 * processes would. Many rounds, since a lost race needs bad timing. */
Test(state, first_credential_is_written_once_by_racing_threads, .init = st_setup, .fini = st_teardown)
{
	for (int round = 0; round < 40; round++) {
		char project[32];
		snprintf(project, sizeof(project), "race%d", round);
		pthread_barrier_t go;
		pthread_barrier_init(&go, NULL, RACERS);
		struct racer rs[RACERS];
		pthread_t th[RACERS];
		for (int i = 0; i < RACERS; i++) {
			rs[i] = (struct racer){.project = project, .name = i % 2 ? "PW" : "KEY", .go = &go};
			cr_assert_eq(pthread_create(&th[i], NULL, race, &rs[i]), 0);
		}
		for (int i = 0; i < RACERS; i++)
			pthread_join(th[i], NULL);
		pthread_barrier_destroy(&go);
		for (int i = 0; i < RACERS; i++) {
			cr_assert_eq(rs[i].rc, 0, "round %d: %s", round, rs[i].err.msg);
			cr_assert_eq(strlen(rs[i].value), 24);
		}
		for (int i = 2; i < RACERS; i++)
			cr_assert_str_eq(rs[i].value, rs[i % 2].value, "round %d: two values for %s", round, rs[i].name);
		cr_assert_str_neq(rs[0].value, rs[1].value);
		/* the file holds each name once, with the value every racer got */
		char *path = lab_xasprintf("%s/%s/credentials.env", st_dir, project);
		char *text = slurp(path);
		char *want1 = lab_xasprintf("KEY=%s\nPW=%s\n", rs[0].value, rs[1].value);
		char *want2 = lab_xasprintf("PW=%s\nKEY=%s\n", rs[1].value, rs[0].value);
		cr_assert(strcmp(text, want1) == 0 || strcmp(text, want2) == 0, "round %d: file:\n%s", round, text);
		struct stat st;
		cr_assert_eq(stat(path, &st), 0);
		cr_expect_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);
		free(want1), free(want2), free(text), free(path);
		for (int i = 0; i < RACERS; i++)
			free(rs[i].value);
	}
}

/* Processes this time: the first up of two labctl at once. */
Test(state, first_credential_is_written_once_by_racing_processes, .init = st_setup, .fini = st_teardown)
{
	for (int round = 0; round < 20; round++) {
		char project[32];
		snprintf(project, sizeof(project), "procs%d", round);
		int pipes[4][2];
		pid_t pids[4];
		for (int i = 0; i < 4; i++) {
			cr_assert_eq(pipe(pipes[i]), 0);
			pids[i] = fork();
			cr_assert_geq(pids[i], 0);
			if (pids[i] == 0) {
				char *v = NULL;
				struct lab_err err = {0};
				close(pipes[i][0]);
				if (lab_state_credential(&v, project, "PW", 1, &err) < 0)
					_exit(1);
				ssize_t w = write(pipes[i][1], v, strlen(v));
				_exit(w == (ssize_t)strlen(v) ? 0 : 1);
			}
			close(pipes[i][1]);
		}
		char got[4][32];
		for (int i = 0; i < 4; i++) {
			ssize_t n = read(pipes[i][0], got[i], sizeof(got[i]) - 1);
			got[i][n > 0 ? n : 0] = '\0';
			close(pipes[i][0]);
			int status = 0;
			waitpid(pids[i], &status, 0);
			cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		}
		for (int i = 1; i < 4; i++)
			cr_assert_str_eq(got[i], got[0], "round %d: two labctl got two passwords", round);
		char *path = lab_xasprintf("%s/%s/credentials.env", st_dir, project);
		char *text = slurp(path);
		char *want = lab_xasprintf("PW=%s\n", got[0]);
		cr_assert_str_eq(text, want, "round %d", round);
		free(want), free(text), free(path);
	}
}

/* A value added later keeps the ones already there, and a stored one is
 * read back, not made again. */
Test(state, credentials_accumulate_and_are_read_back, .init = st_setup, .fini = st_teardown)
{
	char *a = NULL, *b = NULL, *a2 = NULL, *none = NULL;
	struct lab_err err = {0};
	cr_assert_eq(lab_state_credential(&none, "acc", "A", 0, &err), LAB_ENOTFOUND);
	cr_assert_eq(lab_state_credential(&a, "acc", "A", 1, &err), 0, "%s", err.msg);
	cr_assert_eq(lab_state_credential(&b, "acc", "B", 1, &err), 0, "%s", err.msg);
	cr_assert_eq(lab_state_credential(&a2, "acc", "A", 1, &err), 0, "%s", err.msg);
	cr_expect_str_eq(a2, a);
	char *path = lab_xasprintf("%s/acc/credentials.env", st_dir);
	char *text = slurp(path);
	char *want = lab_xasprintf("A=%s\nB=%s\n", a, b);
	cr_expect_str_eq(text, want);
	/* no temporary file left beside it */
	char *ls = lab_xasprintf("ls -A '%s/acc' | grep -v -x -e credentials.env -e lock | wc -l", st_dir);
	FILE *p = popen(ls, "r");
	int extra = -1;
	cr_assert(p && fscanf(p, "%d", &extra) == 1);
	pclose(p);
	cr_expect_eq(extra, 0, "files left in the state directory");
	free(ls), free(want), free(text), free(path), free(a), free(b), free(a2);
}

/* ---- the per-lab lock ---- */

struct waited {
	int calls;
	long pid;
};

static void on_wait(long pid, void *ud)
{
	struct waited *w = ud;
	w->calls++;
	w->pid = pid;
}

/* A second taker waits for the first, is told who holds it, and gets it
 * once the first lets go. */
Test(state, lab_lock_waits_for_its_holder_and_names_it, .init = st_setup, .fini = st_teardown)
{
	struct lab_err err = {0};
	int ready[2], release[2];
	cr_assert_eq(pipe(ready), 0);
	cr_assert_eq(pipe(release), 0);
	pid_t holder = fork();
	cr_assert_geq(holder, 0);
	if (holder == 0) {
		struct lab_state_lock *l = NULL;
		if (lab_state_lock(&l, "locked", NULL, NULL, &err) < 0)
			_exit(1);
		char c = 'x';
		if (write(ready[1], &c, 1) != 1 || read(release[0], &c, 1) != 1)
			_exit(1);
		lab_state_unlock(l);
		_exit(0);
	}
	char c;
	cr_assert_eq(read(ready[0], &c, 1), 1);

	/* release the holder 300 ms after we start waiting */
	pid_t releaser = fork();
	cr_assert_geq(releaser, 0);
	if (releaser == 0) {
		usleep(300000);
		_exit(write(release[1], "x", 1) == 1 ? 0 : 1);
	}
	struct waited w = {0};
	struct lab_state_lock *l = NULL;
	cr_assert_eq(lab_state_lock(&l, "locked", on_wait, &w, &err), 0, "%s", err.msg);
	cr_expect_eq(w.calls, 1, "told once that it waits");
	cr_expect_eq(w.pid, (long)holder, "holder pid %ld, told %ld", (long)holder, w.pid);
	int status = 0;
	waitpid(holder, &status, 0);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	waitpid(releaser, &status, 0);

	/* free again: no wait */
	lab_state_unlock(l);
	w.calls = 0;
	cr_assert_eq(lab_state_lock(&l, "locked", on_wait, &w, &err), 0, "%s", err.msg);
	cr_expect_eq(w.calls, 0);
	lab_state_unlock(l);
	lab_state_unlock(NULL);
}

/* A name that would lead out of the state directory is refused, and
 * nothing is made for it. */
Test(state, lab_lock_refuses_names_that_leave_the_state_directory, .init = st_setup, .fini = st_teardown)
{
	static const char *const bad[] = {"", ".", "..", "../escaped", "a/b", ".hidden", "Upper", "a b", "-dash"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct lab_err err = {0};
		struct lab_state_lock *l = NULL;
		cr_expect_eq(lab_state_lock(&l, bad[i], NULL, NULL, &err), LAB_EINPUT, "'%s'", bad[i]);
		cr_expect_null(l);
	}
	char *parent = lab_xasprintf("%s/../escaped", st_dir);
	struct stat st;
	cr_expect_neq(stat(parent, &st), 0, "nothing made outside");
	free(parent);
}
