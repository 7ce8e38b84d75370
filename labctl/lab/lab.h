/* The lab model: a lab file (or a plain docker-compose file) loaded,
 * interpolated, merged with its includes and validated.
 *
 * Service syntax follows the Compose specification
 * (https://github.com/compose-spec/compose-spec/blob/master/spec.md, "Services
 * top-level element"); lab-only sections (`lab:`, `include:`,
 * `credentials:`) sit beside `services:`. Every value keeps the file, line
 * and column it came from so that diagnostics read `path:line:col: message`.
 */
#ifndef LAB_LAB_H
#define LAB_LAB_H

#include <stddef.h>

#include "../util/buf.h"
#include "../util/err.h"

/* Where a value came from. line and col are 1-based; file is owned by the
 * struct lab (lab->files) and outlives every mark that points at it. */
struct lab_mark {
	const char *file;
	int line;
	int col;
};

enum lab_dep_condition {
	LAB_DEP_STARTED = 0,   /* service_started (also the list form) */
	LAB_DEP_HEALTHY,       /* service_healthy: the service is ready */
	LAB_DEP_COMPLETED,     /* service_completed_successfully: exited 0 */
};

struct lab_dep {
	char *service;                  /* name of the service depended on */
	enum lab_dep_condition condition;
	int optional;                   /* required: false (Compose: a dependency on a
	                                   service disabled by its profiles is dropped) */
	int restart;                    /* restart: true */
	struct lab_mark mark;           /* of the dependency's name */
};

/* ports: entry. "8080", "127.0.0.1:8080:80", "8080:80/udp", "80" (random
 * host port), long form {target, published, host_ip, protocol}. */
struct lab_port {
	char *host_ip;      /* defaults to "127.0.0.1" when the file gives none */
	int host_port;      /* 0 = let the engine pick */
	char *host_var;     /* the one variable the entry's host port came from
	                       ("${LAB_PG_PORT:-15432}:5432", or published: of the
	                       long form), or NULL (a literal, or several
	                       variables): a student instance gives it its own
	                       port (labctl/instance) */
	int container_port;
	char *protocol;     /* "tcp" or "udp" */
	int host_mode;      /* long form mode: host (Swarm: published on the node
	                       that runs the task, PublishMode "host"); 0: ingress
	                       (Swarm's routing mesh, every node). Only up --swarm
	                       reads it: a plain container publishes on its host */
	struct lab_mark mark;
};

enum lab_mount_type { LAB_MOUNT_VOLUME, LAB_MOUNT_BIND, LAB_MOUNT_ANON };

/* volumes: entry. "name:/path[:ro]", "./rel:/path", "/abs:/path", "/path"
 * (anonymous), or the long form {type, source, target, read_only}. */
struct lab_mount {
	enum lab_mount_type type;
	char *source;   /* volume name as written (LAB_MOUNT_VOLUME), absolute
	                   host path (LAB_MOUNT_BIND, resolved against the file's
	                   directory), NULL for LAB_MOUNT_ANON */
	char *target;   /* absolute path in the container */
	int read_only;
	struct lab_mark mark;
};

/* healthcheck: Compose spec "healthcheck"; durations in ms. */
struct lab_healthcheck {
	int present;            /* the key was given */
	int disable;            /* disable: true, or test: ["NONE"] */
	struct lab_strv test;   /* Docker form: first element "CMD", "CMD-SHELL"
	                           or "NONE"; a plain string test becomes
	                           ["CMD-SHELL", string] */
	long interval_ms;       /* 0 = engine default */
	long timeout_ms;
	long start_period_ms;
	int retries;            /* 0 = engine default */
};

/* x-ready: labctl's own readiness probes for a service (ignored by
 * docker-compose as an extension key). Polled from the host every 50 ms.
 * Any that are set must all pass. Ports are container ports; labctl
 * connects to their published host port, or to the container's address
 * on the lab network when not published.
 *
 * Each key under x-ready but timeout names a probe kind of the registry in
 * labctl/probe/ (probe.h: tcp, http, postgres, kafka, s3, log); the kind
 * parses its own value and knows how to run it, how Compose can do the
 * same, and what a client of the service needs. */
struct lab_probe_kind;

/* One configured probe. */
struct lab_probe {
	const struct lab_probe_kind *kind;
	void *cfg;              /* the kind's own configuration; freed by kind->free */
	struct lab_mark mark;   /* of its key under x-ready */
};

struct lab_ready {
	struct lab_probe *probes; /* in registry order (the order they run in) */
	size_t n_probes;
	long timeout_ms;        /* overall time to ready: x-ready's timeout, else 120000,
	                           or a healthcheck's own allowance when longer
	                           (service.c, default_ready_timeout) */
	struct lab_mark mark;
};

/* ulimits: entry. A single number sets soft and hard alike. */
struct lab_ulimit {
	char *name;             /* "nofile", "nproc", ... */
	long long soft, hard;
};

/* Service keys that go to the container the way Docker Compose v2 sends
 * them (docker/compose v5.6.0 pkg/compose/create.go getCreateConfigs and
 * getDeployResources, values parsed as compose-go v2.16 parses them).
 * Zero, NULL or empty: not given, the engine's default. Sizes are bytes
 * (Compose spec "Specifying byte values": 2g, 1gb, 512m, a bare number). */
struct lab_ctr_opts {
	long long memory;             /* mem_limit, deploy.resources.limits.memory -> HostConfig.Memory */
	long long memory_reservation; /* mem_reservation, deploy.resources.reservations.memory
	                                 -> HostConfig.MemoryReservation */
	long long nano_cpus;          /* cpus, deploy.resources.limits.cpus -> HostConfig.NanoCpus
	                                 (float32(cpus) * 1e9, as Compose computes it) */
	long long pids_limit;         /* deploy.resources.limits.pids -> HostConfig.PidsLimit */
	long long shm_size;           /* shm_size -> HostConfig.ShmSize */
	struct lab_strv tmpfs;        /* tmpfs: "PATH" or "PATH:OPTIONS" -> HostConfig.Tmpfs */
	struct lab_strv extra_hosts;  /* extra_hosts as "HOST:IP" -> HostConfig.ExtraHosts */
	struct lab_strv cap_add, cap_drop;    /* -> HostConfig.CapAdd / CapDrop */
	int privileged;               /* -> HostConfig.Privileged */
	int read_only;                /* read_only -> HostConfig.ReadonlyRootfs */
	int has_init, init;           /* -> HostConfig.Init (has_init: given) */
	struct lab_ulimit *ulimits;   /* -> HostConfig.Ulimits */
	size_t n_ulimits;
	struct lab_strv sysctls;      /* "NAME=VALUE" -> HostConfig.Sysctls */
	struct lab_strv security_opt; /* -> HostConfig.SecurityOpt; a seccomp profile
	                                 file is read and sent as compact JSON */
	int systempaths_unconfined;   /* security_opt systempaths=unconfined:
	                                 HostConfig.MaskedPaths and ReadonlyPaths [] */
	struct lab_strv devices;      /* "HOST\nCONTAINER\nPERMISSIONS" -> HostConfig.Devices */
	struct lab_strv dns, dns_search;      /* -> HostConfig.Dns / DnsSearch */
	char *stop_signal;            /* -> Config.StopSignal */
	int has_stop_grace;
	long stop_grace_s;            /* stop_grace_period -> Config.StopTimeout (whole
	                                 seconds, truncated) */
	int tty, stdin_open;          /* -> Config.Tty / OpenStdin */
	char *log_driver;             /* logging.driver -> HostConfig.LogConfig.Type */
	struct lab_strv log_opts;     /* logging.options "K=V" -> LogConfig.Config */
	int has_logging;
	char *ipc, *pid;              /* -> HostConfig.IpcMode / PidMode */
	struct lab_strv group_add;    /* -> HostConfig.GroupAdd */
	char *domainname;             /* -> Config.Domainname */
	struct lab_strv expose;       /* "PORT/PROTO", ranges expanded -> Config.ExposedPorts */
	struct lab_strv net_aliases;  /* networks.<net>.aliases as "NET=ALIAS" ->
	                                 EndpointsConfig[net].Aliases */
	struct lab_strv build_labels; /* build.labels "K=V": labels of the built image */
	char *platform;               /* "os/arch[/variant]": ?platform= on create, pull, build */
	char *pull_policy;            /* always, never, missing, build (if_not_present is
	                                 missing); NULL = missing */
	struct lab_strv volumes_from; /* "SERVICE[:ro|rw]" or "container:NAME[:ro|rw]" as
	                                 written -> HostConfig.VolumesFrom (a service's
	                                 first container by name); a service named here is
	                                 depended on (service_started), as in compose-go */
};

/* deploy.update_config and deploy.rollback_config (Compose spec "Deploy
 * Specification"): how Swarm replaces a service's tasks on an update, and
 * on a rollback; up --swarm sends them as ServiceSpec.UpdateConfig and
 * .RollbackConfig (Engine API v1.41). given: the key is in the file. */
struct lab_swarm_update {
	int given;
	int parallelism;               /* tasks at once; 0 = not given (Swarm: 1) */
	long delay_ms;                 /* between batches */
	long monitor_ms;               /* how long a task is watched for failure */
	double max_failure_ratio;      /* 0 to 1; failures tolerated */
	char *order;                   /* start-first | stop-first */
	char *failure_action;          /* update: continue | pause | rollback;
	                                  rollback: continue | pause */
};

/* deploy: keys only Swarm reads (Compose spec "Deploy Specification";
 * Docker Compose v2 ignores them, up without --swarm too). up --swarm
 * turns them into the service's spec (labctl/swarm/swarm.h). Durations ms;
 * 0 / NULL / empty: not given, Swarm's default. */
struct lab_swarm_deploy {
	int global;                    /* mode: global (one task per node); else replicated */
	int dnsrr;                     /* endpoint_mode: dnsrr (DNS round-robin, no virtual IP);
	                                  else vip */
	struct lab_strv constraints;   /* placement.constraints, e.g. "node.role==manager",
	                                  "node.labels.zone==b" */
	struct lab_strv spread;        /* placement.preferences[].spread, e.g. "node.labels.zone" */
	int max_per_node;              /* placement.max_replicas_per_node */
	struct lab_strv labels;        /* deploy.labels "K=V": the Swarm service's labels */
	long long cpu_reservation;     /* resources.reservations.cpus, nano CPUs */
	long restart_delay_ms;         /* restart_policy.delay */
	long restart_window_ms;        /* restart_policy.window */
	struct lab_swarm_update update;   /* update_config */
	struct lab_swarm_update rollback; /* rollback_config */
};

struct lab_service {
	char *name;
	struct lab_mark mark;         /* of the service's key */
	char *image;                  /* NULL when only build: is given */
	int has_build;
	char *build_context;          /* absolute path */
	char *build_dockerfile;       /* relative to the context; default "Dockerfile" */
	struct lab_strv build_args;   /* "KEY=VALUE" */
	char *build_target;
	struct lab_strv command;      /* exec form; a string is split like a shell (no expansion) */
	int has_command;
	struct lab_strv entrypoint;
	int has_entrypoint;
	struct lab_strv environment;  /* "KEY=VALUE", env_file entries first, then environment */
	struct lab_port *ports;
	size_t n_ports;
	struct lab_mount *mounts;
	size_t n_mounts;
	struct lab_strv networks;     /* network keys as in the file; empty = ["default"] */
	struct lab_dep *deps;
	size_t n_deps;
	struct lab_healthcheck healthcheck;
	struct lab_ready ready;
	char *restart;                /* "no", "always", "on-failure[:N]", "unless-stopped"; NULL = "no" */
	int replicas;                 /* deploy.replicas; default 1; 0 allowed */
	struct lab_strv labels;       /* "KEY=VALUE" */
	struct lab_strv buckets;      /* x-buckets: S3 buckets up creates once the
	                                 service is ready (needs x-ready.s3) */
	char *hostname, *user, *working_dir, *container_name;
	struct lab_ctr_opts ctr;      /* the rest of the container's settings */
	struct lab_strv profiles;     /* profiles: the service starts only when one is active */
	/* x-ui: {port, path}: a web UI on container port `port` (published
	   or not) at path (default "/"); up shows its URL for a browser on
	   the host. 0 = none (a probe kind with a UI, spark or jupyter, gives
	   one too). */
	int ui_port;
	char *ui_path;
	struct lab_swarm_deploy swarm; /* deploy's Swarm-only keys (up --swarm) */
};

/* The prefix of labctl's own labels (plan.h's LAB_LABEL_*): a lab file may
 * not set one on a volume or network, for labctl finds its resources by them. */
#define LAB_LABEL_PREFIX "io.labctl."

/* A top-level volumes: / networks: entry (Compose Specification,
 * "volumes top-level element" / "networks top-level element"). */
struct lab_volume {
	char *name;          /* key in the file */
	char *external_name; /* external: true (its name: or the key): used as it
	                        is, never created nor removed; else NULL */
	char *custom_name;   /* name: without external: the engine name labctl
	                        creates it under, labelled as the lab's (down
	                        --volumes removes it); else NULL (<project>_<key>) */
	struct lab_strv labels; /* labels: "KEY=VALUE", put on it at create with
	                           labctl's io.labctl.* (which they may not set) */
	struct lab_mark mark;
};

struct lab_network {
	char *name;
	char *external_name; /* as for struct lab_volume */
	char *custom_name;
	struct lab_strv labels;
	struct lab_mark mark;
};

/* datasets: entry. The full file is looked up by name in a data directory
 * ($LABCTL_DATA_DIR); the lab ships a small real sample of it. */
struct lab_dataset {
	char *name;       /* key in the file; LAB_DATASET_<NAME> in jobs */
	char *file;       /* file name of the full dataset, e.g. "flights-3m.csv.gz" */
	char *sample;     /* absolute path of the lab's sample (must exist), or NULL */
	char *sha256;     /* lowercase hex SHA-256 of the full file, or NULL */
	char *bucket;     /* bucket: up uploads the dataset (the full file, else the
	                     sample) to s3://<bucket>/<file> in the lab's object store
	                     (the first service with an x-ready s3 probe), once per
	                     content; or NULL */
	struct lab_mark mark;
};

/* jobs: entry. A C program under <source>/<binary>/ built in the builder
 * image and run with exec in every replica of service `on`; or a PySpark
 * script under <source>/spark/ submitted to the lab's Spark master from
 * the first replica of `on` (labctl/jobs/spark.c). */
struct lab_job {
	char *name;
	char *binary;            /* directory under source, and the binary's name; NULL
	                            for a script job */
	char *script;            /* script: NAME.py -> absolute <source>/spark/NAME.py, a
	                            PySpark job spark-submitted from the first replica of
	                            `on` (replicas is then 1); NULL for a C job */
	char *source;            /* absolute path of the jobs directory (with its
	                            Makefile); default <lab dir>/../../jobs */
	char *service;           /* `on:` */
	int replicas;            /* run on the first N replicas; 0 = all */
	struct lab_strv args;    /* passed before `labctl run ... -- ARGS` */
	struct lab_strv env;     /* "KEY=VALUE" */
	struct lab_strv datasets;/* dataset names it needs */
	char *description;       /* or NULL */
	struct lab_mark mark;
};

/* params: entry, a per-student value (labctl/lab/checks.c). The value is
 * a deterministic function of the lab's seed (lab.seed), the student's id
 * (struct lab's student) and the param's name:
 *   d = HMAC-SHA256(key = seed, message = student "\n" name)
 *   pick: [a, b, c]  -> item (first 8 bytes of d, big endian) mod count
 *   range: [lo, hi]  -> lo + (first 8 bytes of d) mod (hi - lo + 1), integers
 *                       (64-bit, any lo <= hi: [LONG_MIN, LONG_MAX] takes
 *                       the 8 bytes as they are)
 *   hex: N           -> the first N (1..64) lowercase hex digits of d
 * Interpolated everywhere in the lab as ${PARAM_<NAME>} (name upper-cased). */
enum lab_param_kind { LAB_PARAM_PICK, LAB_PARAM_RANGE, LAB_PARAM_HEX };

struct lab_param {
	char *name;              /* [a-z0-9_], starts with a letter */
	enum lab_param_kind kind;
	struct lab_strv pick;    /* LAB_PARAM_PICK: the choices */
	long lo, hi;             /* LAB_PARAM_RANGE, inclusive */
	int hex_len;             /* LAB_PARAM_HEX */
	char *value;             /* the value for this student */
	struct lab_mark mark;
};

/* What a check's observed value must be. Text comparisons are on the
 * value with surrounding whitespace trimmed; equals compares numerically
 * when both sides are numbers (so "20000" equals "20000.0"). */
struct lab_expect {
	char *equals;            /* or NULL */
	char *equals_hash;       /* "hmac-sha256:<64 hex>" of the trimmed observed
	                            value (key: $LABCTL_VERIFY_KEY, else lab.seed), or NULL */
	int has_min, has_max;
	double min, max;
};

struct lab_check_kind; /* a check kind's descriptor (verify/registry.h) */

/* checks: entry (labctl/lab/checks.c; each kind's keys are read by
 * labctl/verify/checks/<kind>.c and run by labctl/verify). Exactly one of
 * the kind keys is given. Service names default to the first service with
 * the matching x-ready probe (postgres, kafka, s3) for sql, kafka and s3
 * checks (lab_find_service_with_probe). */
struct lab_check {
	char *id;                /* unique, [A-Za-z0-9_.-] */
	char *description;       /* default: the id */
	char *hint;              /* shown when it fails, or NULL */
	long timeout_ms;         /* default 10000 */
	char *skip_unless;       /* or NULL: a query on the first service with an x-ready
	                            postgres probe, run first; when its first value is not
	                            true (false, NULL, no row) the check is skipped
	                            (LAB_VERIFY_SKIPPED: e.g. the job it grades did not run) */
	const struct lab_check_kind *kind;
	void *conf;              /* the kind's own settings: made by its parse,
	                            freed by its free; or NULL */
	char *service;           /* the service it talks to, or NULL (an http
	                            check with url) */
	struct lab_expect expect;/* what the observed value must be, for the
	                            kinds that compare one */
	struct lab_mark mark;
};

/* connectors: a Kafka Connect connector up creates or updates through a
 * service's REST API (PUT /connectors/{name}/config) once every service is
 * ready (labctl/converge/connectors.c). */
struct lab_connector {
	char *name;              /* [A-Za-z0-9._-]+ */
	char *service;           /* the Connect worker: `service:`, else the first
	                            service with an x-ready connect probe */
	struct lab_strv config;  /* "key=value", in file order; connector.class among them */
	struct lab_mark mark;    /* of its name */
};

struct lab {
	char *project;           /* lab name: lab.name, else the directory's name
	                            normalised like Compose ([a-z0-9_-], lowercase) */
	char *title;             /* lab.title, or NULL */
	char *description;       /* lab.description, or NULL */
	int swarm;               /* lab.swarm: true: up runs the lab as Swarm services,
	                            as with up --swarm (labctl/swarm/swarm.h) */
	char *path;              /* absolute path of the lab file */
	char *dir;               /* its directory */
	struct lab_service *services;
	size_t n_services;
	struct lab_volume *volumes;
	size_t n_volumes;
	struct lab_network *networks;  /* "default" is added when any service uses it */
	size_t n_networks;
	struct lab_strv credentials;   /* variable names labctl generates (credentials:) */
	struct lab_dataset *datasets;
	size_t n_datasets;
	struct lab_job *jobs;
	size_t n_jobs;
	char *seed;                    /* lab.seed (interpolated), or NULL */
	struct lab_param *params;      /* params:, evaluated for student */
	size_t n_params;
	char *student;                 /* lab_load_opts.student, else $LAB_STUDENT ("" when neither) */
	char *image_project;           /* what images built from build: without image: are
	                                  named after ("<image_project>-<service>",
	                                  plan.h): set for a student's instance to the lab's
	                                  own name, so its instances share one image; NULL:
	                                  project. Not set by lab_load. */
	struct lab_check *checks;      /* checks:, in file order */
	size_t n_checks;
	struct lab_connector *connectors; /* connectors:, in file order */
	size_t n_connectors;
	struct lab_strv files;         /* every file read (lab file, includes, .env);
	                                  marks point into these strings */
	struct lab_strv disabled;      /* services left out because none of their profiles
	                                  is active (Compose spec "Using profiles"); their
	                                  containers are no orphans */
	struct lab_strv warnings;      /* "path:line:col: message" for keys the file sets
	                                  that Docker Compose itself ignores (labctl too) */
	struct lab_strv swarm_warnings; /* the same for deploy keys only Swarm applies
	                                  (placement, labels, update_config, ...): up
	                                  --swarm and lab.swarm: true send them, so the
	                                  commands show these only for a lab not run
	                                  on Swarm */
};

/* Variables for interpolation, looked up in order: vars ("KEY=VALUE"),
 * then params (PARAM_<NAME>, see struct lab_param), then credentials (names
 * listed under credentials:, whose value comes from the credential
 * callback), then the process environment, then the .env beside the lab
 * file. */
typedef const char *(*lab_credential_fn)(const char *project, const char *name, void *ud);

struct lab_load_opts {
	const struct lab_strv *vars;   /* may be NULL */
	const char *project;           /* override the project name (-p), or NULL */
	/* Called for each variable named under credentials: that the lab uses,
	 * with the lab's project name; returns its value (valid until lab_free)
	 * or NULL, which is an error. NULL callback: such variables interpolate
	 * as "<generated>" (validate before the first up). Called only for a
	 * lab file that is valid with "<generated>" in their place, so with a
	 * validated project name: a refused file never reaches it (nothing is
	 * read or written under a state directory for it). */
	lab_credential_fn credential;
	void *credential_ud;
	/* Only names are needed (the project name for status, down, logs):
	 * params are not evaluated: ${PARAM_*} reads a value of the param's
	 * kind, the same for every student (the first pick, the low end of
	 * the range, zeros for hex), so the lab loads as it does with them. */
	int names_only;
	/* The student's id params are evaluated for (verify --student); NULL:
	 * $LAB_STUDENT, "" when that is unset too. */
	const char *student;
	/* Active profiles (--profile); NULL or empty: $COMPOSE_PROFILES,
	 * comma-separated. "*" activates all. A service with profiles: is in
	 * the lab only when one of them is active; a service that depends on
	 * one left out is an error unless the dependency says required: false
	 * (then it is dropped). Decided before cycles are looked for. */
	const struct lab_strv *profiles;
	/* Further compose files merged over the first, in order (-f A -f B,
	 * compose.override.yaml; Compose spec "Merge and override"). Their
	 * relative paths are the first file's directory's, as in Compose. */
	const struct lab_strv *overrides;
	/* --env-file: these files (in order, a later one's value winning)
	 * instead of the .env beside the lab file; NULL or empty: that .env. */
	const struct lab_strv *env_files;
};

/* Load, interpolate, merge includes and validate the lab file at path.
 * Includes follow the Compose Specification's "include" (compose-go v2.16
 * loader.ApplyInclude): a path or {path: one or a list, the later merged
 * over the first; project_directory: what the included file's relative
 * paths are relative to, default its directory; env_file: variables for
 * what the lab's own leave unset, default <project_directory>/.env}.
 * Each file's extends are resolved before it is merged with another.
 * On success *out is a complete, valid lab (free with lab_free).
 * Errors: LAB_EINPUT with one "path:line:col: message" line per problem
 * found (all of them, not just the first); LAB_ENOTFOUND when path does not
 * exist (message names it). Never touches the engine.
 * Hostile files are bounded: every file read (lab file, includes, .env,
 * env_file) is a regular file of at most 4 MiB; a YAML file expands to at
 * most 100000 nodes and 8 MiB of text; interpolation nests at most 32
 * levels and makes at most 1 MiB per value and 16 MiB per load; the checks
 * are linear in the size of the lab; at most 10000 diagnostics of at most
 * 1 KiB are kept. A lab that uses credentials and has a callback is loaded
 * twice (without, then with the callback). */
int lab_load(struct lab **out, const char *path, const struct lab_load_opts *opts,
	     struct lab_err *err);

void lab_free(struct lab *lab);

/* The dataset / job named name, or NULL. */
struct lab_dataset *lab_find_dataset(const struct lab *lab, const char *name);
struct lab_job *lab_find_job(const struct lab *lab, const char *name);

/* The check with this id, or NULL. */
struct lab_check *lab_find_check(const struct lab *lab, const char *id);

/* HMAC-SHA256 of msg under key as 64 lowercase hex digits + NUL. */
void lab_hmac_sha256_hex(char out[65], const char *key, const void *msg, size_t len);

/* The value of param p for student under seed (see struct lab_param).
 * Returns a new string. */
char *lab_param_value(const struct lab_param *p, const char *seed, const char *student);

/* The service named name, or NULL. */
struct lab_service *lab_find_service(const struct lab *lab, const char *name);

/* `up --scale SERVICE=N` (Docker Compose v2's `up --scale`): set the
 * service's replicas to N (0 to LAB_SCALE_MAX, the bound deploy.replicas
 * has) for this run, overriding deploy.replicas. The config hash does not
 * cover replicas, so scaling creates or removes replicas only (the
 * highest-numbered go first, as in Compose) and recreates nothing.
 * Errors (LAB_EINPUT, lab unchanged): "--scale 'x': expected SERVICE=N",
 * "... is not a number of replicas (0 to 1000)", "--scale: no such
 * service 'x' (did you mean 'y'?)", more than 1 for a service with
 * container_name. */
#define LAB_SCALE_MAX 1000
int lab_scale(struct lab *lab, const char *spec, struct lab_err *err);

/* The first service (in file order) with an x-ready probe of kind probe
 * (a name in the probe registry, labctl/probe/: "postgres", "kafka",
 * "s3", ...); NULL when none has one (or probe is not a probe kind). */
const struct lab_service *lab_find_service_with_probe(const struct lab *lab, const char *probe);

/* Interpolate Compose-style variables in s: ${V}, $V, ${V:-d}, ${V-d},
 * ${V:?msg}, ${V?msg}, ${V:+r}, ${V+r}, $$ -> $. lookup returns the value of
 * a variable or NULL when unset. On success *out is a new string.
 * Defaults nest (${A:-${B:-c}}) at most LAB_INTERP_MAX_DEPTH levels; the
 * work is linear in the length of s for a given depth. The result is at
 * most LAB_INTERP_MAX_LEN bytes.
 * Errors: LAB_EINPUT with "mark: message" (mark printed as file:line:col):
 * "required variable 'V' is not set: msg", "invalid interpolation format
 * in '...'" (unterminated ${, bad name), "interpolation nested more than 32
 * levels deep in '...'", "value is longer than 1 MiB after interpolation";
 * a quoted string longer than 100 bytes is cut and ends with "...". */
#define LAB_INTERP_MAX_DEPTH 32
#define LAB_INTERP_MAX_LEN (1 << 20)
typedef const char *(*lab_lookup_fn)(const char *name, void *ud);
int lab_interpolate(char **out, const char *s, lab_lookup_fn lookup, void *ud,
		    const struct lab_mark *mark, struct lab_err *err);

/* Parse a Compose duration ("1m30s", "500ms", "2h", "10s", "1.5s", a bare
 * integer means seconds) into ms. Returns 0 or LAB_EINPUT (no message set). */
int lab_parse_duration_ms(const char *s, long *ms);

/* Parse a Compose byte value (Compose spec "Specifying byte values";
 * compose-go UnitBytes = go-units RAMInBytes): a number (decimals allowed),
 * an optional space, then an optional unit b, k, m, g, t, p, optionally
 * followed by b or ib, any case; k = 1024 (binary in every spelling:
 * "1gb" = "1g" = "1GiB" = 1073741824); the product is truncated to whole
 * bytes. Returns 0 or LAB_EINPUT (negative, no number, bad unit, > 2^63). */
int lab_parse_bytes(const char *s, long long *out);

/* Levenshtein distance, for "did you mean". Strings longer than
 * LAB_EDIT_MAX_LEN bytes are not compared: the result is then (size_t)-1
 * ("too far"), so the cost is at most O(LAB_EDIT_MAX_LEN^2). */
#define LAB_EDIT_MAX_LEN 64
size_t lab_edit_distance(const char *a, const char *b);

/* "Did you mean": the name of names (n of them) closest to key when close
 * enough (the rule unknown keys of a lab file use: distance <= 2 and at
 * most half of key's length, or at most a third of it), else NULL. For
 * lab, service, job and command names. */
const char *lab_suggest(const char *key, const char *const *names, size_t n);

#endif
