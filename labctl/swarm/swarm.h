/* Docker Swarm mode: a lab's services as Swarm services (labctl up
 * --swarm, or lab.swarm: true in the lab file).
 *
 * Reference: Docker Engine API v1.41 (Debian bookworm's docker.io 20.10):
 *   GET  /info                        Swarm.{LocalNodeState, NodeID, ControlAvailable, NodeAddr}
 *   POST /services/create             body ServiceSpec
 *   POST /services/{id}/update?version=N   body ServiceSpec (the whole spec)
 *   GET  /services?filters={"label":[..]}
 *   DELETE /services/{id}
 *   GET  /tasks?filters={"service":[..]}   Task {ID, ServiceID, Slot, NodeID,
 *        DesiredState, Status {State, Message, Err, ContainerStatus {ContainerID},
 *        PortStatus {Ports}}, CreatedAt}
 *   GET  /nodes                       Node {ID, Description.Hostname, Status.Addr,
 *        Spec.Role}
 * Task states (swarmkit api/types.proto TaskState): new, pending, assigned,
 * accepted, preparing, ready, starting, running, complete, shutdown,
 * failed, rejected, remove, orphaned. A task of a service with a
 * healthcheck is "starting" until the check passes, then "running".
 *
 * The mapping from a lab service (Compose spec "Deploy Specification",
 * the way `docker stack deploy` reads it) to a ServiceSpec:
 *   Name                      "<project>_<service>" (as docker stack names them)
 *   Labels                    deploy.labels + io.labctl.lab, io.labctl.service,
 *                             io.labctl.config-hash (of the spec and the image id)
 *   TaskTemplate.ContainerSpec image, entrypoint -> Command, command -> Args,
 *                             environment -> Env, hostname, user, working_dir -> Dir,
 *                             labels (+ io.labctl.lab, io.labctl.service, so the
 *                             task's container is found like a plain one's),
 *                             healthcheck -> HealthCheck, stop_signal,
 *                             stop_grace_period, init, tty, stdin_open, read_only,
 *                             cap_add/cap_drop, sysctls, ulimits, extra_hosts ->
 *                             Hosts ("IP NAME"), dns/dns_search -> DNSConfig
 *   volumes                   Mounts: a named volume is "<project>_<name>",
 *                             created by the engine of the node the task lands on
 *                             (VolumeOptions.Labels io.labctl.lab): local to that
 *                             node, a task moved to another node gets an empty one;
 *                             a bind mount is a path on that node; tmpfs -> tmpfs
 *   deploy.resources          Resources.Limits {NanoCPUs, MemoryBytes, Pids},
 *                             Resources.Reservations {NanoCPUs, MemoryBytes}
 *   deploy.restart_policy / restart  RestartPolicy: no -> none, always and
 *                             unless-stopped -> any, on-failure[:N] -> on-failure
 *                             (MaxAttempts N), delay, window; none given: any,
 *                             but none for a one-shot (something depends on it
 *                             with service_completed_successfully)
 *   deploy.placement          Placement {Constraints, Preferences [{Spread}], MaxReplicas}
 *   deploy.mode / replicas    Mode {Replicated {Replicas}} or {Global {}}
 *   deploy.update_config      UpdateConfig {Parallelism, Delay, Monitor, Order,
 *                             FailureAction}
 *   networks                  TaskTemplate.Networks [{Target "<project>_<net>",
 *                             Aliases [service, aliases...]}] on attachable overlays
 *   deploy.endpoint_mode      EndpointSpec.Mode: vip (default: one virtual IP per
 *                             service, load-balanced by the kernel's IPVS) or dnsrr
 *                             (the service name resolves to its tasks' addresses);
 *                             with dnsrr every port publishes in host mode (Swarm
 *                             refuses ingress ports with dnsrr). A kernel without
 *                             IPVS (ip_vs) has neither virtual IPs nor the routing
 *                             mesh: there, use dnsrr (dockerd logs "Could not get
 *                             ipvs family information from the kernel")
 *   ports                     EndpointSpec {Mode, Ports [{Protocol, TargetPort,
 *                             PublishedPort, PublishMode}]}: ingress (the routing
 *                             mesh: every node) unless the long form says mode:
 *                             host (the node running the task). Swarm has no host
 *                             IP: a published port listens on every interface of
 *                             the node, whatever host_ip says.
 * Refused (LAB_EINPUT, Swarm services have no such setting): privileged,
 * devices, volumes_from, ipc, pid.
 */
#ifndef LAB_SWARM_H
#define LAB_SWARM_H

#include <stddef.h>

#include <cJSON.h>

#include "../engine/engine.h"
#include "../lab/lab.h"
#include "../util/err.h"

/* Label a lab's Swarm service carries beside io.labctl.lab and io.labctl.service. */
#define LAB_SWARM_LABEL_SERVICE_ID "com.docker.swarm.service.id"

/* What GET /info says of the engine's Swarm membership. */
struct lab_swarm_info {
	char state[32];  /* Swarm.LocalNodeState: "inactive", "active", "pending", "error", "locked" */
	int manager;     /* Swarm.ControlAvailable */
	char *node_id;   /* Swarm.NodeID, or NULL */
	char *node_addr; /* Swarm.NodeAddr, or NULL */
};

/* GET /info. Errors: the engine's. */
int lab_swarm_info(struct lab_swarm_info *out, struct lab_engine *e, struct lab_err *err);
/* The same, and LAB_EINPUT when the engine is not an active Swarm manager:
 * "the engine at '<host>' is not a Swarm manager (its swarm state is
 * 'inactive'): run 'docker swarm init' there, or set DOCKER_HOST to a
 * manager" (a worker: "... is a Swarm worker ..."). */
int lab_swarm_need_manager(struct lab_swarm_info *out, struct lab_engine *e, struct lab_err *err);
void lab_swarm_info_release(struct lab_swarm_info *info);

/* "<project>_<service>" (caller frees). */
char *lab_swarm_service_name(const struct lab *lab, const struct lab_service *svc);

/* The ServiceSpec for svc running image (its name, as the nodes know it),
 * following the mapping at the top of this file. one_shot: something
 * depends on it with service_completed_successfully. dnsrr: as if the
 * service said deploy.endpoint_mode: dnsrr (up --endpoint-mode dnsrr). The io.labctl.
 * config-hash label is left to the caller (lab_swarm_spec_hash).
 * Errors: LAB_EINPUT "file:line:col: service 'x': 'privileged' has no
 * Swarm equivalent (up --swarm)" for the refused keys. */
int lab_swarm_service_spec(cJSON **out, const struct lab *lab, const struct lab_service *svc, const char *image,
			   int one_shot, int dnsrr, struct lab_err *err);

/* SHA-256 (64 hex + NUL) of spec's compact JSON and image_id: the
 * io.labctl.config-hash an unchanged service keeps. */
void lab_swarm_spec_hash(char out[65], const cJSON *spec, const char *image_id);

/* GET /services?filters={"label":["io.labctl.lab=<project>"]}: the lab's
 * services (*out: a JSON array). */
int lab_swarm_services(cJSON **out, struct lab_engine *e, const char *project, struct lab_err *err);

/* One task of a lab's service, as status shows it. */
struct lab_swarm_task {
	char *service;      /* the lab's service name (io.labctl.service), else the Swarm name */
	int slot;           /* Slot (replicated), 0 for a global service's task */
	char *node;         /* the node's hostname, else its id; "" when not assigned yet */
	char *node_id;      /* "" when not assigned yet */
	char *node_addr;    /* the node's Status.Addr, or "" */
	char *state;        /* Status.State */
	char *desired;      /* DesiredState */
	char *message;      /* Status.Err when set, else Status.Message */
	char *container_id; /* Status.ContainerStatus.ContainerID, or "" */
	char *created;      /* CreatedAt */
	char *ports;        /* the service's published ports "PORT->TARGET/ingress,..." or "" */
};

/* Every task of project's Swarm services (GET /services, /tasks, /nodes),
 * sorted by service, slot, then newest first. all = 0: only the newest
 * task of each slot (of each node for a global service), the one that
 * counts. *out NULL and *n 0 when the lab has no Swarm services.
 * Errors: the engine's. */
int lab_swarm_tasks(struct lab_swarm_task **out, size_t *n, struct lab_engine *e, const char *project, int all,
		    struct lab_err *err);
void lab_swarm_tasks_free(struct lab_swarm_task *t, size_t n);

/* Remove project's Swarm services (DELETE /services/{id}), then wait (at
 * most timeout_s, polling GET /tasks every 200 ms) until their tasks left
 * no container running, so the networks can go. on_removed (may be NULL)
 * is called with each service's name. *n_removed counts them.
 * Errors: the engine's; LAB_ETIMEOUT when tasks are still there. */
int lab_swarm_remove(size_t *n_removed, struct lab_engine *e, const char *project, int timeout_s,
		     void (*on_removed)(const char *name, void *ud), void *ud, struct lab_err *err);

/* Where this host reaches a port of the routing mesh: the engine's own
 * address. unix socket: "127.0.0.1"; tcp://HOST:PORT: HOST (caller frees). */
char *lab_swarm_mesh_host(struct lab_engine *e);

/* Put into ports (an inspect's NetworkSettings.Ports object: {"5432/tcp":
 * [{HostIp, HostPort}]}) every port svc (GET /services/{id}: Endpoint.Ports
 * [{Protocol, TargetPort, PublishedPort, PublishMode}]) publishes, where
 * this host reaches it: host mode at node_addr (the task's node's
 * Status.Addr; mesh when empty), ingress at mesh. */
void lab_swarm_task_bindings(cJSON *ports, const cJSON *svc, const char *node_addr, const char *mesh);

/* When e is an active Swarm manager and project has Swarm services: give
 * every running task of them (GET /tasks, desired-state running) an entry
 * in containers (a GET /containers/json array, the lab's) with its
 * published ports as NetworkSettings.Ports (lab_swarm_task_bindings): the
 * task's own container when it is in the list (a task on e's node), else
 * a stand-in {Id, Names, Labels {io.labctl.lab, io.labctl.service,
 * io.labctl.replica (the slot), com.docker.swarm.service.id,
 * com.docker.swarm.node.id}, State "running"} for a task on another node,
 * which the host reaches at that node's address. Anything else: nothing
 * changes, 0. Errors: the engine's. */
int lab_swarm_task_endpoints(cJSON *containers, struct lab_engine *e, const char *project, struct lab_err *err);

/* The lab's volumes on the nodes other than the engine's own (down
 * --volumes). Swarm has no API for another node's local volumes (Engine
 * API v1.41 /volumes is the node's own), so a one-shot Swarm service per
 * node, constrained node.id==ID, with the node's engine socket
 * (/var/run/docker.sock) bind-mounted, removes them through that engine;
 * it runs perl (perl-base, in every Debian- or Ubuntu-based image) from
 * an image the node has: one a task of the lab ran there. */
struct lab_swarm_sweep {
	struct lab_swarm_sweep_node {
		char *node_id, *node, *image; /* node: its hostname, else its id */
	} *nodes;
	size_t n;
	struct lab_strv volumes; /* "<project>_<name>": every volume the lab's services mount */
	struct lab_strv kept;    /* ids of the configs lab_swarm_sweep_kept read */
};

/* Before the services go (their tasks say where they ran): every node but
 * self (the engine's node id, may be NULL) where a task of project's
 * services got a container, with that task's image, and the volumes the
 * services mount. *out empty when there is nothing to sweep.
 * Errors: the engine's. */
int lab_swarm_sweep_plan(struct lab_swarm_sweep *out, struct lab_engine *e, const char *project, const char *self,
			 struct lab_err *err);

/* After the services went: on each node of sw, the one-shot service
 * "<project>_volume-sweep-<node id>" (labels io.labctl.lab, io.labctl.role
 * volume-sweep; restart none; User 0) which, for each volume, asks the
 * node's engine GET /volumes/{name} and, when it carries
 * io.labctl.lab=<project>, DELETE /volumes/{name} (retried for 60 s while
 * 409: a removed task's container still holds it). Waits at most
 * timeout_s for every task to finish, reads each one's log (GET
 * /services/{id}/logs), calls on_removed (may be NULL) per volume removed
 * with the node's name, counts them in *n_removed, removes the sweep
 * services. Errors: the engine's; LAB_ERR naming each node and volume not
 * removed (a task failed or rejected, e.g. its image has no perl, the
 * time up, an engine error on the node). */
int lab_swarm_sweep_run(const struct lab_swarm_sweep *sw, struct lab_engine *e, const char *project, int timeout_s,
			void (*on_removed)(const char *node, const char *volume, void *ud), void *ud, size_t *n_removed,
			struct lab_err *err);
void lab_swarm_sweep_free(struct lab_swarm_sweep *sw);

/* A plain down removes the services, and with them where their tasks ran;
 * so it keeps sw on the swarm for a later down --volumes: one Swarm config
 * per node, "<project>_volume-sweep-<node id>", labelled io.labctl.lab,
 * io.labctl.role volume-sweep, and the node's id (io.labctl.node-id),
 * name (io.labctl.node), image (io.labctl.image) and the volumes
 * (io.labctl.volumes, space-separated) (Engine API v1.41 POST
 * /configs/create; the node's older one is replaced). Errors: the engine's. */
int lab_swarm_sweep_keep(const struct lab_swarm_sweep *sw, struct lab_engine *e, const char *project,
			 struct lab_err *err);
/* Add to sw the nodes kept by lab_swarm_sweep_keep that it lacks (but not
 * self, the engine's node id, may be NULL), and their volumes.
 * Errors: the engine's. */
int lab_swarm_sweep_kept(struct lab_swarm_sweep *sw, struct lab_engine *e, const char *project, const char *self,
			 struct lab_err *err);
/* After a sweep that removed them: DELETE /configs/{id} of each config
 * lab_swarm_sweep_kept read into sw. Errors: the engine's (one gone is no
 * error). */
int lab_swarm_sweep_forget(const struct lab_swarm_sweep *sw, struct lab_engine *e, struct lab_err *err);

#endif
