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
	   (labctl/jre:17), which Compose would try to pull on a fresh machine.
	   compare.py exits 3 when a pair runs two ids of the same image name:
	   another test rebuilt it between the two creates. Then both sides are
	   made again (labctl's config hash has the image id, so its up
	   recreates; Compose is told to), at most three times in all. */
	for (int attempt = 1;; attempt++) {
		it_labctl_run(&r, &lab, "up -f '%s/compose.yaml' -p '%s'", dir, lab.project);
		cr_expect_eq(r.status, 0, "labctl up (%s):\n%s\n%s", fixture, r.out, r.err);
		it_run_free(&r);
		it_run(&r, "cd '%s' && '%s' -p '%s' create --force-recreate 2>&1", dir, dc, dcproj);
		cr_expect_eq(r.status, 0, "docker compose create (%s):\n%s", fixture, r.out);
		it_run_free(&r);

		it_run(&r, "python3 '%s/tests/conformance/compare.py' '%s' '%s' '%s/README.md'", it_repo(), dcproj,
		       lab.project, it_repo());
		if (r.status == 3 && attempt < 3) {
			cr_log_warn("%s: %s", fixture, r.out);
			it_run_free(&r);
			continue;
		}
		break;
	}
	cr_expect_eq(r.status, 0, "%s: labctl and Docker Compose v2 differ%s:\n%s%s", fixture,
		     r.status == 3 ? " (in their images, three times: no rebuild, the tools chose different images)" : "",
		     r.out, r.err);
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

/* labctl config against docker compose config: the same files (args: -f
 * ... and --profile, run in the fixture's directory) give the same model
 * once both are normalized for spelling (tests/conformance/
 * config_compare.py); a difference fails unless the README lists it. Then
 * labctl's YAML is read back by Compose, which must find the same model
 * in it: the output is a compose file. No engine call. */
static void config_side_by_side(const char *fixture, const char *files, const char *profiles)
{
	char args[256];
	snprintf(args, sizeof(args), "%s %s", files, profiles);
	char *dc = compose_v2();
	cr_assert(dc, "Docker Compose v2 is not built: run scripts/setup.sh (or set LABCTL_COMPOSE_V2)");
	char *dir = it_sh("echo '%s/tests/fixtures/conformance/%s'", it_repo(), fixture);
	char *tmp = it_sh("mktemp -d");
	/* the course stack's credentials come from the environment here */
	const char *env = "POSTGRES_PASSWORD=pw S3_ACCESS_KEY=ak S3_SECRET_KEY=sk";
	struct it_run r;
	it_run(&r, "cd '%s' && %s '%s' -p cfg %s config --format json >'%s/dc.json'", dir, env, dc, args, tmp);
	cr_assert_eq(r.status, 0, "docker compose config (%s %s):\n%s%s", fixture, args, r.out, r.err);
	it_run_free(&r);
	it_run(&r, "cd '%s' && %s '%s' config -p cfg %s --format json >'%s/lc.json'", dir, env, it_labctl(), args, tmp);
	cr_assert_eq(r.status, 0, "labctl config (%s %s):\n%s%s", fixture, args, r.out, r.err);
	it_run_free(&r);
	it_run(&r, "python3 '%s/tests/conformance/config_compare.py' '%s/dc.json' '%s/lc.json' '%s/README.md'",
	       it_repo(), tmp, tmp, it_repo());
	cr_expect_eq(r.status, 0, "%s %s: labctl config and docker compose config differ:\n%s%s", fixture, args, r.out,
		     r.err);
	cr_expect(strstr(r.out, " service(s) compared") && !strstr(r.out, "\n0 service(s)") &&
			  strncmp(r.out, "0 service(s)", 12) != 0,
		  "%s", r.out);
	it_run_free(&r);

	/* the YAML: Compose reads it back (from the fixture's directory, so a
	   relative path left in it would show) to the model labctl printed */
	it_run(&r, "cd '%s' && %s '%s' config -p cfg %s >'%s/lc.yaml' && %s '%s' -f '%s/lc.yaml' -p cfg %s config --format json >'%s/rt.json' && python3 '%s/tests/conformance/config_compare.py' '%s/rt.json' '%s/lc.json' /dev/null",
	       dir, env, it_labctl(), args, tmp, env, dc, tmp, profiles, tmp, it_repo(), tmp, tmp);
	cr_expect_eq(r.status, 0, "%s %s: labctl config's YAML read by Compose is another model:\n%s%s", fixture, args,
		     r.out, r.err);
	it_run_free(&r);
	/* validate --print is config by another name */
	it_run(&r, "cd '%s' && %s '%s' validate -p cfg %s --print | cmp - '%s/lc.yaml'", dir, env, it_labctl(), args,
	       tmp);
	cr_expect_eq(r.status, 0, "%s %s: labctl validate --print is not labctl config:\n%s%s", fixture, args, r.out,
		     r.err);
	it_run_free(&r);
	it_run(&r, "rm -rf '%s'", tmp);
	it_run_free(&r);
	free(tmp);
	free(dir);
	free(dc);
}

Test(conformance, config_matches_compose, .timeout = 120)
{
	config_side_by_side("allkeys", "", "");
	config_side_by_side("course", "", "");
	config_side_by_side("model", "-f compose.yaml -f compose.override.yaml", "");
	config_side_by_side("model", "-f compose.yaml", "--profile debug");
	config_side_by_side("include", "", "");
	config_side_by_side("resources", "", "");
}

/* The same for Docker Compose's own end-to-end fixtures, unchanged
 * (tests/fixtures/conformance/upstream/docker-compose/README.md). */
Test(conformance, config_matches_compose_upstream, .timeout = 120)
{
	static const char *const cases[][2] = {
		{"upstream/docker-compose/cascade", "-f compose.yaml"},
		{"upstream/docker-compose/config_hash", "-f compose.yaml"},
		{"upstream/docker-compose/dotenv/development", "-f compose.yaml"},
		{"upstream/docker-compose/nested", "-f compose.yaml"},
		{"upstream/docker-compose/ps-test", "-f compose.yaml"},
		{"upstream/docker-compose/restart-test", "-f compose.yaml"},
		{"upstream/docker-compose/restart-test", "-f compose-depends-on.yaml"},
		{"upstream/docker-compose/sentences", "-f compose.yaml"},
		{"upstream/docker-compose/simple-build-test", "-f compose.yaml"},
		{"upstream/docker-compose/simple-build-test", "-f compose-interpolate.yaml"},
		{"upstream/docker-compose/start-stop", "-f compose.yaml"},
		{"upstream/docker-compose/start-stop", "-f other.yaml"},
		{"upstream/docker-compose/ups-deps-stop", "-f compose.yaml"},
		{"upstream/docker-compose/ups-deps-stop", "-f orphan.yaml"},
		{"upstream/docker-compose/wait", "-f compose.yaml"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		config_side_by_side(cases[i][0], cases[i][1], "");
}

/* compare.py and an image rebuilt between the two creates: the pair runs
 * two ids of one image name, which it reports as exit 3 (make the pair
 * again) without judging the fields; made again, the pair compares clean.
 * The "rebuild" is a tag of the test's own moved from one local image to
 * another. */
Test(conformance, image_rebuilt_between_creates, .timeout = 120)
{
	char *dc = compose_v2();
	cr_assert(dc, "Docker Compose v2 is not built: run scripts/setup.sh (or set LABCTL_COMPOSE_V2)");
	struct it_lab lab;
	it_lab_make(&lab, "cf-rebuilt", "services:\n  app:\n    image: @NAME@:1\n    command: [sleep, infinity]\n");
	char dcproj[96];
	snprintf(dcproj, sizeof(dcproj), "%s-dc", lab.project);
	struct it_run r;
	it_run(&r, "docker tag debian:bookworm-slim '%s:1' && cd '%s' && '%s' -f lab.yml -p '%s' create 2>&1 && "
		   "docker tag labctl/compute:1 '%s:1'",
	       lab.project, lab.dir, dc, dcproj, lab.project);
	cr_expect_eq(r.status, 0, "%s", r.out);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "up -f '%s/lab.yml' -p '%s'", lab.dir, lab.project);
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	it_run_free(&r);
	it_run(&r, "python3 '%s/tests/conformance/compare.py' '%s' '%s' '%s/README.md'", it_repo(), dcproj, lab.project,
	       it_repo());
	cr_expect_eq(r.status, 3, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "app-1: compose's container runs ") && strstr(r.out, "make the pair again") &&
			  !strstr(r.out, "Config.Env"),
		  "%s", r.out);
	it_run_free(&r);
	it_run(&r, "cd '%s' && '%s' -f lab.yml -p '%s' create --force-recreate 2>&1 && python3 '%s/tests/conformance/compare.py' '%s' '%s' '%s/README.md'",
	       lab.dir, dc, dcproj, it_repo(), dcproj, lab.project, it_repo());
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "1 container(s) compared, 0 unintended"), "%s", r.out);
	it_run_free(&r);
	it_run(&r, "cd '%s' && '%s' -f lab.yml -p '%s' down 2>&1; docker rmi '%s:1' >/dev/null", lab.dir, dc, dcproj,
	       lab.project);
	it_run_free(&r);
	it_lab_cleanup(&lab);
	free(dc);
}
