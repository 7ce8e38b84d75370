/* Images built here that other images are FROM: built first, in
 * parallel where they can be, and a changed base rebuilds what is FROM
 * it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static void write_file(const char *dir, const char *path, const char *text)
{
	struct it_run r;
	it_run(&r, "mkdir -p \"$(dirname '%s/%s')\" && printf '%%b' '%s' > '%s/%s'", dir, path, text, dir, path);
	cr_assert_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
}

/* The images the test below builds, removed even when it fails. */
static char project[64];

static void remove_images(void)
{
	if (project[0])
		free(it_sh("docker rmi -f %s-app:1 %s-top:1 %s-mid:1 labctl/%s:1 >/dev/null 2>&1; true", project, project,
			   project, project));
}

/* A base named labctl/NAME:1 built from the directory NAME beside the
 * context of the image FROM it, and a base that another service of the lab
 * builds (listed after the service whose image is FROM it, so that the
 * parallel builds must wait for it). */
Test(images, bases_built_here_come_first_and_a_changed_base_rebuilds, .timeout = 300, .fini = remove_images)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "images",
		    "services:\n"
		    "  top:\n"
		    "    build: ./imgs/top\n"
		    "    image: \"@NAME@-top:1\"\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
		    "  app:\n"
		    "    build: ./imgs/app\n"
		    "    image: \"@NAME@-app:1\"\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
		    "  mid:\n"
		    "    build: ./imgs/mid\n"
		    "    image: \"@NAME@-mid:1\"\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n");
	snprintf(project, sizeof(project), "%s", lab.project);
	char df[512];
	snprintf(df, sizeof(df), "ARG BASE=labctl/%s:1\\nFROM ${BASE} AS b\\nFROM b\\nRUN cat /base.txt > /app.txt\\n",
		 lab.project);
	write_file(lab.dir, "imgs/app/Dockerfile", df);
	char base[128];
	snprintf(base, sizeof(base), "imgs/%s/Dockerfile", lab.project);
	write_file(lab.dir, base, "FROM debian:bookworm-slim\\nCOPY base.txt /base.txt\\n");
	snprintf(base, sizeof(base), "imgs/%s/base.txt", lab.project);
	write_file(lab.dir, base, "one");
	write_file(lab.dir, "imgs/mid/Dockerfile", "FROM debian:bookworm-slim\\nRUN echo mid > /mid.txt\\n");
	snprintf(df, sizeof(df), "FROM %s-mid:1\\nRUN cat /mid.txt > /top.txt\\n", lab.project);
	write_file(lab.dir, "imgs/top/Dockerfile", df);

	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	char want[256];
	snprintf(want, sizeof(want), "building image 'labctl/%s:1'", lab.project);
	cr_expect(strstr(r.err, want), "the base is built: %s", r.err);
	cr_expect(strstr(r.err, "4 images built in") && strstr(r.err, "(2 at a time)"), "%s", r.err);
	it_run_free(&r);
	char *app = it_container_id(lab.project, "app", 1), *top = it_container_id(lab.project, "top", 1);
	char *content = it_sh("docker exec %s cat /app.txt", app);
	cr_expect_str_eq(content, "one");
	free(content);
	content = it_sh("docker exec %s cat /top.txt", top);
	cr_expect_str_eq(content, "mid");
	free(content);

	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(!strstr(r.err, "building image") && !strstr(r.err, "images built"), "nothing to build: %s", r.err);
	it_run_free(&r);

	/* the base changes: it and the image FROM it are rebuilt, and that
	   service recreated; the others stay */
	write_file(lab.dir, base, "two");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.err, "2 images built in"), "%s", r.err);
	cr_expect(!strstr(r.err, "-mid:1'"), "mid is current: %s", r.err);
	it_run_free(&r);
	char *app2 = it_container_id(lab.project, "app", 1), *top2 = it_container_id(lab.project, "top", 1);
	cr_expect_str_neq(app2, app, "app recreated");
	cr_expect_str_eq(top2, top, "top kept");
	content = it_sh("docker exec %s cat /app.txt", app2);
	cr_expect_str_eq(content, "two");
	free(content);
	free(app), free(app2), free(top), free(top2);
	it_lab_cleanup(&lab);
}
