/* Side by side with Docker Compose v2: every compose file under
 * tests/fixtures/conformance/ (one that sets every container key labctl
 * applies, a course-style stack) is made by Compose v2 (`create`) and by
 * labctl (`up`) under two project names, and tests/conformance/compare.py
 * compares `docker inspect` of each pair of containers field by field.
 * A difference fails unless the README lists it as intended, with why.
 *
 * Compose v2 is the binary scripts/setup.sh builds from the Go module proxy
 * (build/compose-v5/docker-compose), or $LABCTL_COMPOSE_V2. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static char *compose_v2(void)
{
	const char *env = getenv("LABCTL_COMPOSE_V2");
	char *path = env && *env ? strdup(env) : it_sh("echo '%s/build/compose-v5/docker-compose'", it_repo());
	if (access(path, X_OK) != 0) {
		free(path);
		return NULL;
	}
	return path;
}

static void side_by_side(const char *fixture)
{
	char *dc = compose_v2();
	cr_assert(dc, "Docker Compose v2 is not built: run scripts/setup.sh (or set LABCTL_COMPOSE_V2)");
	struct it_lab lab;
	char name[64], dcproj[96];
	snprintf(name, sizeof(name), "cf-%s", fixture);
	it_lab_make(&lab, name, "services: {}\n");
	snprintf(dcproj, sizeof(dcproj), "%s-dc", lab.project);
	char *dir = it_sh("echo '%s/tests/fixtures/conformance/%s'", it_repo(), fixture);
	struct it_run r;

	/* labctl first: it builds the images and the local bases they are FROM
	   (labctl/jre:17), which Compose would try to pull on a fresh machine */
	it_labctl_run(&r, &lab, "up -f '%s/compose.yaml' -p '%s'", dir, lab.project);
	cr_expect_eq(r.status, 0, "labctl up (%s):\n%s\n%s", fixture, r.out, r.err);
	it_run_free(&r);
	it_run(&r, "cd '%s' && '%s' -p '%s' create 2>&1", dir, dc, dcproj);
	cr_expect_eq(r.status, 0, "docker compose create (%s):\n%s", fixture, r.out);
	it_run_free(&r);

	it_run(&r, "python3 '%s/tests/conformance/compare.py' '%s' '%s' '%s/README.md'", it_repo(), dcproj,
	       lab.project, it_repo());
	cr_expect_eq(r.status, 0, "%s: labctl and Docker Compose v2 differ:\n%s%s", fixture, r.out, r.err);
	/* the comparison itself looked at containers */
	cr_expect(strstr(r.out, " container(s) compared") && !strstr(r.out, "\n0 container(s)"), "%s", r.out);
	it_run_free(&r);

	it_run(&r, "cd '%s' && '%s' -p '%s' down -v 2>&1", dir, dc, dcproj);
	it_run_free(&r);
	it_lab_cleanup(&lab);
	free(dir);
	free(dc);
}

Test(conformance, every_container_key, .timeout = 300)
{
	side_by_side("allkeys");
}

Test(conformance, course_stack, .timeout = 600)
{
	side_by_side("course");
}
