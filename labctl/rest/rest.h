/* JSON over HTTP (libcurl, loaded lazily: lazy/lazy.h): the calls labctl
 * makes to services' REST APIs — readiness of a schema registry or a Kafka
 * Connect worker (probe/), connectors that up creates (converge/), and the
 * http check (verify/). One request per call, no proxy (lab services are
 * local), no retries: callers poll. */
#ifndef LAB_REST_H
#define LAB_REST_H

#include <cJSON.h>

#include "../util/err.h"

/* What a request got: its HTTP status and body (JSON-parsed when it is
 * JSON, else json NULL). */
struct lab_rest_resp {
	long status;
	char *body;   /* NUL-terminated, at most 1 MiB; "" when empty */
	cJSON *json;  /* the parsed body, or NULL */
};

/* method ("GET", "PUT", ...) url with body (a JSON text sent as
 * application/json, or NULL for none), within timeout_ms. Returns 0 when
 * an answer came, whatever its status (in *resp: release it with
 * lab_rest_resp_release); LAB_ERR when none did ("PUT <url>: Couldn't
 * connect to server"), or the body was larger than 1 MiB; LAB_ENOLIB when
 * libcurl cannot be loaded. *resp is zeroed first. */
int lab_rest(const char *method, const char *url, const char *body, int timeout_ms, struct lab_rest_resp *resp,
	     struct lab_err *err);

/* Frees body and json; accepts NULL. */
void lab_rest_resp_release(struct lab_rest_resp *resp);

/* A service's error message from an error answer: Kafka Connect and the
 * Confluent Schema Registry both answer {"error_code": N, "message": "..."};
 * else the body itself (first 200 bytes). Static or resp-owned string. */
const char *lab_rest_message(const struct lab_rest_resp *resp);

#endif
