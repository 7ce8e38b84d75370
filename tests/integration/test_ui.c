/* Web UIs in up's table (x-ui's URL on the published port) and labctl open. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* labctl open: every running UI, one line each; with one chosen and
 * $BROWSER set, the browser gets its URL ("%s" or as the last argument). */
Test(ui, open_prints_the_web_uis_and_starts_the_browser_on_one)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "open",
		    "lab: { name: \"@NAME@\" }\n"
		    "services:\n"
		    "  web:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
		    "    ports: [\"127.0.0.1::8080\"]\n"
		    "    x-ui: { port: 8080, path: /console }\n"
		    "  admin:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
		    "    ports: [\"127.0.0.1::9000\"]\n"
		    "    x-ui: { port: 9000 }\n"
		    "  quiet:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "up failed (%d): %s", r.status, r.err);
	it_run_free(&r);
	char *web = it_sh("docker port %s-web-1 8080/tcp | head -1 | sed 's/.*://'", lab.project);
	char *admin = it_sh("docker port %s-admin-1 9000/tcp | head -1 | sed 's/.*://'", lab.project);
	char want_web[128], want_admin[128], opened[300], browser[400];
	snprintf(want_web, sizeof(want_web), "http://127.0.0.1:%s/console", web);
	snprintf(want_admin, sizeof(want_admin), "http://127.0.0.1:%s/", admin);
	/* a browser that writes down its arguments */
	snprintf(opened, sizeof(opened), "%s/opened", lab.dir);
	snprintf(browser, sizeof(browser), "%s/browser", lab.dir);
	FILE *f = fopen(browser, "w");
	cr_assert(f);
	fprintf(f, "#!/bin/sh\necho \"$@\" >> '%s'\n", opened);
	fclose(f);
	chmod(browser, 0755);
	setenv("BROWSER", browser, 1);

	/* the whole lab: both UIs, no browser (which one would it be?) */
	it_labctl_run(&r, &lab, "open '%s'", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	char line[1000];
	snprintf(line, sizeof(line), "web                  %s\n", want_web);
	cr_expect(strstr(r.out, line), "want %s in:\n%s", line, r.out);
	snprintf(line, sizeof(line), "admin                %s\n", want_admin);
	cr_expect(strstr(r.out, line), "want %s in:\n%s", line, r.out);
	cr_expect(!strstr(r.out, "quiet"), "%s", r.out);
	cr_expect(access(opened, F_OK) != 0, "no browser for two UIs");
	it_run_free(&r);

	/* one service: its URL, and the browser started on it */
	it_labctl_run(&r, &lab, "open '%s' web", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, want_web), "%s", r.out);
	it_run_free(&r);
	char *got = it_sh("cat '%s'", opened);
	cr_expect_str_eq(got, want_web, "the browser got the URL");
	free(got);
	/* "%s" in $BROWSER is where the URL goes; --print starts none */
	snprintf(line, sizeof(line), "%s --new-tab %%s --later:other-browser", browser);
	setenv("BROWSER", line, 1);
	it_labctl_run(&r, &lab, "open '%s' admin", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "open '%s' admin --print", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	got = it_sh("cat '%s'", opened);
	snprintf(line, sizeof(line), "%s\n--new-tab %s --later", want_web, want_admin);
	cr_expect_str_eq(got, line, "the second browser call, and none for --print");
	free(got);
	unsetenv("BROWSER");

	it_labctl_run(&r, &lab, "open '%s' --json", lab.dir);
	cr_expect(strstr(r.out, "\"service\":\t\"admin\"") && strstr(r.out, want_admin), "%s", r.out);
	it_run_free(&r);
	/* a service without a UI: exit 1; no such service: exit 2 */
	it_labctl_run(&r, &lab, "open '%s' quiet", lab.dir);
	cr_expect_eq(r.status, 1, "%s", r.err);
	cr_expect(strstr(r.err, "service 'quiet' of lab '") && strstr(r.err, "has no web UI running"), "%s", r.err);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "open '%s' admn", lab.dir);
	cr_expect_eq(r.status, 2, "%s", r.err);
	cr_expect(strstr(r.err, "has no service 'admn'; did you mean 'admin'?"), "%s", r.err);
	it_run_free(&r);
	free(web);
	free(admin);
	it_lab_cleanup(&lab);
}
