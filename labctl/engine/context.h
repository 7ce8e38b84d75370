/* Build context for POST /build: a tar of a directory (libarchive). */
#ifndef LAB_ENGINE_CONTEXT_H
#define LAB_ENGINE_CONTEXT_H

#include "../util/buf.h"
#include "../util/err.h"

/* Append to out a tar (pax) of the directory dir: regular files, directories
 * and symlinks (kept as links) with their modes, owner 0:0, sorted by name.
 * Paths matched by dir/.dockerignore are left out: one pattern per line,
 * '#' comments, fnmatch globs relative to dir ("**" crosses directories), a
 * pattern matching a directory leaves out everything below it, and a
 * "!pattern" line puts matching paths back (last matching line wins).
 * The Dockerfile (dockerfile, relative to dir) and .dockerignore are always
 * sent. Errors: LAB_EINPUT when dir or the Dockerfile is missing or
 * .dockerignore is not a regular file of at most 1 MiB, LAB_ERR for read
 * or archive failures. */
int lab_context_tar(struct lab_buf *out, const char *dir, const char *dockerfile,
		    struct lab_err *err);

/* Content hash of the build context lab_context_tar would send (lowercase
 * hex SHA-256): every entry's path, type, mode, link target and bytes, in
 * order; not owners or modification times, so a fresh clone of the same
 * files hashes the same. Errors as lab_context_tar. */
int lab_context_hash(char out[65], const char *dir, const char *dockerfile, struct lab_err *err);

/* 1 when rel (a path relative to the context, '/'-separated) is left out by
 * the .dockerignore patterns in pats ("!" prefix = negation), else 0. */
int lab_context_ignored(const struct lab_strv *pats, const char *rel);

#endif
