/* Engine client internals shared by engine.c and exec.c (the hijacked
 * exec connection): the handle's fields and the helpers that make a
 * connection and format errors the same way for both. Not for other
 * modules: use engine.h. */
#ifndef LAB_ENGINE_INTERNAL_H
#define LAB_ENGINE_INTERNAL_H

#include <curl/curl.h>

#include "engine.h"

struct lab_engine {
	char *host;    /* as configured, e.g. "unix:///var/run/docker.sock" */
	char *sock;    /* unix socket path, or NULL for tcp */
	char *base;    /* "http://localhost", "http://h:p" or "https://h:p" */
	int tls;       /* https */
	int verify;    /* verify the daemon's certificate */
	char *ca, *cert, *key; /* TLS files (NULL when absent) */
	char version[32];      /* negotiated, e.g. "1.41" */
	char podman[32];       /* Podman's Libpod-Api-Version ("4.3.1"), "" for Docker */
	CURL *curl;
};

/* Set c's URL, unix socket, TLS files and NOSIGNAL for e (after a reset). */
void engine_setup_conn(const struct lab_engine *e, CURL *c, const char *url);

/* LAB_EUNREACHABLE "cannot reach the Docker engine at '<host>': <detail>
 * (start one with ...)", with the unix socket's own reason when there is one. */
int engine_unreachable(const struct lab_engine *e, const char *detail, struct lab_err *err);

/* The error for a non-2xx answer: "engine: METHOD PATH: STATUS REASON:
 * <daemon's message>" (the "message" of a JSON body, else the body).
 * LAB_ENOTFOUND for 404, LAB_EEXISTS for 409, else LAB_EENGINE. reason may
 * be NULL or "" (then the standard one). */
int engine_http_error(const char *method, const char *path, long status, const char *reason,
		      const char *body, struct lab_err *err);

/* path without its query string, percent-decoded, for messages; caller frees. */
char *engine_show_path(const char *path);

#endif
