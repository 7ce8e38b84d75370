/* Per-lab state on the user's machine: generated credentials.
 *
 * Directory: $LABCTL_STATE_DIR/<project>, else
 * ${XDG_STATE_HOME:-$HOME/.local/state}/labctl/<project>, mode 0700.
 * Credentials live in credentials.env there ("NAME=VALUE" lines, mode 0600),
 * generated on first use: 24 characters [A-Za-z0-9] from /dev/urandom.
 */
#ifndef LAB_STATE_H
#define LAB_STATE_H

#include "err.h"

/* 1 when project is a valid project name, the only names a state path is
 * built from: lowercase letters, digits, '_' and '-', starting with a
 * letter or digit (Compose's project name rule), so never "", ".", ".."
 * or anything with a '/'. */
int lab_state_name_ok(const char *project);

/* The state directory of project (caller frees); not created. NULL when
 * project is not a valid name (lab_state_name_ok). */
char *lab_state_dir(const char *project);

/* The stored value of credential name for project in *value (caller frees).
 * When none is stored: with generate, make one, append it to
 * credentials.env (creating the directory 0700 and the file 0600) and
 * return it; without, return LAB_ENOTFOUND.
 * Errors: LAB_ERR with the path and errno text when the file cannot be
 * read or written; LAB_EINPUT "invalid project name '...'" when project is
 * not a valid name (then nothing is read or written). */
int lab_state_credential(char **value, const char *project, const char *name, int generate,
			 struct lab_err *err);

#endif
