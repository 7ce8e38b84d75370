/* Student instances and labctl class: three instances of a small lab
 * (PostgreSQL with a generated password and a port given by a variable, a
 * web server on a literal port that answers with the student's param) run
 * side by side with their own ports and credentials; class verify grades
 * them into one gradebook; class down removes only the roster's. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define CLASS_LAB                                                                                  \
	"lab: { name: \"@NAME@\", seed: class-seed }\n"                                            \
	"include: [\"@REPO@/labs/common/postgres.yml\"]\n"                                         \
	"params:\n"                                                                                \
	"  word: { pick: [red, green, blue, cyan, magenta, yellow] }\n"                            \
	"services:\n"                                                                              \
	"  web:\n"                                                                                 \
	"    image: debian:bookworm-slim\n"                                                        \
	"    command:\n"                                                                           \
	"      - perl\n"                                                                           \
	"      - -MIO::Socket::INET\n"                                                             \
	"      - -e\n"                                                                             \
	"      - |\n"                                                                              \
	"        $$SIG{TERM} = sub { exit 0 };\n"                                                  \
	"        my $$s = IO::Socket::INET->new(LocalPort => 8080, Listen => 16, ReuseAddr => 1) or die;\n" \
	"        while (my $$c = $$s->accept) { while (<$$c>) { last if /^\\r?$$/ } print $$c \"HTTP/1.0 200 OK\\r\\n\\r\\nword=${PARAM_WORD}\\n\"; close $$c }\n" \
	"    ports: [\"18080:8080\"]\n"                                                            \
	"    x-ready: { http: { port: 8080, path: /, status: 200 } }\n"                            \
	"  tool:\n"                                                                                \
	"    build: ./tool\n"                                                                      \
	"    command: [sleep, infinity]\n"                                                         \
	"checks:\n"                                                                                \
	"  - id: word\n"                                                                           \
	"    http: { service: web, port: 8080, path: /, contains: \"word=${PARAM_WORD}\" }\n"       \
	"  - id: answers\n"                                                                        \
	"    sql: { query: \"select count(*) from answers\", min: 1 }\n"                          \
	"    hint: \"labctl exec LAB postgres -- psql -U lab -d lab -c 'create table answers(a int)'\"\n"

static void cleanup_instances(const struct it_lab *lab)
{
	static const char *const students[] = {"alice", "bob", "carol"};
	for (size_t i = 0; i < 3; i++) {
		struct it_run r;
		it_run(&r,
		       "p=%s-%s; ids=$(docker ps -aq --filter label=io.labctl.lab=$p); [ -z \"$ids\" ] || docker rm -f -v $ids;"
		       "ids=$(docker network ls -q --filter label=io.labctl.lab=$p); [ -z \"$ids\" ] || docker network rm $ids;"
		       "ids=$(docker volume ls -q --filter label=io.labctl.lab=$p); [ -z \"$ids\" ] || docker volume rm $ids",
		       lab->project, students[i]);
		it_run_free(&r);
	}
}

/* The value of KEY in the instance's state file (caller frees). */
static char *state_value(const struct it_lab *lab, const char *student, const char *file, const char *key)
{
	return it_sh("sed -n 's|^%s=||p' '%s/%s-%s/%s'", key, lab->state, lab->project, student, file);
}

/* The host port docker publishes container port cport/tcp of the
 * instance's service on (caller frees). */
static char *docker_port(const struct it_lab *lab, const char *student, const char *service, int cport)
{
	return it_sh("docker port %s-%s-%s-1 %d/tcp | head -1 | sed 's/.*://'", lab->project, student, service, cport);
}

Test(class, instances_side_by_side_graded_and_taken_down, .timeout = 900)
{
	struct it_lab lab;
	struct it_run r;
	unsetenv("LAB_STUDENT");
	unsetenv("LABCTL_PORT_RANGE");
	unsetenv("LAB_PG_PORT");
	it_lab_make(&lab, "class", CLASS_LAB);
	char roster[400], bad[400], two[400], book[400];
	snprintf(roster, sizeof(roster), "%s/../roster.txt", lab.dir);
	snprintf(bad, sizeof(bad), "%s/../bad.txt", lab.dir);
	snprintf(two, sizeof(two), "%s/../two.txt", lab.dir);
	snprintf(book, sizeof(book), "%s/../gradebook.csv", lab.dir);
	it_run(&r, "mkdir -p '%s/tool' && printf 'FROM debian:bookworm-slim\\nRUN echo built > /built\\n' > '%s/tool/Dockerfile'",
	       lab.dir, lab.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	it_run(&r, "printf '# section A\\nalice\\n\\nbob   # late\\ncarol\\n' > '%s'; printf 'alice\\nBob\\nalice\\n' > '%s';"
		   "printf 'alice\\nbob\\n' > '%s'", roster, bad, two);
	it_run_free(&r);

	/* a bad roster: every bad line file:line:col, exit 2, nothing made */
	it_labctl_run(&r, &lab, "class up '%s' --roster '%s'", lab.dir, bad);
	cr_expect_eq(r.status, 2, "%s", r.err);
	cr_expect(strstr(r.err, ":2:1: invalid student id 'Bob'"), "%s", r.err);
	cr_expect(strstr(r.err, ":3:1: student 'alice' is already on line 1"), "%s", r.err);
	it_run_free(&r);
	char *none = it_sh("docker ps -a --format '{{.Label \"io.labctl.lab\"}}' | grep -c '^%s-' || true", lab.project);
	cr_expect_str_eq(none, "0");
	free(none);
	/* an invalid id on the command line too */
	it_labctl_run(&r, &lab, "up '%s' --student 'x/y'", lab.dir);
	cr_expect_eq(r.status, 2, "%s", r.err);
	cr_expect(strstr(r.err, "invalid student id 'x/y'"), "%s", r.err);
	it_run_free(&r);

	/* three instances, two at a time */
	it_labctl_run(&r, &lab, "class up '%s' --roster '%s' --parallel 2", lab.dir, roster);
	cr_assert_eq(r.status, 0, "class up: %s\n%s", r.err, r.out);
	cr_expect_eq(it_lines(r.out), 4, "a header and a line per student: %s", r.out);
	cr_expect(strstr(r.err, "class: 3 of 3 instances up"), "%s", r.err);
	/* the image built from build: is the lab's, built once for all three */
	/* (other images, labctl/postgres on a fresh machine, may be built too) */
	char tool[128];
	snprintf(tool, sizeof(tool), "building image '%s-tool'", lab.project);
	const char *b1 = strstr(r.err, tool);
	cr_expect(b1 && !strstr(b1 + 1, tool), "built once: %s", r.err);
	it_run_free(&r);
	char *imgs = it_sh("docker image ls --format '{{.Repository}}' | grep -c '^%s-' || true", lab.project);
	cr_expect_str_eq(imgs, "1", "one image, %s-tool, for every instance", lab.project);
	free(imgs);
	imgs = it_sh("docker image ls -q '%s-tool' | wc -l", lab.project);
	cr_expect_str_eq(imgs, "1");
	free(imgs);

	/* each its own containers, ports and password */
	static const char *const who[] = {"alice", "bob", "carol"};
	char *pg[3], *web[3], *pw[3];
	for (int i = 0; i < 3; i++) {
		char proj[128];
		snprintf(proj, sizeof(proj), "%s-%s", lab.project, who[i]);
		cr_expect_eq(it_count_containers(proj), 3, "%s", proj);
		pg[i] = state_value(&lab, who[i], "ports.env", "LAB_PG_PORT");
		web[i] = state_value(&lab, who[i], "ports.env", "web:8080/tcp");
		pw[i] = state_value(&lab, who[i], "credentials.env", "POSTGRES_PASSWORD");
		cr_expect(atoi(pg[i]) >= 20000 && atoi(pg[i]) <= 29999, "%s: pg port '%s'", who[i], pg[i]);
		char *dpg = docker_port(&lab, who[i], "postgres", 5432), *dweb = docker_port(&lab, who[i], "web", 8080);
		cr_expect_str_eq(dpg, pg[i], "%s: published as recorded", who[i]);
		cr_expect_str_eq(dweb, web[i], "%s: the literal 18080 replaced by the recorded port", who[i]);
		free(dpg);
		free(dweb);
		cr_expect_eq(strlen(pw[i]), 24, "%s: password '%s'", who[i], pw[i]);
	}
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++) {
			cr_expect_str_neq(pg[i], pg[j]);
			cr_expect_str_neq(web[i], web[j]);
			cr_expect_str_neq(pg[i], web[j]);
			cr_expect_str_neq(pw[i], pw[j]);
		}

	/* env --student: the instance's endpoint and password, which log in */
	it_labctl_run(&r, &lab, "env '%s' --student bob", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	char want[160];
	snprintf(want, sizeof(want), "export PGPORT='%s'", pg[1]);
	cr_expect(strstr(r.out, want), "%s", r.out);
	snprintf(want, sizeof(want), "export PGPASSWORD='%s'", pw[1]);
	cr_expect(strstr(r.out, want), "%s", r.out);
	it_run_free(&r);
	it_run(&r, "eval \"$(LABCTL_STATE_DIR='%s' '%s' env '%s' --student bob)\"; psql -Atc 'select 42'", lab.state,
	       it_labctl(), lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect_str_eq(r.out, "42\n");
	it_run_free(&r);

	/* up again (LAB_STUDENT this time): the same ports, nothing recreated */
	it_run(&r, "LAB_STUDENT=alice LABCTL_STATE_DIR='%s' '%s' up '%s'", lab.state, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.err, "is up to date"), "%s", r.err);
	it_run_free(&r);
	char *pg0 = state_value(&lab, "alice", "ports.env", "LAB_PG_PORT");
	cr_expect_str_eq(pg0, pg[0]);
	free(pg0);

	/* before it: the failure's hint names the lab, so verify --student
	   says how to reach her instance (not with $LAB_STUDENT set) */
	it_labctl_run(&r, &lab, "verify '%s' --student alice", lab.dir);
	cr_expect_eq(r.status, 1, "%s %s", r.out, r.err);
	cr_expect(strstr(r.out, "hint: labctl exec LAB postgres"), "%s", r.out);
	cr_expect(strstr(r.err, "note: the hints' labctl commands name the lab; for student 'alice' add --student "
				"alice to them, or export LAB_STUDENT=alice first"),
		  "%s", r.err);
	it_run_free(&r);
	it_run(&r, "LAB_STUDENT=alice LABCTL_STATE_DIR='%s' '%s' verify '%s'", lab.state, it_labctl(), lab.dir);
	cr_expect_eq(r.status, 1, "%s %s", r.out, r.err);
	cr_expect_null(strstr(r.err, "note: the hints'"), "with $LAB_STUDENT the hints work as written: %s", r.err);
	it_run_free(&r);

	/* alice does the exercise, in her instance only */
	it_labctl_run(&r, &lab,
		      "exec '%s' --student alice postgres -- psql -U lab -d lab -c 'create table answers(a int); insert into "
		      "answers values (1)'",
		      lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	it_labctl_run(&r, &lab, "verify '%s' --student alice", lab.dir);
	cr_expect_eq(r.status, 0, "%s %s", r.out, r.err);
	it_run_free(&r);

	/* one gradebook: a row per student and check, each graded in its
	   own instance with its own params */
	it_labctl_run(&r, &lab, "class verify '%s' --roster '%s' --format csv -o '%s'", lab.dir, roster, book);
	cr_expect_eq(r.status, 1, "bob and carol have not done it: %s %s", r.out, r.err);
	cr_expect(strstr(r.out, "alice                2        0"), "%s", r.out);
	cr_expect(strstr(r.out, "bob                  1        1"), "%s", r.out);
	it_run_free(&r);
	char *csv = it_sh("cat '%s'", book);
	cr_expect_eq(it_lines(csv), 7, "%s", csv);
	cr_expect(strncmp(csv, "student,check,status,observed,expected,message\r\n", 48) == 0, "%s", csv);
	cr_expect(strstr(csv, "\r\nalice,answers,passed,1,>= 1,\r\n"), "%s", csv);
	cr_expect(strstr(csv, "\r\nbob,answers,failed,,>= 1,\"sql: relation \"\"answers\"\" does not exist\"\r\n"), "%s",
		  csv);
	for (int i = 0; i < 3; i++) {
		/* the word each student's server says is the one their check wants */
		char *word = it_sh("curl -s http://127.0.0.1:%s/ | sed -n 's/^word=//p'", web[i]);
		char row[160];
		snprintf(row, sizeof(row), "\r\n%s,word,passed,", who[i]);
		cr_expect(strstr(csv, row), "%s: %s", who[i], csv);
		snprintf(row, sizeof(row), "body contains 'word=%s'", word);
		cr_expect(strlen(word) > 2 && strstr(csv, row), "%s says '%s': %s", who[i], word, csv);
		free(word);
	}
	free(csv);
	it_labctl_run(&r, &lab, "class verify '%s' --roster '%s' --format json --only answers", lab.dir, two);
	cr_expect_eq(r.status, 1, "%s", r.err);
	char *rows = it_sh("printf '%%s' '%s' | python3 -c 'import json,sys; d=json.load(sys.stdin); "
			   "print(d[\"lab\"], *[r[\"student\"]+\":\"+r[\"status\"] for r in d[\"rows\"]])'",
			   r.out);
	char want_rows[200];
	snprintf(want_rows, sizeof(want_rows), "%s alice:passed bob:failed", lab.project);
	cr_expect_str_eq(rows, want_rows);
	free(rows);
	it_run_free(&r);

	/* class down of two: only theirs goes; carol's instance stays */
	it_labctl_run(&r, &lab, "class down '%s' --roster '%s'", lab.dir, two);
	cr_expect_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	char proj[3][128];
	for (int i = 0; i < 3; i++)
		snprintf(proj[i], sizeof(proj[i]), "%s-%s", lab.project, who[i]);
	cr_expect_eq(it_count_containers(proj[0]), 0);
	cr_expect_eq(it_count_containers(proj[1]), 0);
	cr_expect_eq(it_count_volumes(proj[0]), 1, "named volumes kept without --volumes");
	cr_expect_eq(it_count_containers(proj[2]), 3, "carol's instance is not on that roster");
	it_labctl_run(&r, &lab, "status '%s' --student carol", lab.dir);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, web[2]), "%s", r.out);
	it_run_free(&r);

	it_labctl_run(&r, &lab, "class down '%s' --roster '%s' --volumes", lab.dir, roster);
	cr_expect_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	for (int i = 0; i < 3; i++) {
		cr_expect_eq(it_count_containers(proj[i]), 0);
		cr_expect_eq(it_count_networks(proj[i]), 0);
		cr_expect_eq(it_count_volumes(proj[i]), 0);
		free(pg[i]);
		free(web[i]);
		free(pw[i]);
	}
	cleanup_instances(&lab);
	it_run(&r, "docker rmi '%s-tool' >/dev/null 2>&1", lab.project);
	it_run_free(&r);
	it_lab_cleanup(&lab);
}

/* A name the project name does not reach would be one thing for every
 * instance: the second student's `up` would take the first one's
 * container, or both would write one volume. up --student refuses such a
 * lab at the name's place in the file (exit 2) and makes nothing. */
Test(class, instance_refuses_names_every_instance_would_share, .timeout = 120)
{
	static const struct {
		const char *yaml;
		const char *want;
	} cases[] = {
		{"lab: { name: \"@NAME@\" }\n"
		 "services:\n  a:\n    image: debian:bookworm-slim\n    container_name: fixed\n",
		 "lab.yml:3:3: service 'a' sets container_name: every student instance would share it; "
		 "remove it to run instances"},
		{"lab: { name: \"@NAME@\" }\n"
		 "services:\n  a:\n    image: debian:bookworm-slim\n    volumes: [data:/d]\n"
		 "volumes:\n  data:\n    name: course-data\n",
		 "lab.yml:7:3: volume 'data' sets name: every student instance would share it; remove it to run instances"},
		{"lab: { name: \"@NAME@\" }\n"
		 "services:\n  a:\n    image: debian:bookworm-slim\n    networks: [n]\n"
		 "networks:\n  n:\n    name: course-net\n",
		 "lab.yml:7:3: network 'n' sets name: every student instance would share it; remove it to run instances"},
	};
	unsetenv("LAB_STUDENT");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct it_lab lab;
		struct it_run r;
		it_lab_make(&lab, "shared", cases[i].yaml);
		it_labctl_run(&r, &lab, "up '%s' --student alice", lab.dir);
		cr_expect_eq(r.status, 2, "case %zu: exit %d: %s", i, r.status, r.err);
		cr_expect(strstr(r.err, cases[i].want), "case %zu: %s", i, r.err);
		char *inst = NULL;
		cr_assert(asprintf(&inst, "%s-alice", lab.project) > 0);
		cr_expect_eq(it_count_containers(inst) + it_count_networks(inst) + it_count_volumes(inst), 0,
			     "case %zu: nothing made", i);
		char *vols = it_sh("docker volume ls -q --filter name=course-data | wc -l");
		cr_expect_eq(atoi(vols), 0, "case %zu: no course-data volume", i);
		free(vols);
		/* what a broken up made for the instance */
		char *gone = it_sh("l=label=io.labctl.lab=%s; ids=$(docker ps -aq --filter $l); [ -z \"$ids\" ] || docker rm -f -v $ids;"
				   "ids=$(docker network ls -q --filter $l); [ -z \"$ids\" ] || docker network rm $ids;"
				   "ids=$(docker volume ls -q --filter $l); [ -z \"$ids\" ] || docker volume rm $ids",
				   inst);
		free(gone);
		free(inst);
		it_run_free(&r);
		it_lab_cleanup(&lab);
	}
}
