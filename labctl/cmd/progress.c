/* What is being waited for, shown while it lasts (cmd.h, "waiting
 * rows"): on a terminal a block of lines under the rest of the output,
 * redrawn in place every 250 ms; elsewhere one line per row every
 * period. A ticker thread does the redrawing; it and the progress
 * callbacks of converge and jobs share one mutex. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"

#define TICK_MS 250

struct wait_row {
	char *who;
	char *verb;
	char *detail;
	double since;
	long printed; /* the last period a line was printed for (not a tty) */
};

struct cmd_wait_view {
	int tty;
	double period;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	pthread_t ticker;
	int ticker_made;
	int stop;
	struct wait_row *rows;
	size_t n;
	size_t drawn; /* lines of the block on screen (tty) */
};

static int term_cols(void)
{
	struct winsize ws;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
		return ws.ws_col;
	return 80;
}

void cmd_wait_line(char *out, size_t n, const char *who, const char *verb, double seconds, const char *detail)
{
	snprintf(out, n, "%s | %s %lds%s%s", who, verb, (long)seconds, detail && *detail ? ": " : "",
		 detail ? detail : "");
}

/* Under mu. */
static void erase(struct cmd_wait_view *v)
{
	if (!v->tty || !v->drawn)
		return;
	fputc('\r', stderr);
	for (size_t i = 0; i < v->drawn; i++)
		fputs("\033[1A\033[2K", stderr);
	v->drawn = 0;
}

/* Under mu: the block, one line per row cut to the terminal's width (a
 * wrapped line would break the count of lines to erase). */
static void draw(struct cmd_wait_view *v)
{
	if (!v->tty)
		return;
	double now = cmd_now();
	int cols = term_cols();
	for (size_t i = 0; i < v->n; i++) {
		char line[1024];
		cmd_wait_line(line, sizeof(line), v->rows[i].who, v->rows[i].verb, now - v->rows[i].since,
			      v->rows[i].detail);
		size_t max = (size_t)cols - 1;
		if (strlen(line) > max)
			line[max] = '\0';
		fprintf(stderr, "%s\033[K\n", line);
	}
	v->drawn = v->n;
	fflush(stderr);
}

/* Under mu: the lines due (not a tty). */
static void print_due(struct cmd_wait_view *v)
{
	double now = cmd_now();
	for (size_t i = 0; i < v->n; i++) {
		struct wait_row *r = &v->rows[i];
		long period = (long)((now - r->since) / v->period);
		if (period < 1 || period <= r->printed)
			continue;
		r->printed = period;
		char line[1024];
		cmd_wait_line(line, sizeof(line), r->who, r->verb, now - r->since, r->detail);
		fprintf(stderr, "%s\n", line);
		fflush(stderr);
	}
}

static void *tick(void *arg)
{
	struct cmd_wait_view *v = arg;
	pthread_mutex_lock(&v->mu);
	while (!v->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		/* a period shorter than two ticks (LABCTL_WAIT_PERIOD, tests)
		   ticks at half of it */
		long tick_ns = !v->tty && v->period < 2.0 * TICK_MS / 1000.0 ? (long)(v->period * 5e8) : TICK_MS * 1000000L;
		ts.tv_nsec += tick_ns;
		if (ts.tv_nsec >= 1000000000L)
			ts.tv_sec++, ts.tv_nsec -= 1000000000L;
		pthread_cond_timedwait(&v->cond, &v->mu, &ts);
		if (v->stop)
			break;
		if (v->tty) {
			if (v->n || v->drawn) {
				erase(v);
				draw(v);
			}
		} else {
			print_due(v);
		}
	}
	pthread_mutex_unlock(&v->mu);
	return NULL;
}

struct cmd_wait_view *cmd_wait_view_new(int tty)
{
	struct cmd_wait_view *v = lab_xcalloc(1, sizeof(*v));
	v->tty = tty;
	v->period = 10.0;
	const char *p = getenv("LABCTL_WAIT_PERIOD");
	if (p && atof(p) >= 0.01)
		v->period = atof(p);
	pthread_mutex_init(&v->mu, NULL);
	pthread_cond_init(&v->cond, NULL);
	v->ticker_made = pthread_create(&v->ticker, NULL, tick, v) == 0;
	return v;
}

static void row_free(struct wait_row *r)
{
	free(r->who);
	free(r->verb);
	free(r->detail);
}

void cmd_wait_view_free(struct cmd_wait_view *v)
{
	if (!v)
		return;
	pthread_mutex_lock(&v->mu);
	v->stop = 1;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->mu);
	if (v->ticker_made)
		pthread_join(v->ticker, NULL);
	erase(v);
	fflush(stderr);
	for (size_t i = 0; i < v->n; i++)
		row_free(&v->rows[i]);
	free(v->rows);
	pthread_mutex_destroy(&v->mu);
	pthread_cond_destroy(&v->cond);
	free(v);
}

static long find(const struct cmd_wait_view *v, const char *who)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->rows[i].who, who) == 0)
			return (long)i;
	return -1;
}

void cmd_wait_view_set(struct cmd_wait_view *v, const char *who, const char *verb, const char *detail)
{
	pthread_mutex_lock(&v->mu);
	long i = find(v, who);
	if (i < 0) {
		v->rows = lab_xrealloc(v->rows, (v->n + 1) * sizeof(*v->rows));
		i = (long)v->n++;
		v->rows[i] = (struct wait_row){lab_xstrdup(who), lab_xstrdup(verb), NULL, cmd_now(), 0};
	} else if (strcmp(v->rows[i].verb, verb) != 0) {
		/* another phase: its own clock */
		free(v->rows[i].verb);
		v->rows[i].verb = lab_xstrdup(verb);
		v->rows[i].since = cmd_now();
		v->rows[i].printed = 0;
	}
	free(v->rows[i].detail);
	v->rows[i].detail = detail ? lab_xstrdup(detail) : NULL;
	/* one line: a multi-line reason shows its first */
	char *nl = v->rows[i].detail ? strchr(v->rows[i].detail, '\n') : NULL;
	if (nl)
		*nl = '\0';
	pthread_mutex_unlock(&v->mu);
}

void cmd_wait_view_done(struct cmd_wait_view *v, const char *who)
{
	pthread_mutex_lock(&v->mu);
	long i = find(v, who);
	if (i >= 0) {
		row_free(&v->rows[i]);
		memmove(&v->rows[i], &v->rows[i + 1], (v->n - (size_t)i - 1) * sizeof(*v->rows));
		v->n--;
	}
	pthread_mutex_unlock(&v->mu);
}

void cmd_wait_view_begin(struct cmd_wait_view *v)
{
	pthread_mutex_lock(&v->mu);
	erase(v);
}

void cmd_wait_view_end(struct cmd_wait_view *v)
{
	fflush(stderr);
	draw(v);
	pthread_mutex_unlock(&v->mu);
}

void cmd_wait_view_say(struct cmd_wait_view *v, const char *fmt, ...)
{
	va_list ap;
	cmd_wait_view_begin(v);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cmd_wait_view_end(v);
}
