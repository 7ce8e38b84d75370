/* lab_converge (labctl/converge) against the fake engine (fake_engine.h):
 * the requests it makes, in which order, and what it reports (events and
 * result). Each test writes a lab file to a temp dir and serves canned
 * answers for it: images exist ("sha256:img"), the lab's networks and
 * volumes do not, and containers answer inspect as the test needs. */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../labctl/converge/converge.h"
#include "../../labctl/plan/plan.h"
#include "../../labctl/util/parallel.h"
#include "fake_engine.h"
#include "threads_ok.h"

/* ---- a lab, the fake engine, converge ---- */

#define OK_201(body) FE_HTTP("201 Created", body)
#define OK_200(body) FE_HTTP("200 OK", body)
#define NO_CONTENT FE_HTTP("204 No Content", "")
#define RUNNING "{\"State\":{\"Status\":\"running\"},\"Config\":{\"Tty\":true}}"

/* What every converge asks first: ping, the image, networks, volumes. */
#define BASE_ROUTES                                                                                  \
	{"GET /_ping", FE_PING_OK, 0, 0}, {"GET /v1.41/images/img:1/json", OK_200("{\"Id\":\"sha256:img\"}"), 0, 0}, \
		{"GET /v1.41/networks", OK_200("[]"), 0, 0},                                          \
		{"POST /v1.41/networks/create", OK_201("{\"Id\":\"n1\"}"), 0, 0},                     \
		{"GET /v1.41/volumes", OK_200("{\"Volumes\":[]}"), 0, 0}

/* The lab has no container yet. */
#define NO_CONTAINERS {"GET /v1.41/containers/json", OK_200("[]"), 0, 0}
/* Replica 1 of service svc is created as container id; id starts. */
#define CREATE(svc, id) {"POST /v1.41/containers/create?name=cvt-" svc "-1", OK_201("{\"Id\":\"" id "\"}"), 0, 0}
#define START(id) {"POST /v1.41/containers/" id "/start", NO_CONTENT, 0, 0}
/* Service a has no container yet: it is created as a1, starts and runs. */
#define A_NEW_AND_RUNNING                                                              \
	NO_CONTAINERS, CREATE("a", "a1"), START("a1"), {"GET /v1.41/containers/a1/json", OK_200(RUNNING), 0, 0}

struct cvt {
	char dir[64];
	struct lab *lab;
	struct fe_server fe;
	struct lab_engine *e;
	struct lab_strv events; /* "kind subject [reason]" per event */
	struct lab_converge_result *res;
	struct lab_err err;
	int rc;
	const char *catalog; /* opts.catalog */
	int offline;         /* opts.offline */
};

static void cvt_load(struct cvt *t, const char *yaml)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/labctl-cvt-XXXXXX");
	cr_assert_not_null(mkdtemp(t->dir));
	char *path = lab_xasprintf("%s/lab.yml", t->dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(yaml, f);
	fclose(f);
	cr_assert_eq(lab_load(&t->lab, path, NULL, &t->err), 0, "%s", t->err.msg);
	free(path);
}

static const char *const kind_names[] = {
	[LAB_CONVERGE_IMAGE] = "image",
	[LAB_CONVERGE_NETWORK_CREATED] = "network",
	[LAB_CONVERGE_NETWORK_REMOVED] = "network-removed",
	[LAB_CONVERGE_VOLUME_CREATED] = "volume",
	[LAB_CONVERGE_CONTAINER_CREATED] = "created",
	[LAB_CONVERGE_CONTAINER_RECREATED] = "recreated",
	[LAB_CONVERGE_CONTAINER_STARTED] = "started",
	[LAB_CONVERGE_CONTAINER_REMOVED] = "removed",
	[LAB_CONVERGE_ORPHAN_FOUND] = "orphan",
	[LAB_CONVERGE_SERVICE_WAITING] = "waiting",
	[LAB_CONVERGE_SERVICE_READY] = "ready",
	[LAB_CONVERGE_SERVICE_FAILED] = "failed",
	[LAB_CONVERGE_BUCKETS_READY] = "buckets",
	[LAB_CONVERGE_IMAGES_BUILT] = "built",
	[LAB_CONVERGE_CONNECTOR] = "connector",
	[LAB_CONVERGE_DATASET_PRESENT] = "dataset",
	[LAB_CONVERGE_DATASET_PROGRESS] = "dataset",
	[LAB_CONVERGE_DATASET_UPLOADED] = "dataset",
	[LAB_CONVERGE_STAND_IN] = "stand-in",
};

/* No lock: converge promises one call at a time. */
static void cvt_record(const struct lab_converge_event *ev, void *ud)
{
	struct cvt *t = ud;
	const char *subject = ev->name ? ev->name : ev->service ? ev->service : "";
	const char *extra = ev->kind == LAB_CONVERGE_SERVICE_READY ? ev->state : ev->reason;
	lab_strv_pushf(&t->events, "%s %s%s%s", kind_names[ev->kind], subject, extra ? ": " : "", extra ? extra : "");
}

/* Converge t's lab against routes; threads >= 0: only that many threads
 * can be made meanwhile (threads_ok.h). */
static void cvt_converge_threads(struct cvt *t, const struct fe_route *routes, size_t n, int threads)
{
	fe_start(&t->fe, routes, n);
	cr_assert_eq(lab_engine_open(&t->e, t->fe.host, &t->err), 0, "%s", t->err.msg);
	struct lab_converge_opts opts = {
		.progress = cvt_record, .progress_ud = t, .catalog = t->catalog, .offline = t->offline};
	threads_ok(threads);
	t->rc = lab_converge(&t->res, t->lab, t->e, &opts, &t->err);
	threads_ok(-1);
}

static void cvt_converge(struct cvt *t, const struct fe_route *routes, size_t n)
{
	cvt_converge_threads(t, routes, n, -1);
}

static void cvt_free(struct cvt *t)
{
	lab_converge_result_free(t->res);
	lab_engine_free(t->e);
	fe_stop(&t->fe);
	lab_free(t->lab);
	lab_strv_free(&t->events);
	char *path = lab_xasprintf("%s/lab.yml", t->dir);
	unlink(path);
	free(path);
	rmdir(t->dir);
}

/* Index of the first event starting with prefix, or -1. */
static long cvt_event(const struct cvt *t, const char *prefix)
{
	for (size_t i = 0; i < t->events.n; i++)
		if (strncmp(t->events.v[i], prefix, strlen(prefix)) == 0)
			return (long)i;
	return -1;
}

/* The result's entry for service name. */
static const struct lab_converge_service *cvt_service(const struct cvt *t, const char *name)
{
	cr_assert_not_null(t->res, "no result: %d %s", t->rc, t->err.msg);
	for (size_t i = 0; i < t->res->n_services; i++)
		if (strcmp(t->res->services[i].name, name) == 0)
			return &t->res->services[i];
	cr_assert_fail("no service '%s' in the result", name);
	return NULL;
}

/* A /containers/json answer listing one container of service a, replica
 * 1, with config hash hash and state state (static buffer). */
static const char *cvt_listing(const char *hash, const char *state, const char *status)
{
	static char buf[1024];
	snprintf(buf, sizeof(buf),
		 OK_200("[{\"Id\":\"old1\",\"Names\":[\"/cvt-a-1\"],\"State\":\"%s\",\"Status\":\"%s\","
			"\"Labels\":{\"io.labctl.lab\":\"cvt\",\"io.labctl.service\":\"a\",\"io.labctl.replica\":\"1\","
			"\"io.labctl.config-hash\":\"%s\"}}]"),
		 state, status, hash);
	return buf;
}

static const char *const two_services =
	"lab: {name: cvt}\n"
	"services:\n"
	"  a:\n"
	"    image: img:1\n"
	"    x-ready: {timeout: 5s}\n"
	"  b:\n"
	"    image: img:1\n"
	"    x-ready: {timeout: 5s}\n"
	"    depends_on: {a: {condition: service_healthy}}\n";

/* ---- waves ---- */

/* b depends on a being healthy: b is created only once a's healthcheck
 * said healthy, after three answers of "starting". */
Test(converge, dependent_created_only_after_its_dependency_is_ready)
{
	struct cvt t;
	cvt_load(&t, two_services);
	struct fe_route routes[] = {
		BASE_ROUTES,
		NO_CONTAINERS,
		CREATE("a", "a1"),
		CREATE("b", "b1"),
		START("a1"),
		START("b1"),
		{"GET /v1.41/containers/a1/json",
		 OK_200("{\"State\":{\"Status\":\"running\",\"Health\":{\"Status\":\"starting\"}}}"), 0, 3},
		{"GET /v1.41/containers/a1/json",
		 OK_200("{\"State\":{\"Status\":\"running\",\"Health\":{\"Status\":\"healthy\"}}}"), 0, 0},
		{"GET /v1.41/containers/b1/json", OK_200(RUNNING), 0, 0},
	};
	cvt_converge(&t, routes, FE_N(routes));
	cr_expect_eq(t.rc, 0, "%d %s", t.rc, t.err.msg);

	long healthy = -1;
	for (int k = 0; k < 4; k++)
		healthy = fe_find(&t.fe, "GET /v1.41/containers/a1/json", (size_t)(healthy + 1));
	long create_b = fe_find(&t.fe, "POST /v1.41/containers/create?name=cvt-b-1", 0);
	cr_expect_geq(healthy, 0, "a's fourth inspect (healthy) was asked");
	cr_expect_gt(create_b, healthy, "b created (request %ld) after a was healthy (request %ld)", create_b, healthy);
	cr_expect_lt(fe_find(&t.fe, "POST /v1.41/containers/a1/start", 0),
		     fe_find(&t.fe, "GET /v1.41/containers/a1/json", 0), "a started before it is polled");

	cr_expect_geq(cvt_event(&t, "waiting a: healthcheck says starting"), 0, "a's wait reported");
	cr_expect_lt(cvt_event(&t, "ready a"), cvt_event(&t, "created cvt-b-1"), "a ready before b created");
	cr_expect_geq(cvt_event(&t, "network cvt_default"), 0);

	/* the result: dependency order, both ready, counts */
	cr_assert_eq(t.res->n_services, 2);
	cr_expect_str_eq(t.res->services[0].name, "a");
	cr_expect_str_eq(t.res->services[1].name, "b");
	const struct lab_converge_service *a = cvt_service(&t, "a"), *b = cvt_service(&t, "b");
	/* b said what it waited for, then a what its healthcheck said */
	cr_expect_geq(cvt_event(&t, "waiting b: dependency 'a' (service_healthy)"), 0);
	cr_expect_geq(cvt_event(&t, "waiting a: healthcheck says starting"), 0);
	/* its image's HEALTHCHECK gated it: "healthy", the word status uses */
	cr_expect_str_eq(a->state, "healthy");
	cr_expect_eq(a->ready_replicas, 1);
	cr_expect_eq(a->created, 1);
	cr_expect_eq(b->created, 1);
	cr_expect_eq(a->err.code, 0);
	cr_expect_geq(b->seconds_to_start, a->seconds_to_ready);
	cr_expect_eq(t.res->changes, 2);
	cvt_free(&t);
}

/* a's container exits 1: a fails with its last log lines, b is never
 * created and says why. */
Test(converge, failed_dependency_stops_its_dependents)
{
	struct cvt t;
	cvt_load(&t, two_services);
	struct fe_route routes[] = {
		BASE_ROUTES,
		NO_CONTAINERS,
		CREATE("a", "a1"),
		START("a1"),
		{"GET /v1.41/containers/a1/json",
		 OK_200("{\"State\":{\"Status\":\"exited\",\"ExitCode\":1},\"Config\":{\"Tty\":true}}"), 0, 0},
		{"GET /v1.41/containers/a1/logs", OK_200("boom\n"), 0, 0},
	};
	cvt_converge(&t, routes, FE_N(routes));
	cr_expect_eq(t.rc, LAB_ERR, "%d %s", t.rc, t.err.msg);
	const struct lab_converge_service *a = cvt_service(&t, "a"), *b = cvt_service(&t, "b");
	cr_expect_eq(a->err.code, LAB_ERR, "a container that exited is a failure, not a timeout: %d", a->err.code);
	cr_expect_str_eq(a->err.msg, "service 'a' container exited with code 1\nlast log lines:\nboom\n");
	cr_expect_str_eq(a->state, "failed");
	cr_expect_eq(a->seconds_to_ready, -1);
	cr_expect_str_eq(b->err.msg, "not started: dependency 'a' failed");
	cr_expect_str_eq(b->state, "not started");
	cr_expect_eq(b->outcome, LAB_CONVERGE_NOT_STARTED);
	cr_expect_eq(a->outcome, LAB_CONVERGE_FAILED);
	cr_expect_eq(b->created, 0);
	cr_expect_eq(fe_find(&t.fe, "POST /v1.41/containers/create?name=cvt-b-1", 0), -1, "b never created");
	cr_expect_geq(cvt_event(&t, "failed a: service 'a' container exited"), 0);
	cr_expect_geq(cvt_event(&t, "failed b: not started: dependency 'a' failed"), 0);
	cr_expect_str_eq(t.err.msg, a->err.msg, "err is the first failed service's");
	cvt_free(&t);
}

/* ---- config hash: keep or recreate ---- */

static const char *const one_service = "lab: {name: cvt}\n"
				       "services:\n"
				       "  a:\n"
				       "    image: img:1\n"
				       "    x-ready: {timeout: 5s}\n";

Test(converge, changed_hash_recreates_same_hash_keeps)
{
	struct cvt t;
	cvt_load(&t, one_service);
	struct fe_route routes[] = {
		BASE_ROUTES,
		{"GET /v1.41/containers/json", cvt_listing("another-hash", "running", "Up 2 minutes"), 0, 0},
		{"POST /v1.41/containers/old1/stop", NO_CONTENT, 0, 0},
		{"DELETE /v1.41/containers/old1", NO_CONTENT, 0, 0},
		CREATE("a", "a1"),
		START("a1"),
		{"GET /v1.41/containers/a1/json", OK_200(RUNNING), 0, 0},
	};
	cvt_converge(&t, routes, FE_N(routes));
	cr_expect_eq(t.rc, 0, "%d %s", t.rc, t.err.msg);
	/* no ?t=: the container's own StopTimeout (stop_grace_period) */
	long stop = fe_find(&t.fe, "POST /v1.41/containers/old1/stop", 0);
	cr_expect_str_eq(stop >= 0 ? fe_req(&t.fe, (size_t)stop) : "", "POST /v1.41/containers/old1/stop");
	long rm = fe_find(&t.fe, "DELETE /v1.41/containers/old1?force=1&v=1", 0);
	long create = fe_find(&t.fe, "POST /v1.41/containers/create?name=cvt-a-1", 0);
	cr_expect(stop >= 0 && rm > stop && create > rm, "stop %ld, remove %ld, create %ld", stop, rm, create);
	cr_expect_gt(fe_find(&t.fe, "POST /v1.41/containers/a1/start", 0), create);
	const struct lab_converge_service *a = cvt_service(&t, "a");
	cr_expect_eq(a->recreated, 1);
	cr_expect_eq(a->created, 0);
	cr_expect_geq(cvt_event(&t, "recreated cvt-a-1: configuration changed"), 0);
	/* the new container carries the hash converge computes */
	char hash[65], want[128];
	lab_plan_config_hash(hash, t.lab, &t.lab->services[0], "sha256:img");
	snprintf(want, sizeof(want), "\"io.labctl.config-hash\":\"%s\"", hash);
	cr_expect(strstr(fe_body(&t.fe, (size_t)create), want), "%s", fe_body(&t.fe, (size_t)create));
	cvt_free(&t);

	/* the same hash, running: kept, nothing asked of it but readiness */
	cvt_load(&t, one_service);
	lab_plan_config_hash(hash, t.lab, &t.lab->services[0], "sha256:img");
	struct fe_route same[] = {
		BASE_ROUTES,
		{"GET /v1.41/containers/json", cvt_listing(hash, "running", "Up 2 minutes"), 0, 0},
		{"GET /v1.41/containers/old1/json", OK_200(RUNNING), 0, 0},
	};
	cvt_converge(&t, same, FE_N(same));
	cr_expect_eq(t.rc, 0, "%d %s", t.rc, t.err.msg);
	a = cvt_service(&t, "a");
	cr_expect_eq(a->kept, 1);
	cr_expect_eq(t.res->changes, 0);
	cr_expect_eq(fe_find(&t.fe, "POST /v1.41/containers/create", 0), -1);
	cr_expect_eq(fe_find(&t.fe, "POST /v1.41/containers/old1/st", 0), -1);
	cvt_free(&t);
}

/* ---- defects ---- */

/* An engine error while polling readiness is an engine error (exit 3),
 * not a timeout. */
Test(converge, engine_error_during_readiness_keeps_its_code)
{
	struct cvt t;
	cvt_load(&t, one_service);
	struct fe_route routes[] = {
		BASE_ROUTES,
		NO_CONTAINERS,
		CREATE("a", "a1"),
		START("a1"),
		{"GET /v1.41/containers/a1/json", FE_HTTP("500 Internal Server Error", "{\"message\":\"daemon sick\"}"), 0, 0},
	};
	cvt_converge(&t, routes, FE_N(routes));
	const struct lab_converge_service *a = cvt_service(&t, "a");
	cr_expect_eq(a->err.code, LAB_EENGINE, "code %d: %s", a->err.code, a->err.msg);
	cr_expect(strstr(a->err.msg, "service 'a' engine: GET /containers/a1/json: 500") == a->err.msg, "%s", a->err.msg);
	cr_expect(strstr(a->err.msg, "daemon sick"), "%s", a->err.msg);
	cr_expect_eq(t.rc, LAB_EENGINE, "%d", t.rc);
	cr_expect_eq(lab_err_exit_code(t.rc), LAB_EXIT_ENGINE);
	cvt_free(&t);
}

static const char *const two_networks = "lab: {name: cvt}\n"
					"services:\n"
					"  a:\n"
					"    image: img:1\n"
					"    networks: [front, back]\n"
					"    x-ready: {timeout: 5s}\n"
					"networks: {front: {}, back: {}}\n";

/* The two networks exist, each with its id: the second is connected by
 * its id, not by its name (which several networks may carry). */
#define TWO_NETWORKS_EXIST                                                                               \
	{"GET /v1.41/networks",                                                                          \
	 OK_200("[{\"Id\":\"nf\",\"Name\":\"cvt_front\"},{\"Id\":\"nb\",\"Name\":\"cvt_back\"}]"), 0, 0}

/* Connecting the second network fails: the container, labelled with the
 * config hash already, is removed, never started. */
Test(converge, container_whose_network_fails_is_removed)
{
	struct cvt t;
	cvt_load(&t, two_networks);
	struct fe_route routes[] = {
		TWO_NETWORKS_EXIST,
		BASE_ROUTES,
		NO_CONTAINERS,
		CREATE("a", "a1"),
		{"POST /v1.41/networks/nb/connect",
		 FE_HTTP("500 Internal Server Error", "{\"message\":\"no more addresses\"}"), 0, 0},
		{"DELETE /v1.41/containers/a1", NO_CONTENT, 0, 0},
		START("a1"),
	};
	cvt_converge(&t, routes, FE_N(routes));
	const struct lab_converge_service *a = cvt_service(&t, "a");
	cr_expect_eq(a->err.code, LAB_EENGINE, "%d %s", a->err.code, a->err.msg);
	cr_expect(strstr(a->err.msg, "no more addresses"), "%s", a->err.msg);
	long connect = fe_find(&t.fe, "POST /v1.41/networks/nb/connect", 0);
	long rm = fe_find(&t.fe, "DELETE /v1.41/containers/a1?force=1", 0);
	cr_expect(connect >= 0 && rm > connect, "connect %ld, then remove %ld", connect, rm);
	cr_expect_eq(fe_find(&t.fe, "POST /v1.41/containers/a1/start", 0), -1, "never started");
	cr_expect_geq(cvt_event(&t, "removed cvt-a-1: its networks could not be connected"), 0);
	cvt_free(&t);
}

/* What an interrupted run leaves (a container with the right hash that
 * never started, its networks perhaps not connected) is not kept: the next
 * up creates it anew, connected. */
Test(converge, never_started_container_with_matching_hash_is_recreated)
{
	struct cvt t;
	char hash[65];
	cvt_load(&t, two_networks);
	lab_plan_config_hash(hash, t.lab, &t.lab->services[0], "sha256:img");
	struct fe_route routes[] = {
		TWO_NETWORKS_EXIST,
		BASE_ROUTES,
		{"GET /v1.41/containers/json", cvt_listing(hash, "created", "Created"), 0, 0},
		{"POST /v1.41/containers/old1/stop", NO_CONTENT, 0, 0},
		{"DELETE /v1.41/containers/old1", NO_CONTENT, 0, 0},
		START("old1"),
		CREATE("a", "a1"),
		{"POST /v1.41/networks/nb/connect", OK_200(""), 0, 0},
		START("a1"),
		{"GET /v1.41/containers/a1/json", OK_200(RUNNING), 0, 0},
		{"GET /v1.41/containers/old1/json", OK_200(RUNNING), 0, 0},
	};
	cvt_converge(&t, routes, FE_N(routes));
	cr_expect_eq(t.rc, 0, "%d %s", t.rc, t.err.msg);
	cr_expect_eq(fe_find(&t.fe, "POST /v1.41/containers/old1/start", 0), -1, "the incomplete one is not started");
	long rm = fe_find(&t.fe, "DELETE /v1.41/containers/old1", 0);
	long create = fe_find(&t.fe, "POST /v1.41/containers/create?name=cvt-a-1", 0);
	long connect = fe_find(&t.fe, "POST /v1.41/networks/nb/connect", 0);
	long start = fe_find(&t.fe, "POST /v1.41/containers/a1/start", 0);
	cr_expect(rm >= 0 && create > rm && connect > create && start > connect, "remove %ld create %ld connect %ld start %ld",
		  rm, create, connect, start);
	cr_expect_eq(cvt_service(&t, "a")->recreated, 1);
	cr_expect_geq(cvt_event(&t, "recreated cvt-a-1: left incomplete by an earlier run"), 0);
	cvt_free(&t);
}

/* No thread for the services: each fails saying so, nothing hangs or
 * crashes, nothing is created. */
Test(converge, service_thread_that_cannot_be_made_fails_the_service)
{
	struct cvt t;
	cvt_load(&t, two_services);
	struct fe_route routes[] = {
		BASE_ROUTES,
		NO_CONTAINERS,
	};
	cvt_converge_threads(&t, routes, FE_N(routes), 0);
	cr_expect_eq(t.rc, LAB_ERR, "%d %s", t.rc, t.err.msg);
	const struct lab_converge_service *a = cvt_service(&t, "a"), *b = cvt_service(&t, "b");
	cr_expect(strstr(a->err.msg, "service 'a': cannot start a thread for it"), "%s", a->err.msg);
	cr_expect_str_eq(a->state, "failed");
	cr_expect_str_eq(b->state, "failed");
	cr_expect_eq(fe_find(&t.fe, "POST /v1.41/containers/create", 0), -1);
	cvt_free(&t);
}

/* The service's thread is made, its replicas' are not: the service's own
 * thread converges all three. */
Test(converge, replica_threads_that_cannot_be_made_leave_the_work_to_one)
{
	struct cvt t;
	cvt_load(&t, "lab: {name: cvt}\n"
		     "services:\n"
		     "  a:\n"
		     "    image: img:1\n"
		     "    deploy: {replicas: 3}\n"
		     "    x-ready: {timeout: 5s}\n");
	struct fe_route routes[] = {
		BASE_ROUTES,
		NO_CONTAINERS,
		{"POST /v1.41/containers/create?name=cvt-a-", OK_201("{\"Id\":\"ax\"}"), 0, 0},
		START("ax"),
		{"GET /v1.41/containers/ax/json", OK_200(RUNNING), 0, 0},
	};
	cvt_converge_threads(&t, routes, FE_N(routes), 1);
	cr_expect_eq(t.rc, 0, "%d %s", t.rc, t.err.msg);
	const struct lab_converge_service *a = cvt_service(&t, "a");
	cr_expect_eq(a->created, 3);
	cr_expect_eq(a->ready_replicas, 3);
	for (int i = 1; i <= 3; i++) {
		char want[64];
		snprintf(want, sizeof(want), "POST /v1.41/containers/create?name=cvt-a-%d", i);
		cr_expect_geq(fe_find(&t.fe, want, 0), 0, "%s", want);
	}
	cvt_free(&t);
}

/* Failures before the services run leave no result. */
Test(converge, engine_error_before_services_gives_no_result)
{
	struct cvt t;
	cvt_load(&t, one_service);
	struct fe_route routes[] = {
		{"GET /_ping", FE_PING_OK, 0, 0},
		{"GET /v1.41/images/img:1/json", OK_200("{\"Id\":\"sha256:img\"}"), 0, 0},
		{"GET /v1.41/networks", FE_HTTP("500 Internal Server Error", "{\"message\":\"boom\"}"), 0, 0},
	};
	cvt_converge(&t, routes, FE_N(routes));
	cr_expect_eq(t.rc, LAB_EENGINE, "%d %s", t.rc, t.err.msg);
	cr_expect_null(t.res);
	cr_expect(strstr(t.err.msg, "boom"), "%s", t.err.msg);
	cvt_free(&t);
}

/* ---- networks: several of one name ---- */

/* Two networks called cvt_default, nothing attached: the one with the
 * lab's label is kept, the other removed, and the lab converges on it. */
#define TWO_DEFAULTS                                                                              \
	{"GET /v1.41/networks",                                                                    \
	 OK_200("[{\"Id\":\"d1\",\"Name\":\"cvt_default\",\"Created\":\"2026-01-02T00:00:00Z\"},"   \
		"{\"Id\":\"d2\",\"Name\":\"cvt_default\",\"Created\":\"2026-01-03T00:00:00Z\","       \
		"\"Labels\":{\"io.labctl.lab\":\"cvt\"}}]"),                                          \
	 0, 0}

Test(converge, duplicate_network_without_containers_is_removed)
{
	struct cvt t;
	cvt_load(&t, one_service);
	struct fe_route routes[] = {
		{"GET /v1.41/networks/d1", OK_200("{\"Id\":\"d1\",\"Containers\":{}}"), 0, 0},
		{"GET /v1.41/networks/d2", OK_200("{\"Id\":\"d2\",\"Containers\":{}}"), 0, 0},
		{"DELETE /v1.41/networks/d1", NO_CONTENT, 0, 0},
		TWO_DEFAULTS,
		BASE_ROUTES,
		A_NEW_AND_RUNNING,
	};
	cvt_converge(&t, routes, FE_N(routes));
	cr_expect_eq(t.rc, 0, "%d %s", t.rc, t.err.msg);
	cr_expect_geq(fe_find(&t.fe, "DELETE /v1.41/networks/d1", 0), 0, "the unlabelled duplicate is removed");
	cr_expect_eq(fe_find(&t.fe, "DELETE /v1.41/networks/d2", 0), -1, "the lab's own is kept");
	cr_expect_eq(fe_find(&t.fe, "POST /v1.41/networks/create", 0), -1, "nothing made");
	cr_expect_lt(fe_find(&t.fe, "DELETE /v1.41/networks/d1", 0),
		     fe_find(&t.fe, "POST /v1.41/containers/create", 0), "repaired before any container is made");
	cr_expect_geq(cvt_event(&t, "network-removed cvt_default: a duplicate of d2, nothing attached"), 0);
	cvt_free(&t);
}

/* The unlabelled one has a container attached: it is the one in use, so
 * it is kept and the lab's empty one goes. */
Test(converge, duplicate_network_in_use_is_kept)
{
	struct cvt t;
	cvt_load(&t, one_service);
	struct fe_route routes[] = {
		{"GET /v1.41/networks/d1", OK_200("{\"Id\":\"d1\",\"Containers\":{\"c1\":{\"Name\":\"cvt-a-1\"}}}"), 0, 0},
		{"GET /v1.41/networks/d2", OK_200("{\"Id\":\"d2\",\"Containers\":{}}"), 0, 0},
		{"DELETE /v1.41/networks/d2", NO_CONTENT, 0, 0},
		TWO_DEFAULTS,
		BASE_ROUTES,
		A_NEW_AND_RUNNING,
	};
	cvt_converge(&t, routes, FE_N(routes));
	cr_expect_eq(t.rc, 0, "%d %s", t.rc, t.err.msg);
	cr_expect_geq(fe_find(&t.fe, "DELETE /v1.41/networks/d2", 0), 0);
	cr_expect_eq(fe_find(&t.fe, "DELETE /v1.41/networks/d1", 0), -1, "the one in use is kept");
	cvt_free(&t);
}

/* Both in use: refused before anything is made, naming both. */
Test(converge, duplicate_networks_both_in_use_are_refused)
{
	struct cvt t;
	cvt_load(&t, one_service);
	struct fe_route routes[] = {
		{"GET /v1.41/networks/d1", OK_200("{\"Id\":\"d1\",\"Containers\":{\"c1\":{}}}"), 0, 0},
		{"GET /v1.41/networks/d2", OK_200("{\"Id\":\"d2\",\"Containers\":{\"c2\":{},\"c3\":{}}}"), 0, 0},
		TWO_DEFAULTS,
		BASE_ROUTES,
		NO_CONTAINERS,
	};
	cvt_converge(&t, routes, FE_N(routes));
	cr_expect_eq(t.rc, LAB_ERR, "%d %s", t.rc, t.err.msg);
	cr_expect_null(t.res);
	cr_expect(strstr(t.err.msg, "network 'cvt_default' is ambiguous: 2 networks have that name and 2 of them have "
				    "containers attached: d1 (1), d2 (2)"),
		  "%s", t.err.msg);
	cr_expect(strstr(t.err.msg, "labctl down cvt"), "%s", t.err.msg);
	cr_expect_eq(fe_find(&t.fe, "DELETE /v1.41/networks", 0), -1);
	cr_expect_eq(fe_find(&t.fe, "POST /v1.41/containers/create", 0), -1);
	cvt_free(&t);
}

/* Another process made the network between our look and our create: the
 * look after the create finds two, and the extra one goes. */
Test(converge, network_made_twice_at_once_is_repaired_at_once)
{
	struct cvt t;
	cvt_load(&t, one_service);
	struct fe_route routes[] = {
		{"GET /v1.41/networks/d1", OK_200("{\"Id\":\"d1\",\"Containers\":{}}"), 0, 0},
		{"GET /v1.41/networks/n1", OK_200("{\"Id\":\"n1\",\"Containers\":{}}"), 0, 0},
		{"DELETE /v1.41/networks/", NO_CONTENT, 0, 0},
		{"GET /v1.41/networks", OK_200("[]"), 0, 1},
		{"GET /v1.41/networks",
		 OK_200("[{\"Id\":\"d1\",\"Name\":\"cvt_default\",\"Created\":\"2026-01-02T00:00:00Z\","
			"\"Labels\":{\"io.labctl.lab\":\"cvt\"}},"
			"{\"Id\":\"n1\",\"Name\":\"cvt_default\",\"Created\":\"2026-01-02T00:00:01Z\","
			"\"Labels\":{\"io.labctl.lab\":\"cvt\"}}]"),
		 0, 0},
		BASE_ROUTES,
		A_NEW_AND_RUNNING,
	};
	cvt_converge(&t, routes, FE_N(routes));
	cr_expect_eq(t.rc, 0, "%d %s", t.rc, t.err.msg);
	long created = fe_find(&t.fe, "POST /v1.41/networks/create", 0);
	cr_expect_geq(created, 0);
	cr_expect_gt(fe_find(&t.fe, "DELETE /v1.41/networks/n1", 0), created, "the later of the two goes: %s",
		     fe_req(&t.fe, (size_t)fe_find(&t.fe, "DELETE", 0)));
	cr_expect_eq(fe_find(&t.fe, "DELETE /v1.41/networks/d1", 0), -1);
	cvt_free(&t);
}

/* ---- containers that exited: started again unless a finished one-shot ---- */

static const char *const healthchecked = "lab: {name: cvt}\n"
					 "services:\n"
					 "  a:\n"
					 "    image: img:1\n"
					 "    healthcheck: {test: [\"CMD\", \"true\"]}\n"
					 "    x-ready: {timeout: 5s}\n";

/* An engine restart (or docker stop) leaves a long-running service exited
 * with code 0, like a clean shutdown: up starts it again. Before, it was
 * taken for a finished one-shot and failed "container exited with code 0"
 * on every up until down. Any exit code: one killed (137) too. */
Test(converge, long_running_service_that_exited_is_started_again)
{
	static const char *const statuses[] = {"Exited (0) 3 minutes ago", "Exited (137) 3 minutes ago"};
	for (size_t i = 0; i < FE_N(statuses); i++) {
		struct cvt t;
		char hash[65];
		cvt_load(&t, healthchecked);
		lab_plan_config_hash(hash, t.lab, &t.lab->services[0], "sha256:img");
		struct fe_route routes[] = {
			BASE_ROUTES,
			{"GET /v1.41/containers/json", cvt_listing(hash, "exited", statuses[i]), 0, 0},
			START("old1"),
			{"GET /v1.41/containers/old1/json",
			 OK_200("{\"State\":{\"Status\":\"running\",\"Health\":{\"Status\":\"healthy\"}}}"), 0, 0},
		};
		cvt_converge(&t, routes, FE_N(routes));
		cr_expect_eq(t.rc, 0, "%s: %d %s", statuses[i], t.rc, t.err.msg);
		cr_expect_geq(fe_find(&t.fe, "POST /v1.41/containers/old1/start", 0), 0, "%s: started again", statuses[i]);
		cr_expect_eq(fe_find(&t.fe, "POST /v1.41/containers/create", 0), -1, "the same container, not a new one");
		const struct lab_converge_service *a = cvt_service(&t, "a");
		cr_expect_eq(a->started, 1);
		cr_expect_str_eq(a->state, "healthy");
		cr_expect_geq(cvt_event(&t, "started cvt-a-1"), 0);
		cvt_free(&t);
	}
}

/* A one-shot (something depends on it with service_completed_successfully)
 * that exited 0 with this configuration is done: not run again, reported
 * completed, and what waits for it starts. */
Test(converge, one_shot_that_completed_is_not_run_again)
{
	struct cvt t;
	char ih[65], ah[65], listing[2048];
	cvt_load(&t, "lab: {name: cvt}\n"
		     "services:\n"
		     "  init:\n"
		     "    image: img:1\n"
		     "  app:\n"
		     "    image: img:1\n"
		     "    depends_on: {init: {condition: service_completed_successfully}}\n");
	lab_plan_config_hash(ih, t.lab, lab_find_service(t.lab, "init"), "sha256:img");
	lab_plan_config_hash(ah, t.lab, lab_find_service(t.lab, "app"), "sha256:img");
	snprintf(listing, sizeof(listing),
		 OK_200("[{\"Id\":\"i1\",\"Names\":[\"/cvt-init-1\"],\"State\":\"exited\",\"Status\":\"Exited (0) 1 hour ago\","
			"\"Labels\":{\"io.labctl.lab\":\"cvt\",\"io.labctl.service\":\"init\",\"io.labctl.replica\":\"1\","
			"\"io.labctl.config-hash\":\"%s\"}},"
			"{\"Id\":\"p1\",\"Names\":[\"/cvt-app-1\"],\"State\":\"running\",\"Status\":\"Up 1 hour\","
			"\"Labels\":{\"io.labctl.lab\":\"cvt\",\"io.labctl.service\":\"app\",\"io.labctl.replica\":\"1\","
			"\"io.labctl.config-hash\":\"%s\"}}]"),
		 ih, ah);
	struct fe_route routes[] = {
		BASE_ROUTES,
		{"GET /v1.41/containers/json", listing, 0, 0},
		{"GET /v1.41/containers/i1/json", OK_200("{\"State\":{\"Status\":\"exited\",\"ExitCode\":0}}"), 0, 0},
		{"GET /v1.41/containers/p1/json", OK_200(RUNNING), 0, 0},
	};
	cvt_converge(&t, routes, FE_N(routes));
	cr_expect_eq(t.rc, 0, "%d %s", t.rc, t.err.msg);
	cr_expect_eq(fe_find(&t.fe, "POST /v1.41/containers/i1/start", 0), -1, "a finished one-shot is not run again");
	cr_expect_str_eq(cvt_service(&t, "init")->state, "completed");
	cr_expect_eq(cvt_service(&t, "app")->kept, 1);
	cr_expect_eq(t.res->changes, 0, "nothing changed");
	cvt_free(&t);
}

/* ---- fail fast ---- */

/* bad's container exits 1 at once while slow waits (20 s) for a
 * healthcheck that never passes, and after waits for slow: converge
 * stops waiting for slow, does not start after, and returns at once with
 * bad's error. Before, it waited slow's whole timeout and fetched its
 * logs too. */
Test(converge, failure_stops_waiting_on_the_others)
{
	struct cvt t;
	cvt_load(&t, "lab: {name: cvt}\n"
		     "services:\n"
		     "  bad:\n"
		     "    image: img:1\n"
		     "  slow:\n"
		     "    image: img:1\n"
		     "    x-ready: {timeout: 20s}\n"
		     "  after:\n"
		     "    image: img:1\n"
		     "    depends_on: {slow: {condition: service_healthy}}\n");
	struct fe_route routes[] = {
		BASE_ROUTES,
		NO_CONTAINERS,
		CREATE("bad", "b1"),
		CREATE("slow", "s1"),
		START("b1"),
		START("s1"),
		/* bad is starting, then exits */
		{"GET /v1.41/containers/b1/json",
		 OK_200("{\"State\":{\"Status\":\"running\",\"Health\":{\"Status\":\"starting\"}}}"), 0, 1},
		{"GET /v1.41/containers/b1/json",
		 OK_200("{\"State\":{\"Status\":\"exited\",\"ExitCode\":1},\"Config\":{\"Tty\":true}}"), 0, 0},
		{"GET /v1.41/containers/b1/logs", OK_200("cannot bind\n"), 0, 0},
		{"GET /v1.41/containers/s1/json",
		 OK_200("{\"State\":{\"Status\":\"running\",\"Health\":{\"Status\":\"starting\"}}}"), 0, 0},
	};
	double t0 = lab_now();
	cvt_converge(&t, routes, FE_N(routes));
	double took = lab_now() - t0;
	cr_expect_lt(took, 3.0, "converge took %.1fs after a failure", took);
	cr_expect_eq(t.rc, LAB_ERR, "%d %s", t.rc, t.err.msg);
	cr_expect(strstr(t.err.msg, "service 'bad' container exited with code 1"), "bad's error: %s", t.err.msg);
	const struct lab_converge_service *bad = cvt_service(&t, "bad"), *slow = cvt_service(&t, "slow"),
					  *after = cvt_service(&t, "after");
	cr_expect_eq(bad->outcome, LAB_CONVERGE_FAILED);
	cr_expect_eq(slow->outcome, LAB_CONVERGE_ABANDONED);
	cr_expect_str_eq(slow->state, "starting");
	cr_expect_str_eq(slow->err.msg, "stopped waiting: service 'bad' failed");
	cr_expect_eq(after->outcome, LAB_CONVERGE_NOT_STARTED);
	cr_expect_str_eq(after->err.msg, "not started: service 'bad' failed");
	cr_expect_eq(fe_find(&t.fe, "POST /v1.41/containers/create?name=cvt-after-1", 0), -1, "after never created");
	cr_expect_eq(fe_find(&t.fe, "GET /v1.41/containers/s1/logs", 0), -1, "no logs of a service not waited for");
	cvt_free(&t);
}

/* A service whose start fails (the engine's "port is already allocated")
 * stops the others the same way. kafka1 starts after kafka2 has started
 * (service_started), so kafka2 is always being waited for when kafka1
 * fails; without the order the two race and kafka2 may never start
 * (then NOT_STARTED, also right, but not what this test is about). */
Test(converge, start_error_stops_waiting_on_the_others)
{
	struct cvt t;
	cvt_load(&t, "lab: {name: cvt}\n"
		     "services:\n"
		     "  kafka1:\n"
		     "    image: img:1\n"
		     "    depends_on: {kafka2: {condition: service_started}}\n"
		     "  kafka2:\n"
		     "    image: img:1\n"
		     "    x-ready: {timeout: 20s}\n");
	struct fe_route routes[] = {
		BASE_ROUTES,
		NO_CONTAINERS,
		CREATE("kafka1", "k1"),
		CREATE("kafka2", "k2"),
		{"POST /v1.41/containers/k1/start",
		 FE_HTTP("500 Internal Server Error",
			 "{\"message\":\"driver failed programming external connectivity on endpoint cvt-kafka1-1: Bind "
			 "for 127.0.0.1:19092 failed: port is already allocated\"}"),
		 0, 0},
		{"DELETE /v1.41/containers/k1", NO_CONTENT, 0, 0},
		START("k2"),
		{"GET /v1.41/containers/k2/json",
		 OK_200("{\"State\":{\"Status\":\"running\",\"Health\":{\"Status\":\"starting\"}}}"), 0, 0},
	};
	double t0 = lab_now();
	cvt_converge(&t, routes, FE_N(routes));
	double took = lab_now() - t0;
	cr_expect_lt(took, 3.0, "converge took %.1fs after a failure", took);
	cr_expect_eq(t.rc, LAB_EENGINE, "%d %s", t.rc, t.err.msg);
	cr_expect(strstr(t.err.msg, "port is already allocated"), "%s", t.err.msg);
	cr_expect_eq(cvt_service(&t, "kafka1")->outcome, LAB_CONVERGE_FAILED);
	cr_expect_eq(cvt_service(&t, "kafka2")->outcome, LAB_CONVERGE_ABANDONED);
	cvt_free(&t);
}

/* ---- host ports ---- */

/* A listening socket on 127.0.0.1, port chosen by the kernel. */
static int cvt_listen(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && listen(fd, 1) == 0 &&
		  getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void cvt_load_publishing(struct cvt *t, int port)
{
	char yaml[256];
	snprintf(yaml, sizeof(yaml),
		 "lab: {name: cvt}\n"
		 "services:\n"
		 "  a:\n"
		 "    image: img:1\n"
		 "    ports: [\"%d:80\"]\n"
		 "    x-ready: {timeout: 5s}\n",
		 port);
	cvt_load(t, yaml);
}

/* A running container of lab, service svc, publishing 127.0.0.1:port
 * (static buffer). */
static const char *cvt_publisher(const char *lab, const char *svc, int port, const char *hash)
{
	static char buf[1024];
	snprintf(buf, sizeof(buf),
		 OK_200("[{\"Id\":\"old1\",\"Names\":[\"/%s-%s-1\"],\"State\":\"running\",\"Status\":\"Up 1 hour\","
			"\"Ports\":[{\"IP\":\"127.0.0.1\",\"PrivatePort\":80,\"PublicPort\":%d,\"Type\":\"tcp\"}],"
			"\"Labels\":{\"io.labctl.lab\":\"%s\",\"io.labctl.service\":\"%s\",\"io.labctl.replica\":\"1\","
			"\"io.labctl.config-hash\":\"%s\"}}]"),
		 lab, svc, port, lab, svc, hash);
	return buf;
}

/* Another lab's container publishes the port: refused (exit 2) naming
 * the lab and service, before any image, network or container. */
Test(converge, port_published_by_another_lab_is_refused_naming_it)
{
	struct cvt t;
	int port = 0;
	close(cvt_listen(&port));
	cvt_load_publishing(&t, port);
	struct fe_route routes[] = {
		{"GET /v1.41/containers/json", cvt_publisher("module0", "kafka", port, "h"), 0, 0},
		BASE_ROUTES,
	};
	cvt_converge(&t, routes, FE_N(routes));
	cr_expect_eq(t.rc, LAB_EINPUT, "%d %s", t.rc, t.err.msg);
	cr_expect_eq(lab_err_exit_code(t.rc), LAB_EXIT_USAGE);
	cr_expect_null(t.res);
	char want[256];
	snprintf(want, sizeof(want),
		 "host port 127.0.0.1:%d of service 'a' is already taken: held by lab 'module0' service 'kafka'; run "
		 "`labctl down module0`\nnothing was created",
		 port);
	cr_expect(strstr(t.err.msg, want) == t.err.msg, "%s", t.err.msg);
	cr_expect_eq(fe_find(&t.fe, "GET /v1.41/images", 0), -1, "checked before the images");
	cr_expect_eq(fe_find(&t.fe, "POST", 0), -1, "nothing made");
	cvt_free(&t);
}

/* The lab's own running container has it (a rerun): no conflict. */
Test(converge, port_published_by_the_lab_itself_is_fine)
{
	struct cvt t;
	int port = 0;
	char hash[65];
	close(cvt_listen(&port));
	cvt_load_publishing(&t, port);
	lab_plan_config_hash(hash, t.lab, &t.lab->services[0], "sha256:img");
	struct fe_route routes[] = {
		{"GET /v1.41/containers/json", cvt_publisher("cvt", "a", port, hash), 0, 0},
		{"GET /v1.41/containers/old1/json", OK_200(RUNNING), 0, 0},
		BASE_ROUTES,
	};
	cvt_converge(&t, routes, FE_N(routes));
	cr_expect_eq(t.rc, 0, "%d %s", t.rc, t.err.msg);
	cr_expect_eq(cvt_service(&t, "a")->kept, 1);
	cvt_free(&t);
}

/* A process on this host listens there: refused, naming its pid and
 * command (this test's own process). */
Test(converge, port_held_by_a_host_process_is_refused_naming_it)
{
	struct cvt t;
	int port = 0;
	int fd = cvt_listen(&port);
	cvt_load_publishing(&t, port);
	struct fe_route routes[] = {
		NO_CONTAINERS,
		BASE_ROUTES,
	};
	cvt_converge(&t, routes, FE_N(routes));
	cr_expect_eq(t.rc, LAB_EINPUT, "%d %s", t.rc, t.err.msg);
	char want[128];
	snprintf(want, sizeof(want), "is already taken: held by process %d (", (int)getpid());
	cr_expect(strstr(t.err.msg, want), "%s", t.err.msg);
	cr_expect_eq(fe_find(&t.fe, "POST", 0), -1, "nothing made");
	close(fd);
	cvt_free(&t);
}

/* ---- images that cannot be had ---- */

/* Two images to pull, both fail (no registry; no such image): both are
 * listed, with the reason in plain words, before any network or
 * container; the image a service builds is not even looked at. */
Test(converge, images_that_cannot_be_had_are_listed_together)
{
	struct cvt t;
	cvt_load(&t, "lab: {name: cvt}\n"
		     "services:\n"
		     "  a:\n"
		     "    image: img:1\n"
		     "  b:\n"
		     "    image: nosuch/b:1\n"
		     "  c:\n"
		     "    image: r.example/c:1\n"
		     "  d:\n"
		     "    image: nosuch/b:1\n");
	struct fe_route routes[] = {
		{"GET /v1.41/images/nosuch", FE_HTTP("404 Not Found", "{\"message\":\"no such image\"}"), 0, 0},
		{"GET /v1.41/images/r.example", FE_HTTP("404 Not Found", "{\"message\":\"no such image\"}"), 0, 0},
		{"POST /v1.41/images/create?fromImage=nosuch",
		 FE_HTTP("500 Internal Server Error",
			 "{\"message\":\"Get \\\"https://registry-1.docker.io/v2/\\\": dial tcp: lookup registry-1.docker.io: "
			 "no such host\"}"),
		 0, 0},
		{"POST /v1.41/images/create?fromImage=r.example",
		 FE_HTTP("200 OK", "{\"status\":\"Pulling\"}\n{\"errorDetail\":{\"message\":\"manifest unknown\"},"
				   "\"error\":\"manifest unknown\"}\n"),
		 0, 0},
		BASE_ROUTES,
	};
	cvt_converge(&t, routes, FE_N(routes));
	cr_expect_eq(t.rc, LAB_EINPUT, "%d %s", t.rc, t.err.msg);
	cr_expect_null(t.res);
	cr_expect(strstr(t.err.msg, "2 images the lab needs cannot be had") == t.err.msg, "%s", t.err.msg);
	cr_expect(strstr(t.err.msg, "\n  service 'b': image 'nosuch/b:1': no registry reachable: build it here"), "%s",
		  t.err.msg);
	cr_expect(strstr(t.err.msg, "\n  service 'c': image 'r.example/c:1': no such image in its registry"), "%s",
		  t.err.msg);
	cr_expect(!strstr(t.err.msg, "service 'd'"), "the same image is listed once: %s", t.err.msg);
	long first = fe_find(&t.fe, "POST /v1.41/images/create?fromImage=nosuch", 0);
	cr_expect_geq(first, 0);
	cr_expect_eq(fe_find(&t.fe, "POST /v1.41/images/create?fromImage=nosuch", (size_t)first + 1), -1,
		     "nosuch/b:1 pulled once");
	cr_expect_eq(fe_find(&t.fe, "POST /v1.41/networks", 0), -1, "no network made");
	cr_expect_eq(fe_find(&t.fe, "POST /v1.41/containers", 0), -1, "no container made");
	cvt_free(&t);
}

/* ---- stand-ins ---- */

/* A catalog in dir: entry 'pg' for postgres from dir/pg. */
static void write_catalog(const char *dir)
{
	char *p = lab_xasprintf("%s/pg", dir);
	cr_assert_eq(mkdir(p, 0755), 0);
	free(p);
	p = lab_xasprintf("%s/pg/Dockerfile", dir);
	FILE *f = fopen(p, "w");
	fputs("FROM debian:bookworm-slim\n", f);
	fclose(f);
	free(p);
	p = lab_xasprintf("%s/catalog.yml", dir);
	f = fopen(p, "w");
	fputs("stand-ins:\n  - name: pg\n    for: [postgres]\n    context: pg\n    args: {V: \"${version}\"}\n", f);
	fclose(f);
	free(p);
}

static void remove_catalog(const char *dir)
{
	char *cmd = lab_xasprintf("rm -rf '%s/pg' '%s/catalog.yml'", dir, dir);
	cr_expect_eq(system(cmd), 0);
	free(cmd);
}

/* postgres:16 is absent and the pull finds no registry: the catalog's
 * stand-in is built, tagged postgres:16 and labelled, once for the two
 * services that run it; a present image that is a stand-in (its label
 * names the entry) is rebuilt when its build hash is stale; a present
 * image that is not one is used as it is, never built. */
Test(converge, absent_image_gets_its_stand_in_built_and_a_real_one_is_kept)
{
	struct cvt t;
	cvt_load(&t, "lab: {name: cvt}\n"
		     "services:\n"
		     "  a:\n"
		     "    image: postgres:16\n"
		     "  b:\n"
		     "    image: docker.io/library/postgres:16\n"
		     "  c:\n"
		     "    image: old/standin:2\n"
		     "  d:\n"
		     "    image: img:1\n");
	write_catalog(t.dir);
	char *catalog = lab_xasprintf("%s/catalog.yml", t.dir);
	t.catalog = catalog;
	struct fe_route routes[] = {
		/* converge's look and the pull's: absent; after the build, there
		   (the build's own look escapes the name: absent) */
		{"GET /v1.41/images/postgres:16/json", FE_HTTP("404 Not Found", "{\"message\":\"no such image\"}"), 0, 2},
		{"GET /v1.41/images/postgres:16/json", OK_200("{\"Id\":\"sha256:pg16\"}"), 0, 0},
		{"GET /v1.41/images/postgres%3A16/json", FE_HTTP("404 Not Found", "{\"message\":\"no such image\"}"), 0, 0},
		{"GET /v1.41/images/docker.io/library/postgres:16/json",
		 FE_HTTP("404 Not Found", "{\"message\":\"no such image\"}"), 0, 2},
		{"GET /v1.41/images/docker.io/library/postgres:16/json", OK_200("{\"Id\":\"sha256:pg16b\"}"), 0, 0},
		{"GET /v1.41/images/docker.io%2Flibrary%2Fpostgres%3A16/json",
		 FE_HTTP("404 Not Found", "{\"message\":\"no such image\"}"), 0, 0},
		{"GET /v1.41/images/old%2Fstandin%3A2/json",
		 OK_200("{\"Id\":\"sha256:old\",\"Config\":{\"Labels\":{\"io.labctl.build-hash\":\"stale\"}}}"), 0, 0},
		{"POST /v1.41/images/create?fromImage=postgres",
		 FE_HTTP("500 Internal Server Error",
			 "{\"message\":\"Get \\\"https://registry-1.docker.io/v2/\\\": dial tcp: lookup registry-1.docker.io: "
			 "no such host\"}"),
		 0, 0},
		{"POST /v1.41/images/create?fromImage=docker.io",
		 FE_HTTP("500 Internal Server Error", "{\"message\":\"dial tcp: lookup registry-1.docker.io: no such host\"}"),
		 0, 0},
		{"GET /v1.41/images/old/standin:2/json",
		 OK_200("{\"Id\":\"sha256:old\",\"Config\":{\"Labels\":{\"io.labctl.stand-in\":\"pg\","
			"\"io.labctl.stand-in-for\":\"old/standin:2\",\"io.labctl.build-hash\":\"stale\"}}}"),
		 0, 0},
		{"POST /v1.41/build", OK_200("{\"stream\":\"Successfully built 0123456789ab\\n\"}\n"), 0, 0},
		{"GET /v1.41/networks", FE_HTTP("500 Internal Server Error", "{\"message\":\"stop here\"}"), 0, 0},
		BASE_ROUTES,
	};
	cvt_converge(&t, routes, FE_N(routes));
	cr_expect_eq(t.rc, LAB_EENGINE, "stops at the networks: %d %s", t.rc, t.err.msg);

	cr_expect_geq(cvt_event(&t, "stand-in postgres:16: no registry reachable"), 0, "one line for it");
	long one = cvt_event(&t, "stand-in docker.io/library/postgres:16");
	cr_expect_geq(one, 0, "b names it another way: its own stand-in");
	cr_expect_lt(cvt_event(&t, "stand-in old/standin:2"), 0, "a present stand-in is checked, not announced");
	size_t builds = 0, pg16 = 0, old = 0;
	for (size_t i = 0; i < fe_count(&t.fe); i++) {
		const char *req = fe_req(&t.fe, i);
		if (strncmp(req, "POST /v1.41/build", 17) != 0)
			continue;
		builds++;
		if (strstr(req, "t=postgres%3A16") && strstr(req, "stand-in-for%22%3A%22postgres%3A16"))
			pg16++;
		if (strstr(req, "t=old%2Fstandin%3A2"))
			old++;
		cr_expect(strstr(req, "%22V%22%3A%2216%22") || strstr(req, "t=old"), "${version} is 16: %s", req);
	}
	cr_expect_eq(pg16, 1, "postgres:16 built once, tagged and labelled");
	cr_expect_eq(old, 1, "the stale stand-in rebuilt");
	cr_expect_eq(builds, 3, "and docker.io/library/postgres:16; img:1 never built");
	cr_expect_eq(fe_find(&t.fe, "POST /v1.41/images/create?fromImage=img", 0), -1, "img:1 not pulled");
	cr_expect_eq(fe_find(&t.fe, "POST /v1.41/images/create?fromImage=old", 0), -1, "a stand-in is not pulled");
	remove_catalog(t.dir);
	free(catalog);
	cvt_free(&t);
}

/* A stand-in FROM an image built here (labctl/base:1 from the directory
 * base beside its context, as images/kafka is FROM labctl/jre:17): the
 * base is built without the stand-in's labels (given them, it was
 * relabelled and its hash changed: rebuilt for every stand-in). */
Test(converge, stand_in_labels_stay_off_its_base)
{
	struct cvt t;
	cvt_load(&t, "lab: {name: cvt}\n"
		     "services:\n"
		     "  a:\n"
		     "    image: postgres:16\n");
	write_catalog(t.dir);
	char *p = lab_xasprintf("%s/pg/Dockerfile", t.dir);
	FILE *f = fopen(p, "w");
	fputs("FROM labctl/base:1\n", f);
	fclose(f);
	free(p);
	p = lab_xasprintf("%s/base", t.dir);
	cr_assert_eq(mkdir(p, 0755), 0);
	free(p);
	p = lab_xasprintf("%s/base/Dockerfile", t.dir);
	f = fopen(p, "w");
	fputs("FROM debian:bookworm-slim\n", f);
	fclose(f);
	free(p);
	char *catalog = lab_xasprintf("%s/catalog.yml", t.dir);
	t.catalog = catalog;
	t.offline = 1;
	struct fe_route routes[] = {
		{"GET /v1.41/images/postgres:16/json", FE_HTTP("404 Not Found", "{\"message\":\"no such image\"}"), 0, 1},
		{"GET /v1.41/images/postgres:16/json", OK_200("{\"Id\":\"sha256:pg16\"}"), 0, 0},
		{"GET /v1.41/images/postgres%3A16/json", FE_HTTP("404 Not Found", "{\"message\":\"no such image\"}"), 0, 0},
		{"GET /v1.41/images/labctl%2Fbase%3A1/json", FE_HTTP("404 Not Found", "{\"message\":\"no such image\"}"),
		 0, 0},
		{"GET /v1.41/images/labctl/base:1/json", OK_200("{\"Id\":\"sha256:base\"}"), 0, 0},
		{"POST /v1.41/build", OK_200("{\"stream\":\"Successfully built 0123456789ab\\n\"}\n"), 0, 0},
		{"GET /v1.41/networks", FE_HTTP("500 Internal Server Error", "{\"message\":\"stop here\"}"), 0, 0},
		BASE_ROUTES,
	};
	cvt_converge(&t, routes, FE_N(routes));
	size_t base = 0, pg16 = 0;
	for (size_t i = 0; i < fe_count(&t.fe); i++) {
		const char *req = fe_req(&t.fe, i);
		if (strncmp(req, "POST /v1.41/build", 17) != 0)
			continue;
		if (strstr(req, "t=labctl%2Fbase%3A1")) {
			base++;
			cr_expect(!strstr(req, "stand-in"), "the base carries no stand-in label: %s", req);
		}
		if (strstr(req, "t=postgres%3A16") && strstr(req, "stand-in-for%22%3A%22postgres%3A16"))
			pg16++;
	}
	cr_expect_eq(base, 1, "the base built first");
	cr_expect_eq(pg16, 1, "the stand-in built, labelled: %d %s", t.rc, t.err.msg);
	char *rm = lab_xasprintf("rm -rf '%s/base'", t.dir);
	cr_expect_eq(system(rm), 0);
	free(rm);
	remove_catalog(t.dir);
	free(catalog);
	cvt_free(&t);
}

/* --offline: nothing is pulled; an image no entry matches is listed with
 * what was tried, and nothing is built or made. */
Test(converge, offline_pulls_nothing_and_lists_what_has_no_stand_in)
{
	struct cvt t;
	cvt_load(&t, "lab: {name: cvt}\n"
		     "services:\n"
		     "  a:\n"
		     "    image: postgres:16\n"
		     "  b:\n"
		     "    image: mysql:8\n");
	write_catalog(t.dir);
	char *catalog = lab_xasprintf("%s/catalog.yml", t.dir);
	t.catalog = catalog;
	t.offline = 1;
	struct fe_route routes[] = {
		{"GET /v1.41/images/", FE_HTTP("404 Not Found", "{\"message\":\"no such image\"}"), 0, 0},
		BASE_ROUTES,
	};
	cvt_converge(&t, routes, FE_N(routes));
	cr_expect_eq(t.rc, LAB_EINPUT, "%d %s", t.rc, t.err.msg);
	cr_expect_null(t.res);
	char *want = lab_xasprintf("1 image the lab needs cannot be had (no container, network or volume was made):\n"
				   "  service 'b': image 'mysql:8': not on the engine and not pulled (--offline); no stand-in "
				   "in '%s' matches it (`labctl images` lists them): give the service a build:",
				   catalog);
	cr_expect(strstr(t.err.msg, want) == t.err.msg, "%s", t.err.msg);
	free(want);
	cr_expect_eq(fe_find(&t.fe, "POST /v1.41/images/create", 0), -1, "nothing pulled");
	cr_expect_eq(fe_find(&t.fe, "POST /v1.41/build", 0), -1, "nothing built before all are known");
	cr_expect_eq(fe_find(&t.fe, "POST /v1.41/networks", 0), -1, "nothing made");
	remove_catalog(t.dir);
	free(catalog);
	cvt_free(&t);
}
