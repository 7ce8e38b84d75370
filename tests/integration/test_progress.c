/* Waiting is visible: while up waits for a service, it says which, for
 * how long and what its probe last saw; one line per service every 10 s
 * when stderr is not a terminal, a block redrawn in place on a terminal
 * (driven here through a pty). */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* A server that listens on 8080 only after DELAY seconds (perl-base is in
 * debian:bookworm-slim; $$ is a literal $ in the lab file). The port is
 * not published: a published port's docker-proxy would accept at once. */
#define SLOW_LAB(DELAY)                                                                            \
	"services:\n"                                                                              \
	"  slow:\n"                                                                                \
	"    image: debian:bookworm-slim\n"                                                        \
	"    command: [\"perl\", \"-MIO::Socket::INET\", \"-e\", \"$$SIG{TERM}=sub{exit 0}; "        \
	"sleep " DELAY "; $$s=IO::Socket::INET->new(LocalPort=>8080,Listen=>5,ReuseAddr=>1) or die; " \
	"while($$c=$$s->accept){close $$c}\"]\n"                                                  \
	"    x-ready: { tcp: 8080, timeout: 60s }\n"                                               \
	"  app:\n"                                                                                 \
	"    image: debian:bookworm-slim\n"                                                        \
	"    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"           \
	"    depends_on: { slow: { condition: service_healthy } }\n"

Test(progress, not_a_tty_one_line_per_waiting_service_every_10s)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "waitlines", SLOW_LAB("12"));
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up: %s", r.err);
	/* what the probe saw: nothing listens yet */
	cr_expect(strstr(r.err, "slow | waiting 10s: connect ") && strstr(r.err, ":8080: Connection refused\n"),
		  "a line for slow at 10 s with what its probe saw:\n%s", r.err);
	cr_expect(strstr(r.err, "app | waiting 10s: for dependency 'slow' (service_healthy)\n"),
		  "a line for app, waiting for slow:\n%s", r.err);
	/* every 10 s, not every poll: one line each in 12 s */
	int n = 0;
	for (const char *p = r.err; (p = strstr(p, "slow | waiting")); p++)
		n++;
	cr_expect_eq(n, 1, "one waiting line for slow in 12 s:\n%s", r.err);
	cr_expect(!strstr(r.err, "\033["), "no terminal escapes when not a terminal:\n%s", r.err);
	cr_expect(strstr(r.err, "lab '") && strstr(r.err, "is up: 2 services ready"), "%s", r.err);
	it_run_free(&r);
	/* a lab of one service says "1 service" */
	it_lab_write(&lab, "services:\n"
			   "  one:\n"
			   "    image: debian:bookworm-slim\n"
			   "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n");
	it_labctl_run(&r, &lab, "up '%s' --remove-orphans", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect(strstr(r.err, "nothing changed (1 service)\n"), "%s", r.err);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}

/* Run cmdline (sh -c) with stdin, stdout and stderr on a pty of cols
 * columns; everything it wrote into *out (caller frees). Returns its exit
 * status. */
static int run_on_pty(char **out, const char *cmdline, int cols)
{
	int master = -1;
	struct winsize ws = {.ws_row = 40, .ws_col = (unsigned short)cols};
	pid_t pid = forkpty(&master, NULL, NULL, &ws);
	cr_assert_geq(pid, 0, "forkpty: %s", strerror(errno));
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmdline, (char *)NULL);
		_exit(127);
	}
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	for (;;) {
		if (len + 4096 > cap)
			buf = realloc(buf, cap *= 2);
		ssize_t n = read(master, buf + len, cap - len - 1);
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break; /* EIO: the child's side closed */
	}
	buf[len] = '\0';
	close(master);
	int status = 0;
	waitpid(pid, &status, 0);
	*out = buf;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Test(progress, on_a_tty_the_waiting_rows_are_redrawn_in_place)
{
	struct it_lab lab;
	it_lab_make(&lab, "waittty", SLOW_LAB("4"));
	char *cmd = NULL, *out = NULL;
	cr_assert(asprintf(&cmd, "LABCTL_STATE_DIR='%s' '%s' up '%s'", lab.state, it_labctl(), lab.dir) > 0);
	int status = run_on_pty(&out, cmd, 60);
	cr_assert_eq(status, 0, "up on a pty:\n%s", out);
	/* the rows tick: 1s, 2s, 3s..., each redraw erasing the block first */
	cr_expect(strstr(out, "slow | waiting 1s: connect ") && strstr(out, "slow | waiting 3s: connect "),
		  "slow's row with its elapsed time:\n%s", out);
	cr_expect(strstr(out, "app | waiting 2s: for dependency 'slow'"), "app's row:\n%s", out);
	cr_expect(strstr(out, "\033[1A\033[2K"), "the block is erased and redrawn in place:\n%s", out);
	/* rows are cut to the terminal's width (60): no line wraps. A row is
	   what comes between a line's start (after '\n' or the erase
	   "\033[2K") and "\033[K". */
	int longest = 0;
	for (const char *k = out; (k = strstr(k, "\033[K")); k++) {
		const char *start = k;
		while (start > out && start[-1] != '\n' && !(start - out >= 4 && memcmp(start - 4, "\033[2K", 4) == 0))
			start--;
		if (k - start > longest)
			longest = (int)(k - start);
	}
	cr_expect_leq(longest, 59, "a row fits the 60 columns (longest %d):\n%s", longest, out);
	/* after ready, the block is gone and the table printed */
	cr_expect(strstr(out, "slow | ready in ") && strstr(out, "SERVICE"), "%s", out);
	free(out);
	free(cmd);
	it_lab_cleanup(&lab);
}

/* run's silent phases: the builder starting and compiling, each dataset
 * copy, shown while they last (every 0.05 s here: LABCTL_WAIT_PERIOD), and
 * the copy's rate when done. */
Test(progress, run_shows_builder_compile_and_dataset_copy, .timeout = 600)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "runphases",
		    "services:\n"
		    "  compute:\n"
		    "    build: \"@REPO@/images/compute\"\n"
		    "    image: labctl/compute:1\n"
		    "datasets:\n"
		    "  big: { file: none-such.bin, sample: big.bin }\n"
		    "jobs:\n"
		    "  hello: { binary: hello, source: \"@REPO@/jobs\", on: compute, datasets: [big] }\n");
	it_run(&r, "head -c 40000000 /dev/urandom > '%s/big.bin' && mkdir '%s/cache'", lab.dir, lab.dir);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up: %s", r.err);
	it_run_free(&r);
	/* a fresh cache: the job is compiled; the dataset is not there yet */
	it_run(&r, "LABCTL_WAIT_PERIOD=0.05 LABCTL_CACHE_DIR='%s/cache' LABCTL_STATE_DIR='%s' '%s' run '%s' hello",
	       lab.dir, lab.state, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 0, "run: %s", r.err);
	cr_expect(strstr(r.err, "build | compiling 0s: 'hello' in labctl/builder:1\n") ||
			  strstr(r.err, "build | compiling 1s: 'hello' in labctl/builder:1\n"),
		  "the compile is shown while it lasts:\n%s", r.err);
	cr_expect(strstr(r.err, "compute-1 | copying 0s: dataset 'big', 40.0 MB\n"), "the copy is shown:\n%s", r.err);
	cr_expect(strstr(r.err, "compute-1 | dataset 'big' copied (40.0 MB in ") && strstr(r.err, " MB/s)\n"), "%s", r.err);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}
