/* Docker Engine API client over libcurl.
 *
 * Transport: DOCKER_HOST=unix:///path (default unix:///var/run/docker.sock)
 * or tcp://host:port; with DOCKER_TLS_VERIFY=1 (or DOCKER_CERT_PATH set) tcp
 * uses https with ca.pem/cert.pem/key.pem from DOCKER_CERT_PATH (default
 * ~/.docker), like the docker CLI.
 *
 * Version: lab_engine_open pings GET /_ping, reads the API-Version header
 * and uses min(LAB_ENGINE_API_MAX, daemon's); every request path is sent as
 * /v<version><path>. Minimum supported: 1.41 (Debian bookworm docker.io 20.10).
 * Reference: Docker Engine API v1.41 (https://docs.docker.com/engine/api/v1.41/).
 *
 * A struct lab_engine is not thread-safe: use lab_engine_dup for another
 * thread. Errors keep method, path, status and the daemon's message:
 *   "engine: POST /containers/create: 409 Conflict: <message from daemon>"
 */
#ifndef LAB_ENGINE_H
#define LAB_ENGINE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "../util/buf.h"
#include "../util/err.h"

#define LAB_ENGINE_API_MAX "1.45"
#define LAB_ENGINE_API_MIN "1.41"
/* Cap on a buffered (non-streamed) response body, bytes. */
#define LAB_ENGINE_BODY_MAX (64u << 20)

struct lab_engine;

/* Connect to docker_host (NULL: $DOCKER_HOST, else the default socket),
 * ping it and negotiate the API version.
 * Errors: LAB_EUNREACHABLE when nothing answers, message naming the socket or
 * address tried and how to start an engine, e.g.
 *   "cannot reach the Docker engine at 'unix:///var/run/docker.sock': <curl
 *    error> (start one with 'sudo dockerd &' or 'sudo systemctl start docker',
 *    or set DOCKER_HOST)"
 * LAB_EINPUT for a malformed DOCKER_HOST; LAB_EENGINE when the daemon's API
 * is older than LAB_ENGINE_API_MIN. */
int lab_engine_open(struct lab_engine **out, const char *docker_host, struct lab_err *err);

/* A second handle on the same engine (own curl handle, same negotiated
 * version, no new ping), for use by another thread. */
struct lab_engine *lab_engine_dup(const struct lab_engine *e);

void lab_engine_free(struct lab_engine *e);

/* Negotiated API version, e.g. "1.41". */
const char *lab_engine_api_version(const struct lab_engine *e);
/* The address in use, e.g. "unix:///var/run/docker.sock". */
const char *lab_engine_host(const struct lab_engine *e);

/* One request with an optional JSON body (NULL = none), response buffered
 * into resp (may be NULL to discard; capped at LAB_ENGINE_BODY_MAX).
 * path is unversioned ("/containers/json?all=1"); query values must be
 * URL-encoded by the caller (lab_engine_escape).
 * *status (may be NULL) gets the HTTP status.
 * Returns 0 for 2xx and 304; LAB_ENOTFOUND for 404, LAB_EEXISTS for 409,
 * LAB_EENGINE for other statuses (message with method, path, status and
 * the daemon's "message" field), LAB_EUNREACHABLE on transport failure. */
int lab_engine_request(struct lab_engine *e, const char *method, const char *path,
		       const char *json_body, long *status, struct lab_buf *resp,
		       struct lab_err *err);

/* Like lab_engine_request with a cJSON body and a parsed JSON response:
 * *out (may be NULL to discard) gets the parsed body, or NULL for an empty one. */
int lab_engine_json(struct lab_engine *e, const char *method, const char *path,
		    const cJSON *body, cJSON **out, struct lab_err *err);

/* Streamed response: on_data is called with each chunk as it arrives (no
 * buffering, no cap). A non-2xx status is reported like lab_engine_request
 * (the error body is buffered for the message, on_data is not called).
 * body/body_len may be NULL/0; content_type e.g. "application/x-tar".
 * on_data returns 0 to go on, non-zero to stop (then this returns
 * LAB_ERR unless the callback set err itself).
 * timeout_ms 0 = none; when it passes mid-response: LAB_ETIMEOUT. */
typedef int (*lab_engine_data_fn)(const char *data, size_t len, void *ud);
int lab_engine_stream(struct lab_engine *e, const char *method, const char *path,
		      const char *content_type, const void *body, size_t body_len,
		      lab_engine_data_fn on_data, void *ud, long timeout_ms,
		      struct lab_err *err);

/* URL-encode s for a query value; caller frees. */
char *lab_engine_escape(const char *s);

/* ---- images ---- */

/* Progress of /build and /images/create, one call per step or status
 * change. line is human-readable ("Step 2/7 : RUN apt-get ...",
 * "abc123: Downloading 12.3MB/40MB"); final is 1 for lines that a non-TTY
 * output should print (steps, completed layers, errors), 0 for
 * intermediate progress a TTY may overwrite. */
typedef void (*lab_progress_fn)(const char *line, int final, void *ud);

/* GET /images/{name}/json. *id_out (may be NULL) gets the image id.
 * Errors: LAB_ENOTFOUND when absent. */
int lab_engine_image_id(struct lab_engine *e, const char *name, char **id_out, struct lab_err *err);

/* GET /images/{name}/json: the engine's whole answer into *doc (caller
 * frees). Errors: LAB_ENOTFOUND when absent. */
int lab_engine_image_inspect(struct lab_engine *e, const char *name, cJSON **doc, struct lab_err *err);

/* POST /build: tar the directory context_dir (libarchive; honours
 * .dockerignore lines that are plain paths or globs), send it and follow
 * the JSON-lines progress. dockerfile is relative to the context (NULL =
 * "Dockerfile"); build_args "KEY=VALUE" (may be NULL); labels "KEY=VALUE"
 * (may be NULL); target may be NULL. An errorDetail/error line inside the
 * 200 response is an error: LAB_EENGINE, message "build 'tag': <error>". */
int lab_engine_image_build(struct lab_engine *e, const char *context_dir, const char *dockerfile,
			   const char *tag, const struct lab_strv *build_args,
			   const struct lab_strv *labels, const char *target,
			   lab_progress_fn progress, void *ud, struct lab_err *err);

/* POST /images/create?fromImage=...&tag=...: pull, following progress.
 * An errorDetail line is an error: LAB_EENGINE "pull 'ref': <error>". */
int lab_engine_image_pull(struct lab_engine *e, const char *ref, lab_progress_fn progress,
			  void *ud, struct lab_err *err);

/* ---- containers, networks, volumes ---- */

/* GET /containers/json?all=1&filters={"label":[...]}.
 * label_filter like "io.labctl.lab=module0", or several separated by '\n'
 * that must all match (the same for networks and volumes below). *out
 * gets the JSON array. */
int lab_engine_containers(struct lab_engine *e, const char *label_filter, cJSON **out,
			  struct lab_err *err);
/* POST /containers/create?name=name. *id_out gets the new id.
 * LAB_EEXISTS when the name is taken. */
int lab_engine_container_create(struct lab_engine *e, const char *name, const cJSON *body,
				char **id_out, struct lab_err *err);
/* The same with ?platform=os/arch[/variant] (Engine API 1.41: the image
 * must be present for that platform, else 404). platform NULL: none. */
int lab_engine_container_create_on(struct lab_engine *e, const char *name, const char *platform,
				   const cJSON *body, char **id_out, struct lab_err *err);
/* POST /containers/{id}/start (304 "already started" is success). */
int lab_engine_container_start(struct lab_engine *e, const char *id, struct lab_err *err);
/* POST /containers/{id}/restart (no ?t=: the container's StopTimeout). */
int lab_engine_container_restart(struct lab_engine *e, const char *id, struct lab_err *err);
/* POST /containers/{id}/stop?t=timeout_s (304 is success). timeout_s
 * LAB_STOP_TIMEOUT_CONTAINER: no t, the container's own StopTimeout
 * (stop_grace_period when it was created with one, else the engine's 10 s). */
#define LAB_STOP_TIMEOUT_CONTAINER (-0x7fffffff - 1)
int lab_engine_container_stop(struct lab_engine *e, const char *id, int timeout_s, struct lab_err *err);
/* DELETE /containers/{id}?force=1&v=anon_volumes. LAB_ENOTFOUND when gone. */
int lab_engine_container_remove(struct lab_engine *e, const char *id, int anon_volumes,
				struct lab_err *err);
/* Podman's Libpod-Api-Version ("4.3.1") when the engine is Podman's
 * Docker-compatible service (its GET /_ping answers with that header),
 * else NULL. */
const char *lab_engine_podman(const struct lab_engine *e);

/* Podman only: run the container's healthcheck once now and put its
 * status ("healthy", "unhealthy", "starting") in *status (caller frees).
 * GET /libpod/containers/{id}/healthcheck, Podman's own API ("podman
 * healthcheck run"): Podman runs healthchecks from systemd timers, so where
 * there is no systemd (a container, WSL) a healthcheck never runs by itself
 * and the status stays "starting". LAB_ENOTFOUND for no container; the
 * engine's error otherwise. */
int lab_engine_podman_healthcheck(struct lab_engine *e, const char *id, char **status, struct lab_err *err);

/* GET /containers/{id}/json. */
int lab_engine_container_inspect(struct lab_engine *e, const char *id, cJSON **out,
				 struct lab_err *err);

/* GET /networks?filters=..., POST /networks/create, DELETE /networks/{id}. */
int lab_engine_networks(struct lab_engine *e, const char *label_filter, cJSON **out,
			struct lab_err *err);
int lab_engine_network_create(struct lab_engine *e, const cJSON *body, char **id_out,
			      struct lab_err *err);
int lab_engine_network_remove(struct lab_engine *e, const char *id, struct lab_err *err);

/* GET /volumes?filters=... (*out gets the "Volumes" array, never NULL on
 * success), POST /volumes/create, DELETE /volumes/{name}. */
int lab_engine_volumes(struct lab_engine *e, const char *label_filter, cJSON **out,
		       struct lab_err *err);
int lab_engine_volume_create(struct lab_engine *e, const cJSON *body, struct lab_err *err);
int lab_engine_volume_remove(struct lab_engine *e, const char *name, struct lab_err *err);

/* ---- files in containers (Engine API "Extract an archive of files or
 * folders to a directory in a container", "Get an archive of a filesystem
 * resource in a container") ---- */

/* PUT /containers/{id}/archive?path=dir: unpack the tar (len bytes) into
 * dir, which must exist in the container. Works on created and running
 * containers, and on a remote engine (no bind mounts).
 * Errors: LAB_ENOTFOUND (container or dir missing), LAB_EENGINE. */
int lab_engine_put_archive(struct lab_engine *e, const char *id, const char *dir, const void *tar,
			   size_t len, struct lab_err *err);

/* GET /containers/{id}/archive?path=path: a tar of the file or directory
 * at path into out (capped at LAB_ENGINE_BODY_MAX).
 * Errors: LAB_ENOTFOUND when path does not exist, LAB_EENGINE. */
int lab_engine_get_archive(struct lab_engine *e, const char *id, const char *path, struct lab_buf *out,
			   struct lab_err *err);

/* ---- logs and exec: multiplexed streams ---- */

/* Output of a container's stdout (stream 1) or stderr (stream 2); data is
 * one decoded frame payload (not NUL-terminated). Return non-zero to stop. */
typedef int (*lab_output_fn)(int stream, const char *data, size_t len, void *ud);

/* GET /containers/{id}/logs?stdout=1&stderr=1&tail=N&follow=F. tail < 0 =
 * all. Frames are decoded when the container has no TTY, raw otherwise
 * (reported as stream 1). Returns 0 also when out stopped it. */
int lab_engine_logs(struct lab_engine *e, const char *id, long tail, int follow,
		    lab_output_fn out, void *ud, struct lab_err *err);

/* GET /services/{id}/logs?stdout=1&stderr=1 (Engine API v1.41; a Swarm
 * manager gathers the log of every task, on whichever node it ran): the
 * frames of a service without a TTY, decoded as lab_engine_logs does.
 * Errors: the engine's (LAB_ENOTFOUND: no such service). */
int lab_engine_service_logs(struct lab_engine *e, const char *id, lab_output_fn out, void *ud, struct lab_err *err);

/* POST /containers/{id}/exec then /exec/{id}/start (no TTY, attached
 * stdout/stderr), decode frames to out, then GET /exec/{id}/json for the
 * exit code (*exit_code). argv NULL-terminated; env "KEY=VALUE" (may be
 * NULL); user and workdir may be NULL. stdin is not attached (exec.h has
 * the interactive exec: stdin, a terminal, signals).
 * If out stops the output, returns 0 and *exit_code is -1 while the
 * command still runs. */
int lab_engine_exec(struct lab_engine *e, const char *id, char *const argv[],
		    const struct lab_strv *env, const char *user, const char *workdir,
		    lab_output_fn out, void *ud, int *exit_code, struct lab_err *err);

#endif
