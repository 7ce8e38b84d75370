/* An interactive exec: a command in a running container with its stdin,
 * stdout and stderr joined to ours over a hijacked connection, as
 * `docker exec -i [-t]` does (Docker Engine API v1.41: "Create an exec
 * instance" POST /containers/{id}/exec, "Start an exec instance" POST
 * /exec/{id}/start, "Resize an exec instance" POST /exec/{id}/resize,
 * "Inspect an exec instance" GET /exec/{id}/json).
 *
 * The connection: POST /exec/{id}/start with "Connection: Upgrade" and
 * "Upgrade: tcp"; the daemon answers "101 UPGRADED" (older daemons 200 OK)
 * and from then on the socket carries raw bytes both ways: what we send is
 * the process's stdin; what comes back is its output, as multiplexed frames
 * (stream.h) without a TTY, raw with one. libcurl makes the connection
 * (CURLOPT_CONNECT_ONLY: unix socket, tcp or TLS exactly as every other
 * request) and carries the bytes (curl_easy_send / curl_easy_recv); the
 * request and the answer's head are written and read here.
 *
 * End of stdin: the write side of the socket is shut (shutdown(SHUT_WR));
 * the daemon reads EOF and closes the process's stdin, while the output
 * keeps coming. Over TLS: first a TLS close_notify alert (TLS 1.3 lets the
 * peer go on writing after it, RFC 8446 section 6.1), then, like the docker
 * CLI (its tlsClientCon.CloseWrite), the TCP connection under TLS is
 * half-closed. dockerd's Go TLS takes either as the end of stdin; an
 * OpenSSL 3 peer (a TLS proxy such as socat or stunnel) needs the alert,
 * and without it fails the whole connection ("unexpected eof while
 * reading"), as it does for the docker CLI. A proxy may also close the
 * connection some time after one direction ended (socat's -t, 0.5 s by
 * default), cutting the output of a command that runs on after its EOF.
 *
 * Stopping the process: the Engine API has no way to signal an exec. Every
 * exec started here carries LABCTL_EXEC=<random token> in its environment
 * (inherited by its children); lab_exec_signal runs a second exec (sh,
 * grep, kill: as the same user, so it may read the processes' environment
 * and signal them) that signals every process of the container whose
 * environment holds the token. A command that clears its environment
 * (env -i, su -) escapes it.
 *
 * Memory: fixed buffers (LAB_EXEC_BUF bytes each way); output is passed on
 * as it arrives, never held whole.
 */
#ifndef LAB_ENGINE_EXEC_H
#define LAB_ENGINE_EXEC_H

#include <stddef.h>

#include "engine.h"

#define LAB_EXEC_BUF (64u << 10)
/* Name of the environment variable that marks an exec's processes. */
#define LAB_EXEC_TOKEN_VAR "LABCTL_EXEC"

struct lab_exec;

struct lab_exec_opts {
	char *const *argv;           /* NULL-terminated, argv[0] required */
	const struct lab_strv *env;  /* "KEY=VALUE", may be NULL */
	const char *user;            /* may be NULL: the container's */
	const char *workdir;         /* may be NULL */
	int tty;                     /* a pseudo-terminal: raw output, no frames */
	int attach_stdin;            /* AttachStdin + OpenStdin */
	unsigned rows, cols;         /* initial terminal size with tty (0: none) */
};

/* Create the exec in container id and start it on a hijacked connection.
 * With tty and a size, the size is set at once (API >= 1.42: ConsoleSize
 * in the create and start bodies; 1.41: POST /exec/{id}/resize right after
 * the start, retried while the daemon says the exec has not started, as
 * the docker CLI does; a command that reads its size in its first
 * milliseconds may still see 0x0 there).
 * Errors: LAB_ENOTFOUND (no such container), LAB_EEXISTS (409: it is not
 * running, or paused), LAB_EENGINE, LAB_EUNREACHABLE. */
int lab_exec_start(struct lab_exec **out, struct lab_engine *e, const char *container_id,
		   const struct lab_exec_opts *o, struct lab_err *err);

/* Called by lab_exec_pump when wake_fd is readable (the caller's signal
 * self-pipe): the callback drains it and may call lab_exec_resize,
 * lab_exec_input and lab_exec_signal. Return non-zero to stop the pump. */
typedef int (*lab_exec_wake_fn)(struct lab_exec *x, void *ud);

struct lab_exec_io {
	int in_fd;              /* read and sent as the process's stdin; -1: none */
	int wake_fd;            /* -1: none */
	lab_output_fn out;      /* output: stream 1 stdout, 2 stderr (tty: all 1) */
	lab_exec_wake_fn wake;
	void *ud;
};

/* Move bytes until the daemon closes the connection (the process ended and
 * its output is all passed on): in_fd to the process (at its EOF, or a read
 * error, the write side is shut once what was read is sent), the output to
 * out (decoded from frames without a tty). Waits in poll(); EINTR is
 * ignored (the wake pipe says why).
 * Returns 0 at the end of the stream, 1 when out or wake asked to stop,
 * LAB_EENGINE for a broken connection or a malformed frame. */
int lab_exec_pump(struct lab_exec *x, const struct lab_exec_io *io, struct lab_err *err);

/* POST /exec/{id}/resize?h=rows&w=cols. */
int lab_exec_resize(struct lab_exec *x, unsigned rows, unsigned cols, struct lab_err *err);

/* Queue len bytes (at most 64) for the process's stdin, sent after what is
 * already queued (the ^C byte of a tty). Returns 0, or LAB_ERR when the
 * queue is full or the write side is already shut. */
int lab_exec_input(struct lab_exec *x, const void *data, size_t len);

/* Send signal signame ("INT", "TERM", "HUP", "KILL", ...) to every process
 * of the exec (see above). *n (may be NULL) gets how many were signalled.
 * Errors: those of an exec (LAB_EEXISTS when the container stopped). */
int lab_exec_signal(struct lab_exec *x, const char *signame, int *n, struct lab_err *err);

/* GET /exec/{id}/json until Running is false, at most timeout_ms (the
 * daemon may close the stream a moment before it records the exit):
 * *exit_code gets ExitCode, or -1 when it still runs after timeout_ms. */
int lab_exec_wait(struct lab_exec *x, long timeout_ms, int *exit_code, struct lab_err *err);

/* The exec's id and token (for messages and tests). */
const char *lab_exec_id(const struct lab_exec *x);
const char *lab_exec_token(const struct lab_exec *x);

/* Close the connection and free; accepts NULL. The process is not
 * stopped: lab_exec_signal first if it must end. */
void lab_exec_free(struct lab_exec *x);

#endif
