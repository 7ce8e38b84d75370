/* up fails fast and says why: a host port already taken (and by whom),
 * images that cannot be had, all before anything is made (exit 2); a
 * service that fails stops the waiting on the others (exit 1). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void expect_nothing_made(const char *project)
{
	cr_expect_eq(it_count_containers(project), 0, "no container made");
	cr_expect_eq(it_count_networks(project), 0, "no network made");
	cr_expect_eq(it_count_volumes(project), 0, "no volume made");
}

/* A lab that publishes host port PORT (127.0.0.1, the default). */
static const char *publishing = "lab: { name: \"@NAME@\" }\n"
				"services:\n"
				"  db:\n"
				"    image: debian:bookworm-slim\n"
				"    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
				"    volumes: [\"data:/data\"]\n"
				"  web:\n"
				"    image: debian:bookworm-slim\n"
				"    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
				"    ports: [\"%d:80\"]\n"
				"volumes:\n"
				"  data: {}\n";

static char *publishing_on(int port)
{
	char *yaml = NULL;
	cr_assert(asprintf(&yaml, publishing, port) > 0);
	return yaml;
}

/* Run python3 on script (written to DIR/NAME.py) with port as its
 * argument in the background; the script prints its pid once it is
 * ready. Returns that pid (caller frees; "" when it did not start in 5 s). */
static char *spawn_python(const char *dir, const char *name, const char *script, int port)
{
	char *path = NULL;
	cr_assert(asprintf(&path, "%s/%s.py", dir, name) > 0);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(script, f);
	fclose(f);
	char *pid = it_sh("python3 %s %d >%s.out 2>&1 &\n"
			  "for i in $(seq 100); do [ -s %s.out ] && break; sleep 0.05; done; cat %s.out",
			  path, port, path, path, path);
	free(path);
	return pid;
}

/* ---- host ports ---- */

Test(fail_fast, port_held_by_a_host_process_names_it, .timeout = 120)
{
	struct it_lab lab;
	struct it_run r;
	int port = it_free_port();
	char *yaml = publishing_on(port);
	it_lab_make(&lab, "porthost", yaml);
	free(yaml);
	char *pid = spawn_python(lab.dir, "listener",
				 "import os, socket, sys, time\n"
				 "s = socket.socket()\n"
				 "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
				 "s.bind(('127.0.0.1', int(sys.argv[1])))\n"
				 "s.listen()\n"
				 "print(os.getpid(), flush=True)\n"
				 "time.sleep(120)\n",
				 port);
	cr_assert(atoi(pid) > 0, "the listener did not start: %s", pid);

	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 2, "a taken port is bad input (exit %d): %s", r.status, r.err);
	char want[160];
	snprintf(want, sizeof(want), "host port 127.0.0.1:%d of service 'web' is already taken", port);
	cr_expect(strstr(r.err, want), "says which port and service: %s", r.err);
	snprintf(want, sizeof(want), "process %s (python3", pid);
	cr_expect(strstr(r.err, want), "names the process holding it (%s): %s", want, r.err);
	cr_expect(!strstr(r.err, "| created") && !strstr(r.err, "' created"), "%s", r.err);
	it_run_free(&r);
	expect_nothing_made(lab.project);

	it_run(&r, "kill %s", pid);
	it_run_free(&r);
	free(pid);
	it_lab_cleanup(&lab);
}

Test(fail_fast, port_held_by_another_lab_names_it, .timeout = 180)
{
	struct it_lab a, b;
	struct it_run r;
	int port = it_free_port();
	char *yaml = publishing_on(port);
	it_lab_make(&a, "portowner", yaml);
	it_lab_make(&b, "portwanter", yaml);
	free(yaml);
	it_labctl_run(&r, &a, "up '%s'", a.dir);
	cr_assert_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);

	/* its own port is no conflict: a rerun changes nothing */
	it_labctl_run(&r, &a, "up '%s'", a.dir);
	cr_expect_eq(r.status, 0, "a rerun of the lab holding the port: %s", r.err);
	cr_expect(strstr(r.err, "nothing changed"), "%s", r.err);
	it_run_free(&r);

	it_labctl_run(&r, &b, "up '%s'", b.dir);
	cr_expect_eq(r.status, 2, "exit %d: %s", r.status, r.err);
	char want[256];
	snprintf(want, sizeof(want), "held by lab '%s' service 'web'; run `labctl down %s`", a.project, a.project);
	cr_expect(strstr(r.err, want), "names the lab and service (%s): %s", want, r.err);
	it_run_free(&r);
	expect_nothing_made(b.project);

	/* a container that is not a lab's is named */
	it_labctl_run(&r, &a, "down '%s'", a.dir);
	it_run_free(&r);
	char *c = it_sh("docker run -d --name %s-squatter -p 127.0.0.1:%d:80 debian:bookworm-slim sleep 300", b.project,
			port);
	free(c);
	it_labctl_run(&r, &b, "up '%s'", b.dir);
	cr_expect_eq(r.status, 2, "exit %d: %s", r.status, r.err);
	snprintf(want, sizeof(want), "held by container '%s-squatter'", b.project);
	cr_expect(strstr(r.err, want), "%s", r.err);
	it_run_free(&r);
	expect_nothing_made(b.project);
	it_run(&r, "docker rm -f %s-squatter", b.project);
	it_run_free(&r);
	it_lab_cleanup(&a);
	it_lab_cleanup(&b);
}

/* ---- a failed service stops the waiting ---- */

/* bad exits 1 at once; slow would wait 120 s for a port nobody opens:
 * up returns within seconds, naming bad and its reason once, and what it
 * did not start or stopped waiting for. Before: 120 s, then slow's
 * timeout and logs too. */
Test(fail_fast, exited_service_stops_the_waiting, .timeout = 300)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "exitfast",
		    "services:\n"
		    "  bad:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"echo cannot do it >&2; exit 1\"]\n"
		    "    x-ready: { tcp: 80 }\n"
		    "  slow:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; echo warming up; sleep infinity & wait\"]\n"
		    "    x-ready: { tcp: 9999, timeout: 120s }\n"
		    "  after:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"trap 'exit 0' TERM; sleep infinity & wait\"]\n"
		    "    depends_on: { slow: { condition: service_healthy } }\n");
	double t0 = now();
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	double took = now() - t0;
	cr_expect_lt(took, 15.0, "up took %.1fs after bad exited", took);
	cr_expect_eq(r.status, 1, "exit %d: %s", r.status, r.err);
	cr_expect_eq(count(r.err, "service 'bad' container exited with code 1"), 1, "bad named once: %s", r.err);
	cr_expect(strstr(r.err, "cannot do it"), "with its logs: %s", r.err);
	cr_expect(strstr(r.err, "not started: after (service 'bad' failed)"), "%s", r.err);
	cr_expect(strstr(r.err, "stopped waiting for: slow (service 'bad' failed)"), "%s", r.err);
	cr_expect(!strstr(r.err, "warming up"), "no logs of a service not waited for: %s", r.err);
	it_run_free(&r);
	char *after = it_container_id(lab.project, "after", 1);
	cr_expect_str_eq(after, "");
	free(after);
	it_lab_cleanup(&lab);
}

/* A one-shot that fails: what waits for it to complete is not started. */
Test(fail_fast, failed_one_shot_is_named_and_its_dependent_not_started, .timeout = 120)
{
	struct it_lab lab;
	struct it_run r;
	it_lab_make(&lab, "brokenshot",
		    "services:\n"
		    "  broken:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"sh\", \"-c\", \"echo cannot do it >&2; exit 4\"]\n"
		    "  never:\n"
		    "    image: debian:bookworm-slim\n"
		    "    command: [\"true\"]\n"
		    "    depends_on: { broken: { condition: service_completed_successfully } }\n");
	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 1, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.err, "service 'broken'") && strstr(r.err, "exited with code 4"), "%s", r.err);
	cr_expect(strstr(r.err, "cannot do it"), "shows broken's logs: %s", r.err);
	cr_expect(strstr(r.err, "not started: never (dependency 'broken' failed)"), "%s", r.err);
	it_run_free(&r);
	char *never = it_container_id(lab.project, "never", 1);
	cr_expect_str_eq(never, "", "never must not start after broken failed");
	free(never);
	it_lab_cleanup(&lab);
}

/* ---- images ---- */

/* Two images that cannot be had and no build: both listed, each with its
 * reason in plain words and what to do, before anything is made. One
 * names a registry nobody answers for (this machine has none reachable);
 * the other a registry on 127.0.0.1 that answers, but has no such image. */
Test(fail_fast, images_that_cannot_be_had_are_all_listed, .timeout = 120)
{
	struct it_lab lab;
	struct it_run r;
	int port = it_free_port();
	char *yaml = NULL;
	cr_assert(asprintf(&yaml,
			   "services:\n"
			   "  ok:\n"
			   "    image: debian:bookworm-slim\n"
			   "    volumes: [\"data:/data\"]\n"
			   "  one:\n"
			   "    image: labctl-it-nosuch/one:1\n"
			   "  two:\n"
			   "    image: localhost:%d/labctl-it/two:1\n"
			   "volumes:\n"
			   "  data: {}\n",
			   port) > 0);
	it_lab_make(&lab, "noimages", yaml);
	free(yaml);
	/* a registry (API v2) that has nothing */
	char *pid = spawn_python(lab.dir, "registry",
				 "import http.server, os, sys\n"
				 "class H(http.server.BaseHTTPRequestHandler):\n"
				 "    def do_GET(self):\n"
				 "        ok = self.path == '/v2/'\n"
				 "        body = b'{}' if ok else b'{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",'\n"
				 "        body += b'' if ok else b'\"message\":\"manifest unknown\"}]}'\n"
				 "        self.send_response(200 if ok else 404)\n"
				 "        self.send_header('Docker-Distribution-API-Version', 'registry/2.0')\n"
				 "        self.send_header('Content-Type', 'application/json')\n"
				 "        self.send_header('Content-Length', str(len(body)))\n"
				 "        self.end_headers()\n"
				 "        self.wfile.write(body)\n"
				 "    do_HEAD = do_GET\n"
				 "    def log_message(self, *a): pass\n"
				 "s = http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H)\n"
				 "print(os.getpid(), flush=True)\n"
				 "s.serve_forever()\n",
				 port);
	cr_assert(atoi(pid) > 0, "the registry did not start: %s", pid);

	it_labctl_run(&r, &lab, "up '%s'", lab.dir);
	cr_expect_eq(r.status, 2, "exit %d: %s", r.status, r.err);
	cr_expect(strstr(r.err, "2 images the lab needs cannot be had"), "%s", r.err);
	cr_expect(strstr(r.err, "service 'one': image 'labctl-it-nosuch/one:1': no registry reachable"), "%s", r.err);
	char want[200];
	snprintf(want, sizeof(want), "service 'two': image 'localhost:%d/labctl-it/two:1': no such image", port);
	cr_expect(strstr(r.err, want), "%s", r.err);
	cr_expect(strstr(r.err, "build:") && strstr(r.err, "docker load"), "says what to do: %s", r.err);
	it_run_free(&r);
	expect_nothing_made(lab.project);
	it_run(&r, "kill %s", pid);
	it_run_free(&r);
	free(pid);
	it_lab_cleanup(&lab);
}
