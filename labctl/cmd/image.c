/* Image progress (labctl/image events) on stderr, for up and run. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

/* A build's "Step N/M" lines and its outcome; a pull's finished layers. */
static int milestone(const char *line)
{
	return strncmp(line, "Step ", 5) == 0 || strncmp(line, "Successfully", 12) == 0 ||
	       strstr(line, "Pull complete") || strstr(line, "Downloaded newer") || strstr(line, "rror");
}

static const char *why_text(enum lab_image_why why)
{
	switch (why) {
	case LAB_IMAGE_FORCED:
		return "--build";
	case LAB_IMAGE_CHANGED:
		return "build context changed";
	case LAB_IMAGE_ABSENT:
		break;
	}
	return "not present";
}

/* On a TTY every progress line shows, the ones between milestones
 * overwriting each other on one line; otherwise only milestones, one line
 * each. */
void cmd_image_render(struct cmd_image_view *v, const char *who, const struct lab_image_event *ev)
{
	int tty = cmd_global.tty_err;
	switch (ev->phase) {
	case LAB_IMAGE_BUILDING:
		fprintf(stderr, "%s | building image '%s' from %s (%s)\n", who, ev->name, ev->context, why_text(ev->why));
		break;
	case LAB_IMAGE_PULLING:
		fprintf(stderr, "%s | pulling image '%s'\n", who, ev->name);
		break;
	case LAB_IMAGE_PROGRESS: {
		int keep = ev->final && milestone(ev->line);
		if (tty) {
			fprintf(stderr, keep ? "\r\033[K%s | %s\n" : "\r\033[K%s | %.100s", who, ev->line);
			v->dirty = !keep;
			fflush(stderr);
		} else if (keep) {
			fprintf(stderr, "%s | %s\n", who, ev->line);
		}
		break;
	}
	case LAB_IMAGE_READY:
	case LAB_IMAGE_FAILED:
		if (v->dirty)
			fputs("\r\033[K", stderr);
		v->dirty = 0;
		if (ev->phase == LAB_IMAGE_READY)
			fprintf(stderr, "%s | image '%s' ready in %.1fs\n", who, ev->name, (double)ev->elapsed_ms / 1000.0);
		break;
	}
}
