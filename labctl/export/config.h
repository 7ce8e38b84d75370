/* labctl config: the resolved model of a lab, as `docker compose config`
 * prints it.
 *
 * The model is what the loader made of the files (lab_load: -f merges,
 * include, extends, !reset/!override, profiles, interpolation, .env and
 * --env-file applied; relative paths made absolute) in the canonical
 * shape of the Compose Specification that compose-go writes
 * (github.com/compose-spec/compose-go/v2 types.Project, as Docker Compose
 * v5.6.0's `config --format json` prints it): `name`, `services`,
 * `networks`, `volumes`; per service environment as a map, ports in the
 * long form (mode, host_ip, target, published as a string, protocol),
 * volumes in the long form, networks as a map, depends_on with condition
 * and required, durations in Go's notation ("1m30s"), byte sizes as a
 * decimal string of bytes ("67108864"), ulimits a number when soft equals
 * hard.
 *
 * Where labctl's model is not Compose's, it prints its own, never
 * Compose's: a port without a host address has host_ip 127.0.0.1 (what
 * labctl publishes on); deploy.resources and mem_limit/cpus/... are one
 * setting, printed as mem_limit, mem_reservation, cpus, pids_limit;
 * deploy.restart_policy is printed as the `restart` it becomes; a seccomp
 * profile file is printed as the compact JSON labctl sends. labctl's own
 * keys (x-ready, x-ui, x-buckets) and sections (jobs, checks, datasets,
 * params, connectors, buckets) are not part of the Compose model and are
 * not printed. Services left out by their profiles are not printed. */
#ifndef LAB_EXPORT_CONFIG_H
#define LAB_EXPORT_CONFIG_H

#include <cjson/cJSON.h>

#include "../lab/lab.h"
#include "../util/buf.h"
#include "../util/err.h"

/* The model of lab, a new cJSON object (never NULL). Object keys are in
 * the order compose-go sorts them: services, volumes and networks by name,
 * a service's keys alphabetically. */
cJSON *lab_config_model(const struct lab *lab);

/* Write a cJSON tree as YAML (libyaml's emitter, block style, strings
 * quoted when YAML 1.2 would read them as another type) to out. Errors:
 * LAB_ERR with libyaml's message. */
int lab_config_yaml(const cJSON *model, struct lab_buf *out, struct lab_err *err);

/* A duration in milliseconds in Go's time.Duration.String notation
 * ("500ms", "1s", "1m30s", "1h0m0s", "1.5s", "0s"). New string. */
char *lab_config_duration(long ms);

#endif
