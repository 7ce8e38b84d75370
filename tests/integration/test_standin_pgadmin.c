/* The dpage/pgadmin4 stand-in (images/pgadmin, images/catalog.yml): a
 * course's PostgreSQL + pgAdmin compose file, written against the public
 * images' docs, comes up offline under `labctl up -f --offline`, and a
 * person at the published port logs in with the env credentials and sees
 * the server preloaded from servers.json. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static char *login(const char *ep, const char *password)
{
	return it_sh("'%s/tests/standins/pgadmin/login.sh' 'http://%s' teacher@example.com '%s' 2>&1", it_repo(), ep,
		     password);
}

Test(standin_pgadmin, course_stack_comes_up_offline_and_logs_in, .timeout = 900)
{
	struct it_lab lab;
	struct it_run r;
	char *before = it_sh("docker image inspect dpage/pgadmin4 >/dev/null 2>&1 && echo present");
	it_lab_make(&lab, "pgadmin", "services: {}\n");
	it_labctl_run(&r, &lab, "up -f '%s/tests/standins/pgadmin/compose.yaml' -p '%s' --offline", it_repo(),
		      lab.project);
	cr_assert_eq(r.status, 0, "up -f --offline: %s\n%s", r.err, r.out);
	char ep[64];
	cr_assert_eq(it_up_endpoint(ep, sizeof(ep), r.out, "pgadmin"), 0, "pgadmin's endpoint in:\n%s", r.out);
	cr_expect(strstr(r.out, "healthy"), "both services health-gated: %s", r.out);
	if (!*before) /* built here: up says so, once */
		cr_expect(strstr(r.err, "building stand-in 'pgadmin' from images/pgadmin"), "%s", r.err);
	free(before);
	it_run_free(&r);

	/* the image that ran is the catalog's stand-in, under the public name */
	char *label = it_sh("docker image inspect dpage/pgadmin4 --format "
			    "'{{index .Config.Labels \"io.labctl.stand-in-for\"}}'");
	cr_expect(strstr(label, "dpage/pgadmin4"), "stand-in label: '%s'", label);
	free(label);

	char *out = login(ep, "pgadmin-pw");
	/* the login page, with the banner from PGADMIN_CONFIG_LOGIN_BANNER */
	cr_expect(strstr(out, "page 200 banner=Course lab: log in with the teacher account\n"), "%s", out);
	/* PGADMIN_DEFAULT_EMAIL/PASSWORD log in: a redirect into the browser */
	cr_expect(strstr(out, "login 302 -> http://") && strstr(out, "/browser/\n"), "%s", out);
	cr_expect(strstr(out, "browser 200\n"), "%s", out);
	/* servers.json was loaded for that user (the last line: it_sh trims
	   the newline) */
	const char *servers = strstr(out, "\nservers ");
	cr_expect(servers && strcmp(servers, "\nservers Course database") == 0, "%s", out);
	free(out);

	/* a wrong password goes back to the login page, which says why */
	out = login(ep, "not-the-password");
	cr_expect(strstr(out, "login 302 -> http://") && strstr(out, "/login\n"), "%s", out);
	cr_expect(strstr(out, "browser 302\n"), "a wrong password must not open the browser: %s", out);
	cr_expect(strstr(out, "Incorrect username or password."), "%s", out);
	free(out);
	it_lab_cleanup(&lab);
}
