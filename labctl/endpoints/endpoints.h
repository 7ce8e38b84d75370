/* Endpoints of a running lab: where a client reaches each service, and the
 * environment the client needs. The one place labctl answers "how do I
 * talk to service X": `labctl env` (clients on the host), `labctl run`
 * (jobs in the lab's containers), `labctl verify` (checks from the host)
 * and up's probes use it.
 *
 * Addresses, for a container port P of a service's replica:
 *   host      its published binding: the binding's IP, "" and "0.0.0.0"
 *             read as 127.0.0.1 and "::" as ::1 (a wildcard is reached
 *             on loopback); else, when P is not published, the
 *             container's address on its first network that has one, at
 *             P (reachable from the Docker host itself); else, when the
 *             container is not running, a host port fixed in the lab file
 *             ("15432:5432"), at its host_ip.
 *             A Swarm task (up --swarm, the engine a manager): its port as
 *             lab_swarm_task_endpoints (labctl/swarm/swarm.h) puts it, at
 *             the address of the node running the task (host mode) or of
 *             the engine (ingress), also for a task on another node.
 *   internal  "<service>:P" on the lab network (the service name is an
 *             alias of every replica there).
 *
 * The environment comes from the services' x-ready probes, each kind's
 * client_env (labctl/probe/):
 *   postgres  PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE: the first service
 *             with one. PGUSER defaults to "postgres" (the superuser the
 *             official image, and labctl/postgres with its interface,
 *             makes when POSTGRES_USER is unset; the probe logs in as the
 *             same), PGDATABASE to the user (the image's POSTGRES_DB
 *             default, and libpq's); PGPASSWORD is left out when the
 *             probe has none.
 *   kafka     KAFKA_BOOTSTRAP_SERVERS: every broker, comma-separated: each
 *             replica's published `port` for the host, "<service>:
 *             <internal_port>" for containers.
 *   s3        AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
 *             AWS_REGION: the first service with one.
 * Hosts are IPv6 literals without brackets in PGHOST and with brackets in
 * "host:port" lists and URLs.
 */
#ifndef LAB_ENDPOINTS_H
#define LAB_ENDPOINTS_H

#include <cJSON.h>

#include "../engine/engine.h"
#include "../lab/lab.h"
#include "../util/buf.h"
#include "../util/err.h"

/* Where the host reaches container port `port` (tcp) of one container,
 * from its engine JSON in either shape of Engine API 1.41: an inspect
 * (GET /containers/{id}/json: NetworkSettings.Ports {"5432/tcp":
 * [{HostIp, HostPort}]}) or an entry of a list (GET /containers/json:
 * Ports [{IP, PrivatePort, PublicPort, Type}]); both have
 * NetworkSettings.Networks.*.IPAddress. The first binding of the port
 * counts. *host is a new string (IPv6 without brackets), *hport the port.
 * Returns 0, or LAB_ENOTFOUND when the port is neither published nor the
 * container on a network with an address (nothing set). */
int lab_endpoint_host(char **host, int *hport, const cJSON *container, int port);

/* A lab's containers, as listed by the engine. */
struct lab_endpoints {
	const struct lab *lab;
	cJSON *containers;  /* GET /containers/json?all=1 entries of the lab
	                       (label io.labctl.lab); owned; NULL: none known */
};

/* List the lab's containers (one GET /containers/json with the lab's
 * label). Errors: LAB_EUNREACHABLE / LAB_EENGINE from the engine. */
int lab_endpoints_read(struct lab_endpoints *ep, const struct lab *lab, struct lab_engine *e, struct lab_err *err);

/* Use containers (a JSON array as GET /containers/json gives, or NULL
 * for none: internal addresses need none) for lab; ep owns it afterwards. */
void lab_endpoints_init(struct lab_endpoints *ep, const struct lab *lab, cJSON *containers);

/* Free the containers; ep knows none afterwards. Accepts NULL. */
void lab_endpoints_release(struct lab_endpoints *ep);

/* The container of replica `replica` (1-based) of service (labels
 * io.labctl.service and io.labctl.replica), running or not, or NULL. */
const cJSON *lab_endpoints_container(const struct lab_endpoints *ep, const char *service, int replica);

/* 1 when c's State is "running". */
int lab_endpoints_running(const cJSON *c);

enum lab_endpoints_for {
	LAB_ENDPOINTS_HOST,      /* a client on the host */
	LAB_ENDPOINTS_INTERNAL,  /* a container on the lab network */
};

/* The address of container port `port` of replica `replica` of s for
 * who (see the top of this file). *host is a new string. Returns 0, or
 * LAB_ENOTFOUND when it has none. */
int lab_endpoints_addr(char **host, int *hport, const struct lab_endpoints *ep, const struct lab_service *s,
		       int replica, int port, enum lab_endpoints_for who);

/* The environment a client needs (see the top of this file), appended to
 * env as "KEY=VALUE". service: only that service's probes, NULL: every
 * service's; probe: only probes of that kind ("postgres"), NULL: every
 * kind. Variables come in registry order of the kinds (PG*, then
 * KAFKA_BOOTSTRAP_SERVERS, then AWS_*); for the host every replica of a
 * service is asked (Kafka lists each broker), for containers the service
 * once. Returns the number of addresses that were missing (a replica not
 * running and no fixed host port), 0 when none. */
int lab_endpoints_env(struct lab_strv *env, const struct lab_endpoints *ep, enum lab_endpoints_for who,
		      const struct lab_service *service, const char *probe);

/* The web UI of replica `replica` (1-based) of s for a browser on the
 * host (lab_probe_service_ui with host addresses): x-ui, else its
 * probes' UI (Jupyter with its token, Spark's master UI). *url is a new
 * string. Returns 0, or LAB_ENOTFOUND when s has no UI or the replica no
 * address for it (not running and no fixed host port). */
int lab_endpoints_ui(char **url, const struct lab_endpoints *ep, const struct lab_service *s, int replica);

#endif
