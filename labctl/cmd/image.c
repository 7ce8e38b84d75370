/* Image progress (labctl/image events) on stderr, for up and run. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"

/* The word "error" (any case, "errors" too) in line: not "mirror",
 * "terror", "errorless". */
static int says_error(const char *line)
{
	for (const char *p = line; (p = strcasestr(p, "error")); p += 5) {
		int before = p == line || !isalpha((unsigned char)p[-1]);
		char after = p[5];
		if (before && (!isalpha((unsigned char)after) || ((after == 's' || after == 'S') && !isalpha((unsigned char)p[6]))))
			return 1;
	}
	return 0;
}

int cmd_image_milestone(const char *line)
{
	return strncmp(line, "Step ", 5) == 0 || strncmp(line, "Successfully", 12) == 0 ||
	       strstr(line, "Pull complete") || strstr(line, "Downloaded newer") || strncmp(line, "E: ", 3) == 0 ||
	       says_error(line);
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
		int keep = ev->final && cmd_image_milestone(ev->line);
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
