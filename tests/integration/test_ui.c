/* Web UIs in up's table: x-ui's URL on the published port. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

Test(ui, up_lists_the_web_ui_on_its_published_port)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "ui",
		    "lab: { name: \"@NAME@\" }\n"
		    "services:\n"
		    "  web:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
		    "    ports: [\"127.0.0.1::8080\"]\n"
		    "    x-ui: { port: 8080, path: /console }\n"
		    "  quiet:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up failed (%d): %s", r.status, r.err);
	char *port = it_sh("docker port %s-web-1 8080/tcp | head -1 | sed 's/.*://'", lab.project);
	char want[128];
	snprintf(want, sizeof(want), "\nweb UIs:\n  web                  http://127.0.0.1:%s/console\n", port);
	cr_expect(strstr(r.out, want), "want %s in:\n%s", want, r.out);
	cr_expect(!strstr(r.out, "  quiet "), "a service without a UI is not listed: %s", r.out);
	free(port);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "up '%s' --json", lab.dir);
	cr_expect(strstr(r.out, "\"ui\":\t\"http://127.0.0.1:"), "json has ui: %s", r.out);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}
