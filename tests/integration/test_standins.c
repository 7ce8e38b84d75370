/* Stand-ins (images/catalog.yml, issue 15): compose files written against
 * public images' documented interfaces (tests/standins/<entry>/) come up
 * with no registry, on images built here, and a real client does what the
 * image is for. Also: what cannot be had fails before anything is made,
 * every such image listed; `labctl images` lists the catalog and what is
 * built. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static void expect_nothing_made(const char *project)
{
	cr_expect_eq(it_count_containers(project), 0, "no container made");
	cr_expect_eq(it_count_networks(project), 0, "no network made");
	cr_expect_eq(it_count_volumes(project), 0, "no volume made");
}

/* "" when image is absent, else its io.labctl.stand-in-for label ("<no
 * value>" for an image that is not a stand-in). Caller frees. */
static char *stand_in_for(const char *image)
{
	return it_sh("docker image inspect -f '{{index .Config.Labels \"io.labctl.stand-in-for\"}}' '%s' 2>/dev/null",
		     image);
}

/* The test is about building the stand-in: a real image of that name (a
 * machine with a registry that pulled it) would be used as it is. Else a
 * stand-in of that name built before is removed, so the build is the
 * cold path's (layers come from the build cache). */
static int make_absent(const char *image)
{
	char *label = stand_in_for(image);
	int real = *label && strcmp(label, "<no value>") == 0;
	if (*label && !real)
		free(it_sh("docker rmi '%s' >/dev/null 2>&1; true", image));
	free(label);
	return !real;
}

/* The tag the postgres test runs (PG_TAG): postgres:16-it<pid>, of its
 * own on a shared engine, where other tests may build postgres:16. */
static char pg_image[64];

static void drop_stand_in(void)
{
	if (!pg_image[0])
		return;
	char *label = stand_in_for(pg_image);
	if (*label && strcmp(label, "<no value>") != 0)
		free(it_sh("docker rmi '%s' >/dev/null 2>&1; true", pg_image));
	free(label);
}

/* psql from this machine over the published port; stdout. */
static void psql(struct it_run *r, const char *endpoint, const char *user, const char *password, const char *sql)
{
	const char *colon = strrchr(endpoint, ':');
	it_run(r, "PGPASSWORD='%s' PGCONNECT_TIMEOUT=5 psql -h 127.0.0.1 -p %s -U '%s' -d shop -X -Atc \"%s\"", password,
	       colon + 1, user, sql);
}

/* postgres:16 as its documentation says to use it (POSTGRES_USER,
 * POSTGRES_PASSWORD, POSTGRES_DB, /docker-entrypoint-initdb.d with a .sql
 * and a .sh), --offline: built from images/postgres, tagged postgres:16,
 * labelled; psql logs in with the env's credentials and sees what both
 * init scripts made. A second up keeps it; without --offline the pull
 * fails here (no registry) and the stand-in is built again. */
Test(standins, postgres_official_compose_file_runs_offline_and_psql_logs_in, .timeout = 600, .fini = drop_stand_in)
{
	struct it_lab lab;
	struct it_run r;
	char port[16], endpoint[64], tag[32], want[300];
	snprintf(tag, sizeof(tag), "16-it%d", (int)getpid());
	snprintf(pg_image, sizeof(pg_image), "postgres:%s", tag);
	setenv("PG_TAG", tag, 1);
	if (!make_absent(pg_image))
		cr_skip_test("a real %s is on this engine: nothing to stand in for", pg_image);
	snprintf(port, sizeof(port), "%d", it_free_port());
	setenv("PG_PORT", port, 1);
	setenv("PG_PASSWORD", "s3cret-example", 1);
	it_lab_make(&lab, "standin-pg", "");
	const char *file = "tests/standins/postgres/compose.yaml";

	it_labctl_run(&r, &lab, "up -f '%s/%s' -p '%s' --offline", it_repo(), file, lab.project);
	cr_assert_eq(r.status, 0, "up --offline: %s\n%s", r.err, r.out);
	snprintf(want, sizeof(want),
		 "image '%s': not present and --offline; building stand-in 'postgres' from images/postgres\n", pg_image);
	cr_expect(strstr(r.err, want), "says which stand-in: %s", r.err);
	cr_expect(strstr(r.out, "healthy"), "health-gated: %s", r.out);
	cr_assert_eq(it_up_endpoint(endpoint, sizeof(endpoint), r.out, "db"), 0, "%s", r.out);
	it_run_free(&r);
	char *label = stand_in_for(pg_image);
	cr_expect_str_eq(label, pg_image, "the image is tagged and labelled as the stand-in");
	free(label);
	char *entry = it_sh("docker image inspect -f '{{index .Config.Labels \"io.labctl.stand-in\"}}' '%s'", pg_image);
	cr_expect_str_eq(entry, "postgres");
	free(entry);

	/* the client: psql with the env's credentials, the .sql's table, the
	   .sh's row and user */
	psql(&r, endpoint, "course", "s3cret-example", "select string_agg(item || '=' || qty, ',' order by id) from orders");
	cr_expect_eq(r.status, 0, "psql: %s", r.err);
	cr_expect_str_eq(r.out, "apple=3,pear=5,from-sh=7\n", "both init scripts ran: %s", r.err);
	it_run_free(&r);
	psql(&r, endpoint, "reader", "reader", "select current_user || '@' || current_database() || ':' || count(*) from orders");
	cr_expect_eq(r.status, 0, "the .sh's user logs in: %s", r.err);
	cr_expect_str_eq(r.out, "reader@shop:3\n");
	it_run_free(&r);
	psql(&r, endpoint, "course", "wrong", "select 1");
	cr_expect_neq(r.status, 0, "a wrong password is refused");
	cr_expect(strstr(r.err, "password authentication failed"), "%s", r.err);
	it_run_free(&r);

	/* again: the stand-in is current, nothing built or changed */
	it_labctl_run(&r, &lab, "up -f '%s/%s' -p '%s' --offline", it_repo(), file, lab.project);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(!strstr(r.err, "stand-in") && !strstr(r.err, "building"), "nothing built: %s", r.err);
	cr_expect(strstr(r.err, "nothing changed"), "%s", r.err);
	it_run_free(&r);

	/* labctl images: the entry, and the built stand-in */
	it_labctl_run(&r, &lab, "images");
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "postgres ") && strstr(r.out, "/images/postgres"), "the entry: %s", r.out);
	snprintf(want, sizeof(want), "\n%s ", pg_image);
	cr_expect(strstr(r.out, want), "the built stand-in: %s", r.out);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "images --json");
	cr_expect_eq(r.status, 0, "%s", r.err);
	snprintf(want, sizeof(want), "\"stand_in_for\":\t\"%s\"", pg_image);
	cr_expect(strstr(r.out, want), "%s", r.out);
	it_run_free(&r);

	/* without --offline: the pull is tried, fails (no registry here), and
	   the stand-in is built from nothing again */
	it_labctl_run(&r, &lab, "down -f '%s/%s' -p '%s' --volumes", it_repo(), file, lab.project);
	cr_expect_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	free(it_sh("docker rmi '%s' >/dev/null 2>&1; true", pg_image));
	it_labctl_run(&r, &lab, "up -f '%s/%s' -p '%s'", it_repo(), file, lab.project);
	cr_assert_eq(r.status, 0, "up: %s\n%s", r.err, r.out);
	snprintf(want, sizeof(want), "image '%s': no registry reachable; building stand-in 'postgres' from images/postgres\n",
		 pg_image);
	cr_expect(strstr(r.err, want), "%s", r.err);
	cr_assert_eq(it_up_endpoint(endpoint, sizeof(endpoint), r.out, "db"), 0, "%s", r.out);
	it_run_free(&r);
	psql(&r, endpoint, "course", "s3cret-example", "select count(*) from orders");
	cr_expect_str_eq(r.out, "3\n", "%s", r.err);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}

/* Images that are absent, have no build: and no stand-in: every one
 * listed at once with what was tried and what to do, exit 2, nothing
 * made; with --offline nothing is pulled. */
Test(standins, images_without_a_stand_in_are_all_listed_before_anything_is_made, .timeout = 120)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "standin-none",
		    "services:\n"
		    "  ok:\n"
		    "    image: debian:bookworm-slim\n"
		    "    volumes: [\"data:/data\"]\n"
		    "  one:\n"
		    "    image: labctl-it-nosuch/one:1\n"
		    "  two:\n"
		    "    image: docker.io/library/labctl-it-nosuch-two\n"
		    "volumes:\n"
		    "  data: {}\n");
	it_labctl_run(&r, &lab, "up '%s' --offline", lab.dir);
	cr_expect_eq(r.status, 2, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.err, "2 images the lab needs cannot be had (no container, network or volume was made)"),
		  "%s", r.err);
	cr_expect(strstr(r.err, "service 'one': image 'labctl-it-nosuch/one:1': not on the engine and not pulled "
				"(--offline); no stand-in in '"),
		  "%s", r.err);
	cr_expect(strstr(r.err, "service 'two': image 'docker.io/library/labctl-it-nosuch-two': not on the engine"), "%s",
		  r.err);
	cr_expect(strstr(r.err, "images/catalog.yml' matches it (`labctl images` lists them): give the service a "
				"build:"),
		  "what to do: %s", r.err);
	cr_expect(!strstr(r.err, "pulling"), "nothing pulled with --offline: %s", r.err);
	it_run_free(&r);
	expect_nothing_made(lab.project);
	/* without --offline: the pull was tried, and the catalog */
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 2, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.err, "service 'one': image 'labctl-it-nosuch/one:1': no registry reachable: build it here"),
		  "%s", r.err);
	cr_expect(strstr(r.err, "; no stand-in in '"), "the catalog was tried: %s", r.err);
	it_run_free(&r);
	expect_nothing_made(lab.project);
	it_lab_cleanup(&lab);
}

/* A catalog that does not read: its file:line:col, exit 2, nothing made
 * (LABCTL_IMAGES_DIR names another images directory). */
Test(standins, a_bad_catalog_is_reported_by_line_and_column, .timeout = 120)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "standin-badcat", "services:\n  db:\n    image: postgres:16-labctl-it\n");
	free(it_sh("mkdir -p '%s/../imgs/pg' && echo 'FROM debian:bookworm-slim' > '%s/../imgs/pg/Dockerfile' && "
		   "printf 'stand-ins:\\n  - name: pg\\n    for: [postgres]\\n    contxt: pg\\n' > '%s/../imgs/catalog.yml'",
		   lab.dir, lab.dir, lab.dir));
	it_run(&r, "LABCTL_IMAGES_DIR='%s/../imgs' LABCTL_STATE_DIR='%s' '%s' up '%s' --offline", lab.dir, lab.state,
	       it_labctl(), lab.dir);
	cr_expect_eq(r.status, 2, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.err, "imgs/catalog.yml:4:5: unknown key 'contxt' in a stand-in (did you mean 'context'?)"),
		  "%s", r.err);
	cr_expect(strstr(r.err, "imgs/catalog.yml:2:5: stand-in 'pg' needs a 'context'"), "%s", r.err);
	it_run_free(&r);
	it_run(&r, "LABCTL_IMAGES_DIR='%s/../imgs' '%s' images", lab.dir, it_labctl());
	cr_expect_eq(r.status, 2, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.err, "catalog.yml:4:5: unknown key 'contxt'"), "%s", r.err);
	it_run_free(&r);
	expect_nothing_made(lab.project);
	it_lab_cleanup(&lab);
}

/* A catalog of one small stand-in (FROM debian:bookworm-slim, which setup
 * leaves on the engine) under dir/imgs, for <repo>:1; the lab is dir/lab. */
static void tiny_catalog(const char *dir, const char *repo)
{
	free(it_sh("mkdir -p '%s/imgs/tiny' && printf 'FROM debian:bookworm-slim\\nRUN echo tiny > /tiny\\n"
		   "CMD [\"sleep\", \"infinity\"]\\n' > '%s/imgs/tiny/Dockerfile' && "
		   "printf 'stand-ins:\\n  - name: tiny\\n    for: [%s]\\n    context: tiny\\n"
		   "    interface: a test stand-in\\n    test: tests/integration/test_standins.c\\n' > '%s/imgs/catalog.yml'",
		   dir, dir, repo, dir));
}

/* up --build rebuilds a stand-in as it rebuilds the lab's own images; a
 * plain up after it finds it current. */
Test(standins, up_build_rebuilds_a_stand_in, .timeout = 300)
{
	struct it_lab lab;
	struct it_run r;
	char repo[64], want[1024];
	snprintf(repo, sizeof(repo), "labctl-it-tiny-%d/base", (int)getpid());
	it_lab_make(&lab, "standin-force", "");
	snprintf(want, sizeof(want), "services:\n  app:\n    image: %s:1\n", repo);
	it_lab_write(&lab, want);
	tiny_catalog(lab.dir, repo);
	const char *env = "LABCTL_IMAGES_DIR=\"$D/imgs\" LABCTL_STATE_DIR=\"$S\"";
	it_run(&r, "D='%s' S='%s'; %s '%s' up '%s' --offline", lab.dir, lab.state, env, it_labctl(), lab.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(want, sizeof(want), "app | building image '%s:1' from ", repo);
	cr_expect(strstr(r.err, want) && strstr(r.err, "(not present)"), "built once: %s", r.err);
	it_run_free(&r);
	it_run(&r, "D='%s' S='%s'; %s '%s' up '%s' --offline", lab.dir, lab.state, env, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(!strstr(r.err, "building"), "current: not built again: %s", r.err);
	it_run_free(&r);
	it_run(&r, "D='%s' S='%s'; %s '%s' up '%s' --offline --build", lab.dir, lab.state, env, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	snprintf(want, sizeof(want), "app | building image '%s:1' from %s/imgs/tiny (--build)", repo, lab.dir);
	cr_expect(strstr(r.err, want), "--build rebuilds the stand-in: %s", r.err);
	it_run_free(&r);
	/* with no catalog (another images directory), the stand-in on the
	   engine is an image like any other: used as it is */
	it_run(&r, "D='%s' S='%s'; LABCTL_IMAGES_DIR=\"$D/none\" LABCTL_STATE_DIR=\"$S\" '%s' up '%s' --offline",
	       lab.dir, lab.state, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 0, "a present stand-in with no catalog: %s", r.err);
	cr_expect(!strstr(r.err, "not on the engine"), "%s", r.err);
	it_run_free(&r);
	it_lab_cleanup(&lab);
	free(it_sh("docker rmi '%s:1' >/dev/null 2>&1; true", repo));
}

/* up --offline and a build: FROM a public image: the catalog's stand-in is
 * built first, then the lab's image FROM it; a FROM no entry matches fails
 * before anything is made, listed (exit 2). */
Test(standins, offline_build_from_a_public_image_gets_its_stand_in_first, .timeout = 300)
{
	struct it_lab lab;
	struct it_run r;
	char repo[64], want[1024];
	snprintf(repo, sizeof(repo), "labctl-it-tiny-%d/base", (int)getpid());
	it_lab_make(&lab, "standin-from", "");
	snprintf(want, sizeof(want),
		 "services:\n"
		 "  app:\n"
		 "    build: ./app\n"
		 "    image: labctl-it-app-%d:1\n"
		 "  other:\n"
		 "    build: ./other\n"
		 "    image: labctl-it-other-%d:1\n"
		 "    volumes: [\"data:/data\"]\n"
		 "volumes:\n"
		 "  data: {}\n",
		 (int)getpid(), (int)getpid());
	it_lab_write(&lab, want);
	tiny_catalog(lab.dir, repo);
	free(it_sh("mkdir -p '%s/app' '%s/other' && printf 'FROM %s:1\\nRUN cat /tiny\\n' > '%s/app/Dockerfile' && "
		   "printf 'FROM labctl-it-nosuch-%d/base:2 AS b\\nFROM b\\n' > '%s/other/Dockerfile'",
		   lab.dir, lab.dir, repo, lab.dir, (int)getpid(), lab.dir));
	const char *env = "LABCTL_IMAGES_DIR=\"$D/imgs\" LABCTL_STATE_DIR=\"$S\"";

	/* 'other' is FROM an image nothing provides: all of it refused first */
	it_run(&r, "D='%s' S='%s'; %s '%s' up '%s' --offline", lab.dir, lab.state, env, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 2, "exit %d: %s", r.status, r.err);
	snprintf(want, sizeof(want),
		 "/other/Dockerfile) is FROM 'labctl-it-nosuch-%d/base:2': not on the engine and not pulled "
		 "(--offline); no stand-in in '",
		 (int)getpid());
	cr_expect(strstr(r.err, "service 'other': its build (") && strstr(r.err, want), "listed with what was tried: %s",
		  r.err);
	cr_expect(strstr(r.err, "1 image the lab needs cannot be had (no container, network or volume was made)"), "%s",
		  r.err);
	cr_expect(!strstr(r.err, "| building image"), "nothing built: %s", r.err);
	it_run_free(&r);
	expect_nothing_made(lab.project);

	/* without 'other': the stand-in first, then app FROM it */
	snprintf(want, sizeof(want), "services:\n  app:\n    build: ./app\n    image: labctl-it-app-%d:1\n", (int)getpid());
	it_lab_write(&lab, want);
	it_run(&r, "D='%s' S='%s'; %s '%s' up '%s' --offline", lab.dir, lab.state, env, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	snprintf(want, sizeof(want),
		 "image '%s:1': not present and --offline (service 'app' builds FROM it); building stand-in 'tiny' "
		 "from imgs/tiny",
		 repo);
	cr_expect(strstr(r.err, want), "%s", r.err);
	const char *standin = strstr(r.err, "image 'labctl-it-tiny");
	snprintf(want, sizeof(want), "app | building image 'labctl-it-app-%d:1'", (int)getpid());
	const char *app = strstr(r.err, want);
	cr_expect(standin && app && standin < app, "the stand-in before the build FROM it: %s", r.err);
	it_run_free(&r);
	char *label = it_sh("docker image inspect -f '{{index .Config.Labels \"io.labctl.stand-in\"}}' '%s:1'", repo);
	cr_expect_str_eq(label, "tiny", "tagged and labelled");
	free(label);
	it_lab_cleanup(&lab);
	free(it_sh("docker rmi 'labctl-it-app-%d:1' '%s:1' >/dev/null 2>&1; true", (int)getpid(), repo));
}
