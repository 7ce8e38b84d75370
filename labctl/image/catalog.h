/* The stand-in catalog (images/catalog.yml, issue 15): which image built
 * here stands in for a public image (postgres:16, apache/kafka, ...) when
 * that one cannot be pulled. The file's format is documented in its own
 * header comment; this reads it and answers "which entry, with which build
 * args, for this image reference". Nothing here talks to an engine. */
#ifndef LAB_CATALOG_H
#define LAB_CATALOG_H

#include <stddef.h>

#include "../util/buf.h"
#include "../util/err.h"

/* Labels a stand-in image carries (besides io.labctl.build-hash): the
 * reference it was asked for as written ("postgres:16") and the name of
 * the catalog entry it was built from ("postgres"). */
#define LAB_LABEL_STAND_IN_FOR "io.labctl.stand-in-for"
#define LAB_LABEL_STAND_IN "io.labctl.stand-in"

struct lab_catalog_entry {
	char *name;             /* the entry's name, e.g. "postgres" */
	struct lab_strv repos;  /* normalized repositories it stands in for ("postgres",
	                           "minio/minio"), at least one */
	struct lab_strv tags;   /* shell globs (fnmatch(3), no flags) on the tag;
	                           ["*"] when the file gives none */
	char *context;          /* absolute: <catalog's directory>/<context> */
	char *context_rel;      /* as written in the file, e.g. "postgres" */
	char *dockerfile;       /* relative to context, or NULL (Dockerfile) */
	struct lab_strv args;   /* "KEY=VALUE" as written, ${tag}/${version} unexpanded */
	char *interface;        /* one paragraph, or NULL */
	char *test;             /* repository path of its tests, or NULL */
	int line, col;          /* of the entry in the file (1-based) */
};

struct lab_catalog {
	char *path;             /* the file read */
	char *dir;              /* its directory (absolute): contexts are below it */
	struct lab_catalog_entry *entries;
	size_t n;
};

/* Read the catalog at path (images/catalog.yml). Every problem is
 * LAB_EINPUT with "path:line:col: message" lines, all of them at once:
 * YAML syntax (libyaml's problem and mark), a top level that is not a map
 * with 'stand-ins', an entry that is not a map, an unknown key (with a
 * did-you-mean), a missing name/for/context, a duplicate name, a value of
 * the wrong shape, a context that is not a directory below the catalog's
 * with a Dockerfile in it. A file that cannot be read: LAB_EINPUT
 * "the stand-in catalog 'path' does not exist" (or lab_read_file's phrase). *out is NULL on failure; free with
 * lab_catalog_free (accepts NULL). */
int lab_catalog_load(struct lab_catalog **out, const char *path, struct lab_err *err);
void lab_catalog_free(struct lab_catalog *c);

/* An image reference split and normalized as Docker does for Docker Hub
 * (the distribution/reference rules the engine applies): the registry
 * host "docker.io" (also "index.docker.io", "registry-1.docker.io") and
 * the namespace "library/" of Docker Hub's official images are dropped;
 * another registry host (a first component with '.' or ':', or
 * "localhost") stays part of the repository. The tag is the part after
 * the last ':' of the last component, "latest" when there is none; with a
 * digest ("name@sha256:...") the tag is the digest. New strings in
 * *repo and *tag (caller frees); LAB_EINPUT for an empty reference or
 * an empty repository or tag ("postgres:", ":16"). */
int lab_image_ref_split(char **repo, char **tag, const char *ref, struct lab_err *err);

/* The first entry of c whose repos has ref's normalized repository and one
 * of whose tags globs match its tag (the catalog's rule: first match
 * wins), or NULL (also for a reference lab_image_ref_split refuses). */
const struct lab_catalog_entry *lab_catalog_match(const struct lab_catalog *c, const char *ref);

/* The entry named name, or NULL. */
const struct lab_catalog_entry *lab_catalog_find(const struct lab_catalog *c, const char *name);

/* e's build args for ref, appended to out as "KEY=VALUE": "${tag}" in a
 * value becomes ref's tag, "${version}" the tag's leading dotted number
 * (digits and dots, a trailing dot dropped: "3.5.4-python3" -> "3.5.4",
 * "16" -> "16", "latest" -> ""); anything else is kept as written. */
void lab_catalog_args(struct lab_strv *out, const struct lab_catalog_entry *e, const char *ref);

/* Where the catalog is: $LABCTL_IMAGES_DIR/catalog.yml when that variable
 * is set and not empty, else catalog.yml in images_dir (the cmd layer
 * passes the images/ of the checkout or installation labctl runs from:
 * the same rule as its labs). A new string, or NULL when neither is given
 * (no catalog: every image absent and unpullable fails as before). */
char *lab_catalog_path(const char *images_dir);

#endif
