/* labctl exec: run a command in a service's container, like `docker
 * compose exec`: our stdin goes to it (its EOF closes the command's
 * stdin), its stdout and stderr come to ours, and labctl exits with its
 * exit code. When stdin and stdout are terminals the command gets a
 * pseudo-terminal: our terminal goes raw (restored on every way out), its
 * size follows ours (SIGWINCH). Signals to labctl reach the command
 * (engine/exec.h says how). The connection and the byte pump are in
 * engine/exec.c; the terminal and the signals are here. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "../engine/exec.h"
#include "../plan/plan.h"
#include "cmd.h"

static int cmd_exec(const struct cmd_entry *cmd, struct cmd_args *args);

static const struct cmd_opt exec_opts[] = {
	CMD_OPT_FILE,
	CMD_OPT_PROJECT,
	CMD_OPT_STUDENT,
	{"replica", 'r', "N", "which replica to run in (default 1)"},
	{"user", 'u', "USER", "run as this user"},
	{"workdir", 'w', "DIR", "working directory inside the container"},
	{"env", 'e', "KEY=VALUE", "set an environment variable (one per option)"},
	{"no-tty", 'T', NULL, "no pseudo-terminal, even when stdin and stdout are terminals"},
	CMD_OPT_END,
};

const struct cmd_entry cmd_exec_entry = {
	.name = "exec",
	.opts = exec_opts,
	.usage = "LAB SERVICE [-- CMD [ARG...]]",
	.summary = "run a command in a service's container",
	.description =
		"Runs CMD in the container (replica 1 unless --replica), like 'docker compose\n"
		"exec': stdin is passed to it (at its end the command reads EOF), its stdout\n"
		"and stderr come out on labctl's, and labctl exits with its exit code.\n"
		"Without CMD: an interactive shell (bash if the container has it, else sh).\n"
		"\n"
		"When stdin and stdout are terminals (and not --no-tty) the command gets a\n"
		"terminal of the same size, resized with yours; Ctrl-C goes to it.\n"
		"Ctrl-C, SIGTERM or SIGHUP to labctl end the command in the container too: it\n"
		"gets the same signal (SIGHUP with a terminal), and SIGKILL at the second one;\n"
		"what it leaves running then gets SIGTERM.\n"
		"The command sees LABCTL_EXEC=<token> in its environment: labctl finds its\n"
		"processes by it.\n"
		"\n"
		"Exit codes: the command's; 1 when its container is not running; 2 for a\n"
		"service the lab does not have; 3 for engine errors.",
	.fn = cmd_exec,
};

/* ---- the terminal ---- */

static struct termios saved_tio;
static int tio_raw;

static void term_restore(void)
{
	if (tio_raw) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
		tio_raw = 0;
	}
}

/* Raw mode on our terminal (as the docker CLI's: no echo, no line editing,
 * no signals from keys, no output processing). Restored by term_restore,
 * which also runs at exit. */
static int term_raw(void)
{
	static int registered;
	struct termios t;
	if (tcgetattr(STDIN_FILENO, &saved_tio) != 0)
		return -1;
	t = saved_tio;
	cfmakeraw(&t);
	if (!registered) {
		atexit(term_restore);
		registered = 1;
	}
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) != 0)
		return -1;
	tio_raw = 1;
	return 0;
}

static void term_size(unsigned *rows, unsigned *cols)
{
	struct winsize ws = {0};
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) != 0)
		ws.ws_row = ws.ws_col = 0;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
}

/* ---- signals: a self-pipe the pump watches ---- */

static int sig_pipe[2] = {-1, -1};
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH};
#define N_FORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

static void on_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;
	if (write(sig_pipe[1], &b, 1) < 0) {
		/* the pipe is full: the pump is behind anyway */
	}
	errno = saved;
}

static int signals_catch(struct sigaction *old)
{
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return -1;
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_FORWARDED; i++)
		sigaction(forwarded[i], &sa, &old[i]);
	signal(SIGPIPE, SIG_IGN); /* a closed stdout is a write error, seen below */
	return 0;
}

static void signals_release(const struct sigaction *old)
{
	if (sig_pipe[0] < 0)
		return;
	for (size_t i = 0; i < N_FORWARDED; i++)
		sigaction(forwarded[i], &old[i], NULL);
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	sig_pipe[0] = sig_pipe[1] = -1;
}

static const char *sig_name(int sig)
{
	switch (sig) {
	case SIGINT: return "INT";
	case SIGTERM: return "TERM";
	case SIGHUP: return "HUP";
	case SIGQUIT: return "QUIT";
	default: return "TERM";
	}
}

/* ---- the session ---- */

struct exec_ui {
	int tty;
	int stops;        /* signals that asked the command to end */
	int last_sig;     /* the last of them */
	int out_errno;    /* writing our stdout/stderr failed */
	int sig_failed;   /* signalling the command failed: err says why */
	struct lab_err err;
};

static int on_output(int stream, const char *data, size_t len, void *ud)
{
	struct exec_ui *ui = ud;
	int fd = stream == 2 ? STDERR_FILENO : STDOUT_FILENO;
	while (len > 0) {
		ssize_t w = write(fd, data, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd p = {.fd = fd, .events = POLLOUT};
				poll(&p, 1, 1000);
				continue;
			}
			ui->out_errno = errno;
			return 1;
		}
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

static int on_wake(struct lab_exec *x, void *ud)
{
	struct exec_ui *ui = ud;
	unsigned char b[64];
	ssize_t n;
	while ((n = read(sig_pipe[0], b, sizeof(b))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			int sig = b[i];
			if (sig == SIGWINCH) {
				unsigned rows, cols;
				term_size(&rows, &cols);
				struct lab_err rerr = {0};
				if (ui->tty && rows && cols)
					lab_exec_resize(x, rows, cols, &rerr); /* best effort, as docker */
				continue;
			}
			ui->last_sig = sig;
			if (ui->tty && sig == SIGINT && lab_exec_input(x, "\x03", 1) == 0)
				continue; /* as the key: the terminal's line discipline decides */
			ui->stops++;
			if (ui->stops >= 3)
				return 1; /* stop waiting */
			const char *name = ui->stops >= 2 ? "KILL" : ui->tty ? "HUP" : sig_name(sig);
			if (lab_exec_signal(x, name, NULL, &ui->err) < 0) {
				ui->sig_failed = 1;
				return 1;
			}
		}
	}
	return 0;
}

/* The container of service/replica (a service of the lab and one of its
 * replicas: see cmd_check_service, cmd_check_replica), or an exit code
 * with the reason printed. */
static int find_container(const cJSON *list, const char *project, const char *service, int replica, char **id)
{
	const cJSON *c;
	*id = NULL;
	cJSON_ArrayForEach(c, list)
	{
		const cJSON *labels = cJSON_GetObjectItemCaseSensitive(c, "Labels");
		const char *svc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LAB_LABEL_SERVICE));
		char repbuf[16];
		const char *rep = lab_plan_replica_label(labels, repbuf);
		const char *state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "State"));
		if (!svc || strcmp(svc, service) != 0 || !rep || atoi(rep) != replica)
			continue;
		if (!state || strcmp(state, "running") != 0) {
			fprintf(stderr, "labctl: %s-%d of lab '%s' is not running (%s; labctl up %s)\n", service, replica,
				project, state ? state : "?", project);
			return LAB_EXIT_FAIL;
		}
		*id = lab_xstrdup(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "Id")));
		return 0;
	}
	/* a service and replica of the lab file with no container */
	fprintf(stderr, "labctl: service '%s' of lab '%s' is not running (labctl up %s)\n", service, project, project);
	return LAB_EXIT_FAIL;
}

/* What runs without CMD: bash when the container has it, else sh. */
static char *const shell_argv[] = {"sh", "-c", "command -v bash >/dev/null 2>&1 && exec bash || exec sh", NULL};

static int cmd_exec(const struct cmd_entry *cmd, struct cmd_args *args)
{
	int code = 0;
	struct lab_engine *engine = NULL;
	struct lab_exec *x = NULL;
	struct lab_err err = {0};
	cJSON *list = NULL;
	char *id = NULL;
	char *project = NULL;
	struct lab_strv argv = LAB_STRV_INIT;
	struct sigaction old[N_FORWARDED];
	struct exec_ui ui = {0};

	/* a closed stdin reads as empty, and no connection takes its number */
	if (fcntl(STDIN_FILENO, F_GETFD) < 0 && errno == EBADF)
		open("/dev/null", O_RDONLY);
	if (args->pos.n < 2 && !cmd_opt(cmd, args, "file")) {
		code = cmd_usage_error(cmd, "name a lab and a service");
		goto out;
	}
	const char *service = NULL;
	if ((code = cmd_service_arg(cmd, args, &service)))
		goto out;
	if (!service) {
		code = cmd_usage_error(cmd, "name a service");
		goto out;
	}
	long replica = 1;
	if ((code = cmd_opt_long(cmd, args, "replica", 1, 1, &replica)))
		goto out;
	code = cmd_open_lab(cmd, args, &project, &engine, &list);
	if (code || (code = cmd_check_lab_known(cmd, args, list)) ||
	    (code = cmd_check_service(cmd, args, project, list, service)) ||
	    (code = cmd_check_replica(cmd, args, project, list, service, replica)))
		goto out;
	if ((code = find_container(list, project, service, (int)replica, &id)))
		goto out;

	ui.tty = !cmd_opt(cmd, args, "no-tty") && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	for (size_t i = 0; i < args->rest.n; i++)
		lab_strv_push(&argv, args->rest.v[i]);
	struct lab_exec_opts o = {
		.argv = args->rest.n ? argv.v : shell_argv,
		.env = cmd_opt_all(cmd, args, "env"),
		.user = cmd_opt(cmd, args, "user"),
		.workdir = cmd_opt(cmd, args, "workdir"),
		.tty = ui.tty,
		.attach_stdin = 1,
	};
	if (ui.tty)
		term_size(&o.rows, &o.cols);
	/* signals are caught from here on: one that comes while the exec
	   starts is acted on once it runs */
	if (signals_catch(old) != 0) {
		fprintf(stderr, "labctl: cannot catch signals: %s\n", strerror(errno));
		code = LAB_EXIT_FAIL;
		goto out;
	}
	if (lab_exec_start(&x, engine, id, &o, &err) < 0) {
		code = err.code == LAB_EEXISTS ? (fprintf(stderr, "labctl: %s\n", err.msg), LAB_EXIT_FAIL)
					       : cmd_fail(&err);
		goto out;
	}
	if (ui.tty)
		term_raw(); /* when it cannot go raw, it still works, echoing twice */
	struct lab_exec_io io = {
		.in_fd = STDIN_FILENO, .wake_fd = sig_pipe[0], .out = on_output, .wake = on_wake, .ud = &ui,
	};
	int rc = lab_exec_pump(x, &io, &err);
	term_restore();
	if (rc < 0) {
		code = cmd_fail(&err);
		struct lab_err serr = {0};
		lab_exec_signal(x, "TERM", NULL, &serr); /* do not leave it running behind a broken connection */
		goto out;
	}
	if (rc == 1) {
		if (ui.sig_failed) {
			fprintf(stderr, "labctl: the command may still run in the container: %s\n", ui.err.msg);
			code = 128 + ui.last_sig;
		} else if (ui.out_errno) {
			struct lab_err serr = {0};
			lab_exec_signal(x, "TERM", NULL, &serr);
			if (ui.out_errno != EPIPE)
				fprintf(stderr, "labctl: writing output failed: %s\n", strerror(ui.out_errno));
			code = LAB_EXIT_FAIL;
		} else {
			code = 128 + ui.last_sig; /* gave up waiting after SIGKILL */
		}
		goto out;
	}
	if (ui.stops > 0) {
		/* the command ended on a signal we passed on: what it left
		   behind (a background job, which ignores SIGINT) ends too */
		struct lab_err serr = {0};
		lab_exec_signal(x, "TERM", NULL, &serr);
	}
	int exit_code = -1;
	if (lab_exec_wait(x, 5000, &exit_code, &err) < 0) {
		code = cmd_fail(&err);
		goto out;
	}
	if (exit_code < 0) {
		fprintf(stderr, "labctl: the command's output ended but it still runs; its exit code is unknown\n");
		code = LAB_EXIT_FAIL;
		goto out;
	}
	code = exit_code;
out:
	term_restore();
	signals_release(old);
	lab_exec_free(x);
	lab_strv_free(&argv);
	cJSON_Delete(list);
	free(id);
	free(project);
	lab_engine_free(engine);
	return code;
}
