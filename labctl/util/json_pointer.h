/* JSON Pointer (RFC 6901) into a cJSON document: "/a/0/b~1c" is member
 * "a", its element 0, its member "b/c". Used by the http probe's json:
 * match (labctl/probe/http.c). cJSON_Utils has cJSONUtils_GetPointer, but
 * Debian's libcjson-dev does not always ship it; this is the whole walk. */
#ifndef LAB_JSON_POINTER_H
#define LAB_JSON_POINTER_H

#include <cJSON.h>

#include "err.h"

/* Check the syntax of pointer p (RFC 6901 section 3): "" (the whole
 * document) or one or more "/token", where '~' is only followed by '0'
 * or '1'. Returns 0, or LAB_EINPUT with the reason in err: "must be empty
 * or start with '/'", "'~' must be followed by '0' or '1'". */
int lab_json_pointer_check(const char *p, struct lab_err *err);

/* The value p refers to in doc (section 4): each token unescaped ("~1" ->
 * "/", then "~0" -> "~") names an object's member (case-sensitive, the
 * first of duplicates) or an array's element by index (decimal, no
 * leading zeros: "0", "12"). NULL when nothing is there: a missing member,
 * an index past the end, "-" (the element after the last), a token that
 * is not an index on an array, a token on a scalar, or p not valid. */
const cJSON *lab_json_pointer_get(const cJSON *doc, const char *p);

#endif
