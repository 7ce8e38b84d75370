/* Planning: dependency waves, engine object names and labels, the
 * container create body for a service, and its config hash.
 *
 * Names follow Docker Compose v2 so a lab and its exported compose file
 * name things alike: containers "<project>-<service>-<n>" (n from 1),
 * networks and volumes "<project>_<key>", built images "<project>-<service>".
 */
#ifndef LAB_PLAN_H
#define LAB_PLAN_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "../lab/lab.h"
#include "../util/err.h"

/* Labels on every container, network and volume labctl creates. */
#define LAB_LABEL_LAB "io.labctl.lab"
#define LAB_LABEL_SERVICE "io.labctl.service"
#define LAB_LABEL_REPLICA "io.labctl.replica"
#define LAB_LABEL_HASH "io.labctl.config-hash"
#define LAB_LABEL_NETWORK "io.labctl.network"
#define LAB_LABEL_VOLUME "io.labctl.volume"
/* On images labctl builds: content hash of what they were built from. */
#define LAB_LABEL_BUILD_HASH "io.labctl.build-hash"
/* On images labctl builds: the lab that built it. Not io.labctl.lab: an
 * image's labels end up on every container made from it. */
#define LAB_LABEL_BUILT_BY "io.labctl.built-by"

/* Dependency waves: wave[i] is the wave (0-based) of lab->services[i]; a
 * service's wave is one more than the highest wave of what it depends on.
 * *n_waves gets the number of waves. *waves is allocated (caller frees).
 * Errors: LAB_EINPUT "dependency cycle: a -> b -> a" (with the mark of the
 * first edge) or "service 'a' depends on unknown service 'b'". */
int lab_plan_waves(int **waves, size_t *n_waves, const struct lab *lab, struct lab_err *err);

/* Engine names (caller frees). A volume or network: its external or custom
 * name: as written, else "<project>_<key>" (Compose Specification, volumes
 * and networks top-level elements, "name"). */
char *lab_plan_container_name(const struct lab *lab, const struct lab_service *svc, int replica);
char *lab_plan_volume_name(const struct lab *lab, const struct lab_volume *vol);
char *lab_plan_network_name(const struct lab *lab, const struct lab_network *net);
/* The Labels a volume (is_net 0) or network (is_net 1) of the lab is
 * created with: its labels: (key: the entry's key in the file), then
 * LAB_LABEL_LAB=<project> and LAB_LABEL_VOLUME or LAB_LABEL_NETWORK=<key>
 * (the loader refuses a file's io.labctl.* label, so none is overridden;
 * Compose likewise adds its com.docker.compose.* to the file's). Returns a
 * new cJSON object. */
cJSON *lab_plan_resource_labels(const struct lab *lab, const char *key, const struct lab_strv *labels, int is_net);
/* The image a service runs: its image:, else "<project>-<service>"
 * (lab->image_project instead of the project when set: a student's
 * instance builds the lab's image, shared by every instance). */
char *lab_plan_image_name(const struct lab *lab, const struct lab_service *svc);

struct lab_volume *lab_plan_find_volume(const struct lab *lab, const char *name);
/* One Mount (Engine API 1.41 HostConfig.Mounts[], and the same shape in a
 * Swarm ContainerSpec.Mounts[]) for a bind or named-volume mount of the
 * lab: Type, Source (a volume's engine name), Target, ReadOnly. With
 * volume_labels, a lab volume's VolumeOptions.Labels too (a Swarm node
 * makes the volume from them). Returns a new cJSON object. */
cJSON *lab_plan_mount(const struct lab *lab, const struct lab_mount *m, int volume_labels);
struct lab_network *lab_plan_find_network(const struct lab *lab, const char *name);

/* Body for POST /containers/create (Engine API 1.41 ContainerConfig +
 * HostConfig + NetworkingConfig with the service's first network; further
 * networks are connected after create). image_id is the resolved image
 * ("sha256:..."); it is part of the hash, so a rebuilt image recreates.
 * Labels: the service's own, LAB_LABEL_LAB/SERVICE/REPLICA and
 * LAB_LABEL_HASH = lab_plan_config_hash. Returns a new cJSON object. */
cJSON *lab_plan_container_body(const struct lab *lab, const struct lab_service *svc,
			       const char *image_id, int replica);

/* Append to the JSON array aliases the service's aliases on its network
 * netkey (networks.<netkey>.aliases), after the service's name, which the
 * caller puts first. */
void lab_plan_add_aliases(cJSON *aliases, const struct lab_service *svc, const char *netkey);

/* Config hash of a service (lowercase hex SHA-256, 64 chars + NUL): covers
 * everything that goes into the create body except the replica number and
 * the hash itself, plus image_id and the names of networks joined. Two
 * calls with equal inputs give equal hashes. */
void lab_plan_config_hash(char out[65], const struct lab *lab, const struct lab_service *svc,
			  const char *image_id);

/* A container's replica number as text, from its labels (a JSON object):
 * io.labctl.replica, else, for a Swarm task's container (labctl up
 * --swarm), the slot in its com.docker.swarm.task.name
 * "<service>.<slot>.<task id>" (Docker's swarm executor sets it; a global
 * service's task has the node id there: NULL). buf receives the slot.
 * NULL when neither. */
const char *lab_plan_replica_label(const cJSON *labels, char buf[16]);

/* The label filter "io.labctl.lab=<project>" for networks and volumes
 * (caller frees). */
char *lab_plan_label_filter(const char *project);

/* The label filter for the lab's containers: io.labctl.lab=<project> and
 * io.labctl.service present (caller frees; '\n'-separated, see
 * lab_engine_containers). The second label keeps out containers that
 * another tool (docker-compose) made from an image that carries
 * io.labctl.lab: Docker copies an image's labels into its containers. */
char *lab_plan_container_filter(const char *project);

#endif
