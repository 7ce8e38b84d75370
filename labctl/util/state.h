/* Per-lab state on the user's machine: generated credentials, and the
 * lock that serializes work on one lab.
 *
 * Directory: $LABCTL_STATE_DIR/<project>, else
 * ${XDG_STATE_HOME:-$HOME/.local/state}/labctl/<project>, mode 0700.
 * Credentials live in credentials.env there ("NAME=VALUE" lines, mode 0600),
 * generated on first use: 24 characters [A-Za-z0-9] from /dev/urandom.
 * The lock is the file "lock" there (flock(2); it holds its holder's pid).
 */
#ifndef LAB_STATE_H
#define LAB_STATE_H

#include "err.h"

/* 1 when project is a valid project name, the only names a state path is
 * built from: lowercase letters, digits, '_' and '-', starting with a
 * letter or digit (Compose's project name rule), so never "", ".", ".."
 * or anything with a '/'. */
int lab_state_name_ok(const char *project);

/* The directory every project's state directory is in: $LABCTL_STATE_DIR,
 * else ${XDG_STATE_HOME:-$HOME/.local/state}/labctl (caller frees); not
 * created. */
char *lab_state_root(void);

/* The state directory of project (caller frees); not created. NULL when
 * project is not a valid name (lab_state_name_ok). */
char *lab_state_dir(const char *project);

/* Make dir (a state directory, or the root) 0700 with its parents.
 * Errors: LAB_ERR with the path and the errno text. */
int lab_state_mkdir(const char *dir, struct lab_err *err);

/* file becomes text, whole: a temporary file "<file>.tmp" (0600, synced)
 * renamed over it, so a reader sees the old file or the new one. The
 * caller holds a lock that makes the temporary name its own.
 * Errors: LAB_ERR with the path and the errno text. */
struct lab_buf;
int lab_state_replace_file(const char *file, const struct lab_buf *text, struct lab_err *err);

/* The stored value of credential name for project in *value (caller frees).
 * When none is stored: with generate, make one, add it to credentials.env
 * (creating the directory 0700 and the file 0600) and return it; without,
 * return LAB_ENOTFOUND.
 * Written once: several labctl making the same lab's credentials at once
 * (two first `up`s) all get the one value that was stored. The file is
 * replaced whole (a temporary file renamed over it, so a reader sees the
 * old file or the new one, never half of one), under an flock on the
 * state directory that serializes the read-add-replace of every writer;
 * whoever comes second reads the first one's value.
 * Errors: LAB_ERR with the path and errno text when the file cannot be
 * read or written; LAB_EINPUT "invalid project name '...'" when project is
 * not a valid name (then nothing is read or written). */
int lab_state_credential(char **value, const char *project, const char *name, int generate,
			 struct lab_err *err);

/* A held per-lab lock. */
struct lab_state_lock;

/* Called once when the lock is held by another process, before waiting
 * for it: pid is the holder's (what it wrote in the lock file), 0 when it
 * cannot be known (it has not written it yet, an older labctl). */
typedef void (*lab_state_wait_fn)(long pid, void *ud);

/* Take project's lock (`up`, `down` and `run` of one lab take it, so they
 * run one after the other): flock(2) LOCK_EX on <state dir>/lock, made
 * 0600 with the directory when missing. When another process holds it,
 * calls on_wait (may be NULL) once and waits, without a time limit, until
 * it is released; the kernel releases it when its holder exits, even by
 * kill -9, so a crashed run never leaves it stuck. Then writes this
 * process's pid into the file. *out gets the lock (lab_state_unlock).
 * The descriptor is close-on-exec. Errors: LAB_EINPUT "invalid project
 * name '...'" when project is not a valid name (lab_state_name_ok: nothing
 * is made); LAB_ERR with the path and the errno text (the directory or
 * file cannot be made or locked). */
int lab_state_lock(struct lab_state_lock **out, const char *project, lab_state_wait_fn on_wait, void *ud,
		   struct lab_err *err);

/* Release and free a lock from lab_state_lock. Accepts NULL. */
void lab_state_unlock(struct lab_state_lock *lock);

#endif
