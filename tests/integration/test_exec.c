/* labctl exec as `docker compose exec`: stdin reaches the command and its
 * EOF ends it, the exit code is passed on, a signal to labctl ends the
 * command in the container, and on a terminal (a pty made here with
 * forkpty) the command gets a terminal of the pty's size that follows
 * resizes, Ctrl-C interrupts it, an interactive shell reads commands from
 * the pty, and the pty's settings are restored when labctl exits. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static const char *box_lab = "services:\n"
			     "  box:\n"
			     "    image: debian:bookworm-slim\n"
			     "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n";

static void box_up(struct it_lab *lab, const char *name)
{
	struct it_run r;
	it_lab_make(lab, name, box_lab);
	it_labctl_run(&r, lab, "up '%s'", lab->dir);
	cr_assert_eq(r.status, 0, "up: %s", r.err);
	it_run_free(&r);
}

/* Command lines of the processes in the lab's box container, one a line. */
static char *box_processes(const struct it_lab *lab)
{
	char *id = it_container_id(lab->project, "box", 1);
	char *ps = it_sh("docker exec %s sh -c 'for p in /proc/[0-9]*; do tr \"\\0\" \" \" < $p/cmdline; echo; done'",
			 id);
	free(id);
	return ps;
}

/* ---- a pty ---- */

struct pty {
	pid_t pid;
	int master;
	char out[1 << 16];
	size_t len;
};

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run the shell command line in a new pty of rows x cols, with the lab's
 * state dir and $L set to labctl. */
static void pty_start(struct pty *p, const struct it_lab *lab, unsigned short rows, unsigned short cols,
		      const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	va_start(ap, fmt);
	cr_assert(vasprintf(&cmd, fmt, ap) > 0);
	va_end(ap);
	struct winsize ws = {.ws_row = rows, .ws_col = cols};
	p->len = 0;
	p->out[0] = '\0';
	p->pid = forkpty(&p->master, NULL, NULL, &ws);
	cr_assert(p->pid >= 0, "forkpty: %s", strerror(errno));
	if (p->pid == 0) {
		setenv("LABCTL_STATE_DIR", lab->state, 1);
		setenv("L", it_labctl(), 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	free(cmd);
}

/* Read what the pty shows for up to ms; 0 at EOF. */
static int pty_read(struct pty *p, long ms)
{
	struct pollfd pf = {.fd = p->master, .events = POLLIN};
	if (poll(&pf, 1, (int)ms) <= 0)
		return 1;
	size_t room = sizeof(p->out) - 1 - p->len;
	if (room == 0) {
		/* keep the last half */
		memmove(p->out, p->out + sizeof(p->out) / 2, sizeof(p->out) / 2);
		p->len = sizeof(p->out) / 2 - 1;
		room = sizeof(p->out) - 1 - p->len;
	}
	ssize_t n = read(p->master, p->out + p->len, room);
	if (n <= 0)
		return 0; /* EIO: every slave end closed */
	p->len += (size_t)n;
	p->out[p->len] = '\0';
	return 1;
}

/* Wait until the pty has shown needle (after from, an offset into out);
 * returns the offset after it, or -1 after timeout_ms. */
static long pty_expect(struct pty *p, size_t from, const char *needle, long timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	for (;;) {
		char *at = from <= p->len ? strstr(p->out + from, needle) : NULL;
		if (at)
			return (long)(at - p->out) + (long)strlen(needle);
		long left = deadline - now_ms();
		if (left <= 0 || !pty_read(p, left))
			return -1;
	}
}

static void pty_send(struct pty *p, const char *s)
{
	cr_assert_eq(write(p->master, s, strlen(s)), (ssize_t)strlen(s));
}

/* Exit status of the pty's command (128+signal), draining its output; -1
 * (and it is killed) when it has not ended within timeout_ms. */
static int pty_wait(struct pty *p, long timeout_ms)
{
	long deadline = now_ms() + timeout_ms;
	int st = 0;
	for (;;) {
		pid_t w = waitpid(p->pid, &st, WNOHANG);
		if (w == p->pid)
			break;
		if (now_ms() > deadline) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &st, 0);
			close(p->master);
			return -1;
		}
		if (!pty_read(p, 50))
			usleep(20000);
	}
	while (pty_read(p, 100))
		;
	close(p->master);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The pid of the only child of pid (the labctl a pty's sh started). */
static pid_t child_of(pid_t pid)
{
	char path[64];
	long deadline = now_ms() + 5000;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	while (now_ms() < deadline) {
		FILE *f = fopen(path, "r");
		int c = 0;
		if (f && fscanf(f, "%d", &c) == 1 && c > 0) {
			fclose(f);
			return c;
		}
		if (f)
			fclose(f);
		usleep(20000);
	}
	return -1;
}

/* Shell: wait for labctl ($p) to exit, at most 20 s, then print its
 * "code=N" (or "hung" and kill it, so no labctl outlives the test). */
#define WAIT_OR_KILL                                                                               \
	"for i in $(seq 200); do kill -0 $p 2>/dev/null || break; sleep 0.1; done; "                 \
	"if kill -0 $p 2>/dev/null; then echo hung; kill -9 $p; fi; wait $p; echo code=$?"

/* ---- without a terminal ---- */

Test(exec, stdin_reaches_the_command_and_its_eof_ends_it, .timeout = 300)
{
	struct it_lab lab;
	struct it_run r;
	box_up(&lab, "stdin");

	it_labctl_run(&r, &lab, "exec '%s' box -- wc -l < /dev/null", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "0\n", "EOF at once: %s", r.err);
	it_run_free(&r);
	it_run(&r, "printf 'a\\nb\\n' | LABCTL_STATE_DIR='%s' '%s' exec '%s' box -- wc -l", lab.state, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "2\n", "two lines reach wc, then EOF: %s", r.err);
	it_run_free(&r);
	/* both ways at once, more than any buffer on the way holds */
	it_run(&r, "seq 1 300000 | LABCTL_STATE_DIR='%s' '%s' exec '%s' box -- cat | sed -n '1p;$p;$='", lab.state,
	       it_labctl(), lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "1\n300000\n300000\n", "every line back, in order: %s", r.err);
	it_run_free(&r);
	/* stdout and stderr apart, and the exit code */
	it_labctl_run(&r, &lab, "exec '%s' box -- sh -c 'echo to-out; echo to-err >&2; exit 7'", lab.dir);
	cr_expect_eq(r.status, 7, "the command's exit code: %d %s", r.status, r.err);
	cr_expect_str_eq(r.out, "to-out\n");
	cr_expect_str_eq(r.err, "to-err\n");
	it_run_free(&r);
	/* without a command: a shell reading stdin (bash in debian) */
	it_run(&r, "printf 'echo shell=$0\\nexit 4\\n' | LABCTL_STATE_DIR='%s' '%s' exec '%s' box", lab.state,
	       it_labctl(), lab.dir);
	cr_expect_eq(r.status, 4, "%s", r.err);
	cr_expect_str_eq(r.out, "shell=bash\n", "%s", r.err);
	it_run_free(&r);
	/* no terminal when stdout is not one */
	it_labctl_run(&r, &lab, "exec '%s' box -- tty", lab.dir);
	cr_expect_str_eq(r.out, "not a tty\n", "%s", r.err);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}

Test(exec, unknown_service_or_replica_is_bad_input)
{
	struct it_lab lab;
	struct it_run r;
	box_up(&lab, "names");
	it_labctl_run(&r, &lab, "exec '%s' nosuch -- true", lab.dir);
	cr_expect_eq(r.status, 2, "%s", r.err);
	char want[200];
	snprintf(want, sizeof(want), "labctl: lab '%s' has no service 'nosuch'\n", lab.project);
	cr_expect_str_eq(r.err, want);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "exec '%s' box --replica 2 -- true", lab.dir);
	cr_expect_eq(r.status, 2, "%s", r.err);
	snprintf(want, sizeof(want), "labctl: service 'box' of lab '%s' has 1 replica: no replica 2\n", lab.project);
	cr_expect_str_eq(r.err, want);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "exec '%s' box --replica x -- true", lab.dir);
	cr_expect_eq(r.status, 2, "%s", r.err);
	it_run_free(&r);
	/* a service of the file that is not running: exit 1 */
	it_labctl_run(&r, &lab, "down '%s'", lab.dir);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "exec '%s' box -- true", lab.dir);
	cr_expect_eq(r.status, 1, "%s", r.err);
	cr_expect(strstr(r.err, "is not running"), "%s", r.err);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}

Test(exec, sigterm_to_labctl_ends_the_command_in_the_container, .timeout = 300)
{
	struct it_lab lab;
	struct it_run r;
	box_up(&lab, "sigterm");
	char out[300];
	snprintf(out, sizeof(out), "%s/exec.out", lab.dir);
	/* started, seen running, then labctl gets SIGTERM */
	it_run(&r,
	       "LABCTL_STATE_DIR='%s' '%s' exec '%s' box -- sh -c 'echo started; exec sleep 4321' > '%s' 2>&1 & p=$!; "
	       "for i in $(seq 200); do grep -q started '%s' && break; sleep 0.05; done; "
	       "echo before:; docker exec %s-box-1 sh -c 'for p in /proc/[0-9]*; do tr \"\\0\" \" \" < $p/cmdline; echo; done';"
	       "kill -TERM $p; " WAIT_OR_KILL,
	       lab.state, it_labctl(), lab.dir, out, out, lab.project);
	cr_expect(strstr(r.out, "sleep 4321"), "the command ran before: %s", r.out);
	cr_expect(strstr(r.out, "code=143"), "labctl exits with the command's code (SIGTERM): %s %s", r.out, r.err);
	it_run_free(&r);
	char *ps = box_processes(&lab);
	cr_expect(!strstr(ps, "sleep 4321"), "the command ended in the container:\n%s", ps);
	free(ps);

	/* one that ignores SIGINT and SIGTERM: SIGKILL at the second signal */
	it_run(&r,
	       "LABCTL_STATE_DIR='%s' '%s' exec '%s' box -- sh -c 'trap \"\" INT TERM; echo started; sleep 4322; :' > '%s' 2>&1 & "
	       "p=$!; for i in $(seq 200); do grep -q started '%s' && break; sleep 0.05; done; "
	       "kill -INT $p; sleep 1; kill -0 $p && echo still-running; kill -INT $p; " WAIT_OR_KILL,
	       lab.state, it_labctl(), lab.dir, out, out);
	cr_expect(strstr(r.out, "still-running"), "the first SIGINT is ignored by the command: %s", r.out);
	cr_expect(strstr(r.out, "code=137"), "SIGKILL at the second: %s %s", r.out, r.err);
	it_run_free(&r);
	ps = box_processes(&lab);
	cr_expect(!strstr(ps, "sleep 4322"), "nothing left in the container:\n%s", ps);
	free(ps);

	/* Ctrl-C without a terminal: the command ends, and so does its
	   background job (which a shell makes ignore SIGINT) */
	it_run(&r,
	       "LABCTL_STATE_DIR='%s' '%s' exec '%s' box -- sh -c 'sleep 4325 & echo started; sleep 4326; wait' > '%s' 2>&1 & "
	       "p=$!; for i in $(seq 200); do grep -q started '%s' && break; sleep 0.05; done; sleep 0.2; "
	       "kill -INT $p; " WAIT_OR_KILL,
	       lab.state, it_labctl(), lab.dir, out, out);
	cr_expect(strstr(r.out, "code=130"), "%s %s", r.out, r.err);
	it_run_free(&r);
	ps = box_processes(&lab);
	cr_expect(!strstr(ps, "sleep 4325") && !strstr(ps, "sleep 4326"), "nothing left in the container:\n%s", ps);
	free(ps);
	it_lab_cleanup(&lab);
}

/* ---- on a terminal ---- */

Test(exec, a_terminal_of_the_ptys_size_and_ctrl_c, .timeout = 300)
{
	struct it_lab lab;
	struct pty p;
	box_up(&lab, "tty");

	pty_start(&p, &lab, 33, 101, "exec \"$L\" exec '%s' box -- sh -c 'tty; test -t 0 && echo stdin-tty; echo $TERM'",
		  lab.dir);
	cr_expect(pty_expect(&p, 0, "/dev/pts/", 30000) >= 0, "tty: %s", p.out);
	cr_expect(pty_expect(&p, 0, "stdin-tty", 5000) >= 0, "%s", p.out);
	cr_expect_eq(pty_wait(&p, 10000), 0, "%s", p.out);

	/* output through a pipe: no terminal, even with stdin one */
	pty_start(&p, &lab, 33, 101, "\"$L\" exec '%s' box -- tty | cat", lab.dir);
	cr_expect(pty_expect(&p, 0, "not a tty", 30000) >= 0, "%s", p.out);
	pty_wait(&p, 10000);

	/* --no-tty: none on a terminal either */
	pty_start(&p, &lab, 33, 101, "exec \"$L\" exec -T '%s' box -- tty", lab.dir);
	cr_expect(pty_expect(&p, 0, "not a tty", 30000) >= 0, "%s", p.out);
	pty_wait(&p, 10000);

	/* Ctrl-C is the terminal's: it interrupts sleep */
	pty_start(&p, &lab, 33, 101, "exec \"$L\" exec '%s' box -- sh -c 'echo started; exec sleep 4323'", lab.dir);
	cr_assert(pty_expect(&p, 0, "started", 30000) >= 0, "%s", p.out);
	usleep(200000);
	long t0 = now_ms();
	pty_send(&p, "\x03");
	int code = pty_wait(&p, 10000);
	cr_expect_eq(code, 130, "sleep ended by SIGINT: %d\n%s", code, p.out);
	cr_expect(now_ms() - t0 < 5000, "at once");
	char *ps = box_processes(&lab);
	cr_expect(!strstr(ps, "sleep 4323"), "%s", ps);
	free(ps);
	it_lab_cleanup(&lab);
}

Test(exec, interactive_shell_on_a_terminal_follows_its_size, .timeout = 300)
{
	struct it_lab lab;
	struct pty p;
	box_up(&lab, "shell");

	pty_start(&p, &lab, 40, 120, "stty -g; \"$L\" exec '%s' box; echo code=$?; stty -g", lab.dir);
	long at = pty_expect(&p, 0, "\n", 10000);
	cr_assert(at > 0, "%s", p.out);
	char before[512];
	snprintf(before, sizeof(before), "%.*s", (int)at, p.out);
	pty_send(&p, "echo shell=$0 hi-$((6*7))\r");
	at = pty_expect(&p, (size_t)at, "shell=bash hi-42", 30000);
	cr_expect(at >= 0, "the shell is bash and reads the pty: %s", p.out);
	pty_send(&p, "stty size\r");
	at = pty_expect(&p, (size_t)(at < 0 ? 0 : at), "40 120", 10000);
	cr_expect(at >= 0, "the pty's size: %s", p.out);
	/* resizing the pty sends SIGWINCH to labctl, which resizes the exec */
	struct winsize ws = {.ws_row = 50, .ws_col = 132};
	cr_assert_eq(ioctl(p.master, TIOCSWINSZ, &ws), 0);
	usleep(500000);
	pty_send(&p, "stty size\r");
	at = pty_expect(&p, (size_t)(at < 0 ? 0 : at), "50 132", 10000);
	cr_expect(at >= 0, "the new size: %s", p.out);
	pty_send(&p, "exit 3\r");
	at = pty_expect(&p, (size_t)(at < 0 ? 0 : at), "code=3", 10000);
	cr_expect(at >= 0, "the shell's exit code: %s", p.out);
	cr_expect_eq(pty_wait(&p, 10000), 0);
	/* the settings before and after are the same (raw mode undone) */
	const char *after = strstr(p.out, "code=3");
	cr_assert(after);
	after = strchr(after, '\n');
	cr_assert(after, "%s", p.out);
	cr_expect(strncmp(after + 1, before, strlen(before)) == 0, "stty before: %s\nafter: %s", before, after + 1);

	/* SIGTERM to labctl on a terminal: the shell gets SIGHUP, the
	   terminal is restored */
	pty_start(&p, &lab, 40, 120, "stty -g; \"$L\" exec '%s' box -- sh -c 'echo started; exec sleep 4324'; "
				      "echo code=$?; stty -g",
		  lab.dir);
	at = pty_expect(&p, 0, "\n", 10000);
	cr_assert(at > 0);
	snprintf(before, sizeof(before), "%.*s", (int)at, p.out);
	cr_assert(pty_expect(&p, 0, "started", 30000) >= 0, "%s", p.out);
	pid_t labctl = child_of(p.pid);
	cr_assert(labctl > 0);
	kill(labctl, SIGTERM);
	at = pty_expect(&p, 0, "code=129", 10000);
	cr_expect(at >= 0, "ended by SIGHUP: %s", p.out);
	pty_wait(&p, 10000);
	after = strstr(p.out, "code=");
	after = after ? strchr(after, '\n') : NULL;
	cr_expect(after && strncmp(after + 1, before, strlen(before)) == 0, "stty before: %s\nafter: %s", before,
		  after ? after + 1 : "");
	char *ps = box_processes(&lab);
	cr_expect(!strstr(ps, "sleep 4324"), "%s", ps);
	free(ps);
	it_lab_cleanup(&lab);
}
