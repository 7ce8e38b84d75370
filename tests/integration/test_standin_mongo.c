/* The mongo:* stand-in (images/mongo, images/catalog.yml): FerretDB on
 * PostgreSQL with the mongo image's MONGO_INITDB_* interface. A compose
 * file written against the mongo image's docs comes up offline under
 * `labctl up -f --offline`, health-gated on its own mongosh healthcheck;
 * pymongo in a client service inserts and finds with the root credentials,
 * sees what the init script wrote, and a wrong password is refused. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static char *client(const struct it_lab *lab, const char *url, const char *mode)
{
	return it_sh("docker exec -i '%s-client-1' python3 - '%s' %s <'%s/tests/standins/mongo/client.py' 2>&1",
		     lab->project, url, mode, it_repo());
}

Test(standin_mongo, course_compose_file_comes_up_offline_with_auth, .timeout = 900)
{
	struct it_lab lab;
	struct it_run r;
	char *before = it_sh("docker image inspect mongo:7 >/dev/null 2>&1 && echo present");
	it_lab_make(&lab, "mongo", "services: {}\n");
	it_labctl_run(&r, &lab, "up -f '%s/tests/standins/mongo/compose.yaml' -p '%s' --offline", it_repo(),
		      lab.project);
	cr_assert_eq(r.status, 0, "up -f --offline: %s\n%s", r.err, r.out);
	cr_expect(strstr(r.out, "healthy"), "mongo health-gated: %s", r.out);
	if (!*before) /* built here: up says so, once */
		cr_expect(strstr(r.err, "building stand-in 'mongo' from images/mongo"), "%s", r.err);
	free(before);
	it_run_free(&r);

	char *label = it_sh("docker image inspect mongo:7 --format '{{index .Config.Labels \"io.labctl.stand-in-for\"}}'");
	cr_expect(strstr(label, "mongo"), "stand-in label: '%s'", label);
	free(label);

	char *out = client(&lab, "mongodb://root:example@mongo:27017/", "rw");
	cr_expect(strstr(out, "found ada 97\n"), "insert then find with the root credentials: %s", out);
	/* /docker-entrypoint-initdb.d/01-course.js ran against MONGO_INITDB_DATABASE */
	cr_expect(strstr(out, "found init databases\n"), "the init script's document: %s", out);
	free(out);

	out = client(&lab, "mongodb://root:wrong@mongo:27017/", "denied");
	cr_expect(strstr(out, "refused 18 "), "a wrong password must be refused (code 18): %s", out);
	free(out);
	out = client(&lab, "mongodb://mongo:27017/", "denied");
	cr_expect(strstr(out, "refused 13 "), "no credentials must be refused (code 13, Unauthorized): %s", out);
	free(out);
	it_lab_cleanup(&lab);
}
