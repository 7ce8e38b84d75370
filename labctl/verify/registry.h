/* The check registry: one descriptor per check kind (sql, kafka, s3, http,
 * exec, file, log), each in its own file labctl/verify/checks/<kind>.c, all
 * listed in one table (registry.c).
 *
 * The loader (labctl/lab/checks.c) reads a check's shared keys (id,
 * description, hint, timeout), finds the one kind key given, checks the
 * keys under it against the kind's keys and hands the mapping to the kind's
 * parse; lab_free hands the kind's config back to its free. labctl verify
 * calls run (labctl/verify/run.c). This header is all the loader sees of
 * verify: it needs nothing from the engine.
 *
 * Adding a kind: write checks/<kind>.c exporting one
 * `const struct lab_check_kind lab_check_<kind>`, and in registry.c name it
 * in the extern declaration and add its row to the table (the Makefile
 * finds the new file). The loader's messages, its did-you-mean and
 * `labctl verify --help` list the kinds from the table; the unit tests
 * (tests/unit/test_checks.c) check the new row and its diagnostics without
 * being told about it.
 */
#ifndef LAB_VERIFY_REGISTRY_H
#define LAB_VERIFY_REGISTRY_H

#include <stddef.h>

#include "../lab/lab.h"

struct lab_ld;         /* the loader (lab/lab_private.h) */
struct lab_node;       /* a YAML node (lab/lab_private.h) */
struct lab_check_ctx;  /* a running check (verify/check.h) */

struct lab_check_kind {
	const char *name;          /* the key naming the kind in a check: "sql" */
	const char *const *keys;   /* keys accepted in its mapping, NULL-terminated */
	/* Read the kind's mapping m (a mapping whose keys are among keys, as
	 * the loader has checked) into c->conf (a new config owned by the
	 * check, freed with free) and the shared fields c->service and
	 * c->expect; c->id and c->mark are set. Problems are recorded with
	 * lab_ld_diag at the mark of the value at fault ("file:line:col:
	 * message"), all of them; c->conf may then be partly filled (or NULL). */
	void (*parse)(struct lab_check *c, struct lab_ld *L, const struct lab_node *m);
	/* Free a config parse made; accepts NULL. */
	void (*free)(void *conf);
	/* Run x->check against the running lab, within x->deadline, and leave
	 * the outcome in x (status, observed, expected, message; see check.h).
	 * Runs on a thread of its own: never prints, never exits. */
	void (*run)(struct lab_check_ctx *x);
};

/* The kinds, in the order messages and help list them. */
extern const struct lab_check_kind *const lab_check_kinds[];
extern const size_t lab_check_n_kinds;

/* The kind named name, or NULL. */
const struct lab_check_kind *lab_check_kind_find(const char *name);

/* The kinds' names in table order, each between quote ("" for none),
 * separated by ", ": "'sql', 'kafka', ..." New string. */
char *lab_check_kind_list(const char *quote);

#endif
