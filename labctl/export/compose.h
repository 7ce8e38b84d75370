/* labctl export compose: a lab as a plain docker-compose file.
 *
 * The output is a Compose Specification file without a `version:` key
 * (https://github.com/compose-spec/compose-spec/blob/master/spec.md), kept
 * to what Debian's docker-compose 1.29 accepts: services with image/build,
 * environment, ports (always with the host address labctl would use, so a
 * loopback port stays on loopback), volumes, networks, depends_on with
 * conditions (service_healthy, service_completed_successfully), healthcheck,
 * deploy.replicas; top-level volumes and networks.
 *
 * What labctl does beyond Compose is translated where Compose has an
 * equivalent and left out otherwise:
 *   - includes are flattened: every service of every included file is in
 *     the one output file;
 *   - every variable but the lab's credentials is resolved with the values
 *     in effect at export time (.env, environment, defaults); a credential
 *     stays a ${NAME} reference, for an .env file beside the output;
 *   - a literal '$' in a value is written '$$' (Compose interpolation);
 *   - x-ready probes become healthchecks run inside the container, each
 *     kind's compose_test (labctl/probe/): postgres -> pg_isready, http ->
 *     curl, tcp -> bash's /dev/tcp; kafka, s3 and log probes have no
 *     in-container equivalent and keep the image's own HEALTHCHECK; every
 *     healthcheck polls every 1 s;
 *   - buckets: become S3_BUCKETS in the object store's environment (the
 *     labctl/objectstore image creates them at start);
 *   - jobs:, datasets:, checks:, params: have no Compose equivalent and are
 *     named in the header comment only.
 */
#ifndef LAB_EXPORT_COMPOSE_H
#define LAB_EXPORT_COMPOSE_H

#include "../lab/lab.h"
#include "../util/buf.h"
#include "../util/err.h"

/* A lab_credential_fn for lab_load: instead of a credential's value it
 * returns a marker that lab_export_compose writes as ${NAME}. ud must
 * point to a struct lab_strv that owns the markers (free it after
 * lab_free). Never returns NULL. */
const char *lab_export_credential_ref(const char *project, const char *name, void *ud);

/* Write lab (loaded with lab_export_credential_ref as its credential
 * callback) as a docker-compose file to out. base_dir is the absolute
 * directory the file will live in: build contexts, bind mounts and the
 * lab file named in the header are written relative to it when they share
 * more than the root directory with it, else as absolute paths. The output
 * depends only on the lab and base_dir (no time stamps), so exporting an
 * unchanged lab gives the same bytes.
 * Errors: LAB_ERR when the YAML emitter fails (message from libyaml);
 * LAB_EINPUT "file:line:col: service 'S' sets 'KEY', which labctl export
 * compose does not write yet: ..." for the container settings of struct
 * lab_ctr_opts, profiles and depends_on restart/required (refused, never
 * dropped). */
int lab_export_compose(const struct lab *lab, const char *base_dir, struct lab_buf *out, struct lab_err *err);

/* path relative to the absolute directory dir ("../../images/kafka"), or
 * a copy of path when the two share nothing but "/". Both must be
 * absolute and normalised (realpath). Returns a new string. */
char *lab_export_relpath(const char *dir, const char *path);

#endif
