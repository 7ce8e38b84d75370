/* Private to labctl/lab: the YAML node tree, .env parsing and small helpers
 * shared by the loader's files. Nothing outside labctl/lab includes this
 * but the kinds' parse functions, which read their own values with these
 * helpers: the check kinds (labctl/verify/checks/, through verify/check.h)
 * and the probe kinds (labctl/probe/<kind>.c); and tests. */
#ifndef LAB_LAB_PRIVATE_H
#define LAB_LAB_PRIVATE_H

#include <stddef.h>

#include "lab.h"
#include "../util/file.h"

/* Bounds on what one YAML file may expand to (aliases, merge keys): nodes,
 * bytes of scalar text (read or copied), nesting. */
#define LAB_NODE_MAX_NODES 100000
#define LAB_NODE_MAX_TEXT (8 << 20)
#define LAB_NODE_MAX_DEPTH 64

/* Largest file the loader reads: a lab file, an include, a .env or an
 * env_file (bytes). */
#define LAB_FILE_MAX (4 << 20)

enum lab_node_kind { LAB_NODE_SCALAR, LAB_NODE_MAP, LAB_NODE_SEQ };
enum { LAB_TAG_RESET = 1, LAB_TAG_OVERRIDE = 2 };

/* One YAML node. Maps keep their pairs in file order as kids[2i] (key,
 * always a scalar) and kids[2i+1] (value). */
struct lab_node {
	enum lab_node_kind kind;
	struct lab_mark mark;
	char *text;             /* scalar text ("" for an empty scalar) */
	int quoted;             /* scalar was quoted, a block scalar or tagged */
	int interp;             /* scalar text came out of interpolation */
	char *var;              /* the one variable interpolation looked up for
	                           text (a port spec's ${LAB_PG_PORT:-15432}),
	                           NULL when none or several */
	int tag;                /* LAB_TAG_RESET (!reset) or LAB_TAG_OVERRIDE (!override):
	                           Compose's merge tags (lab_ld_merge); else 0 */
	struct lab_node **kids;
	size_t n;               /* seq: items; map: pairs */
	size_t cap;             /* allocated kids */
};

/* Parse the single YAML document in the file at path into a node tree whose
 * marks name mark_file (which must outlive the tree). An empty file gives an
 * empty mapping. Errors (LAB_EINPUT): "mark_file:line:col: <problem>" for
 * syntax errors, duplicate keys, unknown anchors, "too many alias
 * expansions: ..." (over LAB_NODE_MAX_NODES nodes or LAB_NODE_MAX_TEXT bytes
 * of text with aliases' copies), "too many YAML nodes: ..." / "too much
 * text: ..." (the same without aliases), "nesting too deep", more than one
 * document; "'mark_file' <why>" (lab_read_file's phrase) when path is not a
 * regular file of at most LAB_FILE_MAX bytes; LAB_ENOTFOUND when it does
 * not exist. */
int lab_node_parse_file(struct lab_node **out, const char *path, const char *mark_file,
			struct lab_err *err);
/* The same for YAML text in memory. */
int lab_node_parse_string(struct lab_node **out, const char *yaml, size_t len,
			  const char *mark_file, struct lab_err *err);
void lab_node_free(struct lab_node *n);
/* A deep copy of n. */
struct lab_node *lab_node_copy(const struct lab_node *n);
/* merge.c: merge the tree over (an override file's root: -f A -f B,
 * compose.override.yaml) into base (the first file's root) by the Compose
 * specification's merge rules (compose-go v2.16 override.MergeYaml): maps
 * merge key by key, the later value winning; sequences append without
 * duplicates; command, entrypoint, healthcheck.test, profiles and ulimits
 * are replaced; environment, labels, build args/labels, sysctls, depends_on,
 * networks and top-level volumes'/networks' labels merge as mappings
 * whatever their form; volumes merge by
 * target; logging options only under the same driver; a value tagged
 * !override replaces, one tagged !reset removes. over is not changed. */
struct lab_ld;
void lab_ld_merge(struct lab_ld *L, struct lab_node *base, const struct lab_node *over);
/* The same for one service's mapping (extends: over is the extending
 * service, base what it extends). */
void lab_ld_merge_service(struct lab_node *base, const struct lab_node *over, const char *name);
/* extends.c: resolve every service's extends: in the file root (whose
 * directory is absdir), in place. */
void lab_ld_extends(struct lab_ld *L, struct lab_node *root, const char *absdir);
/* Remove, in the tree at n, every mapping entry whose value is tagged
 * !reset (what is left of them after the merges). */
void lab_ld_drop_resets(struct lab_node *n);

/* A mapping's value for key (NULL when absent or n is not a mapping). */
struct lab_node *lab_node_get(const struct lab_node *map, const char *key);
/* A plain null scalar: "", "~", "null", "Null", "NULL". */
int lab_node_is_null(const struct lab_node *n);

/* Interpolate s (see lab_interpolate); on failure *msg is a new message
 * without a mark and LAB_EINPUT is returned. */
int lab_interp_run(char **out, const char *s, lab_lookup_fn lookup, void *ud, char **msg);

/* Parse a .env / env_file: KEY=VALUE lines, '#' comments, blank lines,
 * optional "export " prefix, values optionally in single or double quotes
 * (double quotes understand \n, \t, \\ and \"); unquoted and double-quoted
 * values are interpolated (${VAR}, ${VAR:-d}, $$; compose-go dotenv): the
 * environment first, then what the file (or out, before it) set, at most
 * 16 MiB made per file. A line with only KEY is
 * pushed as "KEY" (no '='). The file must be a regular file of at most
 * LAB_FILE_MAX bytes (lab_read_file). Returns 0; LAB_ENOTFOUND when it does
 * not exist; LAB_EINPUT with *msg (new) and *line: for the file as a whole
 * (*line 0) lab_read_file's phrase ("is a directory, not a regular file",
 * "is larger than 4 MiB", ...), for a malformed line (*line its 1-based
 * number) "expected KEY=VALUE" or "unterminated quote". */
int lab_dotenv_parse(struct lab_strv *out, const char *path, int *line, char **msg);

/* Split a command line like a POSIX shell does words: blanks separate,
 * single quotes are literal, double quotes and backslash escape; no
 * expansion. Returns 0, or LAB_EINPUT on an unterminated quote. */
int lab_shell_split(struct lab_strv *out, const char *s);

/* dir joined with path (path kept when absolute), with "." and ".."
 * components and repeated slashes removed lexically. New string. */
char *lab_path_join(const char *dir, const char *path);
/* The directory part of path ("." when it has none). New string. */
char *lab_path_dir(const char *path);

/* The loader's state, shared by load.c, service.c and validate.c. */
struct lab_ld;

/* The lab being loaded. */
struct lab *lab_ld_lab(struct lab_ld *L);

/* Record one diagnostic "file:line:col: message" at m (may be NULL). */
void lab_ld_diag(struct lab_ld *L, const struct lab_mark *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Record one warning "file:line:col: message" in lab->warnings: a key the
 * file sets that Docker Compose ignores too, so labctl does the same. */
void lab_ld_warn(struct lab_ld *L, const struct lab_mark *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same, in lab->swarm_warnings: a deploy key only Swarm applies (up
 * --swarm sends it; Docker Compose and up without Swarm ignore it). */
void lab_ld_warn_swarm(struct lab_ld *L, const struct lab_mark *m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Variable lookup (lab_lookup_fn) in the order lab.h gives; ud is the loader. */
const char *lab_ld_lookup(const char *name, void *ud);
/* Set the mark credential errors are reported at. */
void lab_ld_set_mark(struct lab_ld *L, const struct lab_mark *m);

/* Value checks: on a wrong type they record "expected a ... for 'key'" at
 * n's mark and return -1. */
int lab_ld_check_keys(struct lab_ld *L, const struct lab_node *map, const char *const *allowed,
		      int allow_x);
int lab_ld_want(struct lab_ld *L, const struct lab_node *n, enum lab_node_kind kind, const char *key);
const char *lab_ld_str(struct lab_ld *L, const struct lab_node *n, const char *key);
int lab_ld_int(struct lab_ld *L, const struct lab_node *n, const char *key, long *v);
int lab_ld_bool(struct lab_ld *L, const struct lab_node *n, const char *key, int *v);
int lab_ld_duration(struct lab_ld *L, const struct lab_node *n, const char *key, long *ms);
/* A TCP port 1-65535; otherwise records "invalid port 'T' for 'key'" (or
 * the expected-a-string message) and returns -1, *port untouched. */
int lab_ld_port(struct lab_ld *L, const struct lab_node *n, const char *key, int *port);
/* A list of scalars (or, when allow_str, a single string) appended to out. */
int lab_ld_strlist(struct lab_ld *L, const struct lab_node *n, const char *key, int allow_str,
		   struct lab_strv *out);
/* A list of "K=V" / "K", or a map K: V / K: null, appended to out as
 * "K=V"; from_env: a bare K takes its value from the lookup chain. */
void lab_ld_kv_list(struct lab_ld *L, const struct lab_node *n, const char *key, struct lab_strv *out,
		    int from_env);
/* jobs: and datasets: sections of the lab file (jobs.c); after services. */
void lab_ld_datasets(struct lab_ld *L, const struct lab_node *n, const char *absdir);
void lab_ld_jobs(struct lab_ld *L, const struct lab_node *n, const char *absdir);
void lab_jobs_free(struct lab *lab);
/* params: (before interpolation: their values become variables) and
 * checks: (after services) sections (checks.c). */
void lab_ld_params(struct lab_ld *L, const struct lab_node *n, const struct lab_node *seed, int evaluate);
void lab_ld_checks(struct lab_ld *L, const struct lab_node *n);
void lab_checks_free(struct lab *lab);
/* connectors: section (connectors.c); after services. */
void lab_ld_connectors(struct lab_ld *L, const struct lab_node *n);
void lab_connectors_free(struct lab *lab);

/* For a check kind's parse (verify/registry.h): m is the kind's mapping,
 * c the check being read (id, kind and mark set). Problems are recorded
 * with lab_ld_diag at the mark of the value at fault. */
/* The service c names under m (it must exist), else the first with an
 * x-ready probe of kind probe (lab_find_service_with_probe; probe may be
 * NULL); records "<kind> check '<id>' needs 'service'..." when there is
 * none and probe or required asks for one. New string, or NULL. */
char *lab_ld_check_service(struct lab_ld *L, const struct lab_check *c, const struct lab_node *m,
			   const char *probe, int required);
/* Record "<kind> check '<id>' needs '<key>': <what>" when m has no key. */
void lab_ld_check_need(struct lab_ld *L, const struct lab_check *c, const struct lab_node *m, const char *key,
		       const char *what);
/* equals / min / max of m under the names the kind uses (each may be NULL:
 * not accepted), and equals_hash, into e. */
void lab_ld_check_expect(struct lab_ld *L, const struct lab_node *m, struct lab_expect *e, const char *eq,
			 const char *mn, const char *mx);
/* A copy of map's string value for key, or NULL when absent or not a string. */
char *lab_ld_opt_str(struct lab_ld *L, const struct lab_node *map, const char *key);
/* map's integer (quoted or not) for key into *out when given and >= min. */
void lab_ld_opt_long(struct lab_ld *L, const struct lab_node *map, const char *key, long *out, long min);
/* Record map's value for key when it is not a valid POSIX extended regex. */
void lab_ld_check_regex(struct lab_ld *L, const struct lab_node *map, const char *key);

/* S3 bucket naming rules: 3-63 characters of [a-z0-9.-], alphanumeric at both ends. */
int lab_ld_bucket_name_ok(const char *b);
/* The name from allowed (n_allowed names, or up to a NULL) closest to key
 * by edit distance when close enough (distance <= 2 and at most half of
 * key's length, or at most a third of it), or NULL. Names longer than
 * LAB_EDIT_MAX_LEN are never compared. _for: the same within the load's
 * budget of edit-distance cells ((len a + 1) * (len b + 1) per name
 * compared, 20 million per load): once it is spent there are no more
 * suggestions, so thousands of unknown names against thousands of
 * candidates stay bounded. */
const char *lab_ld_suggest(const char *key, const char *const *allowed, size_t n_allowed);
const char *lab_ld_suggest_for(struct lab_ld *L, const char *key, const char *const *allowed, size_t n_allowed);
/* Rebuild the service index after lab->services changed. */
void lab_ld_reindex_services(struct lab_ld *L);
/* The load's options (may be NULL). */
const struct lab_load_opts *lab_ld_opts(struct lab_ld *L);
/* profiles.c: leave out the services none of whose profiles is active. */
void lab_ld_apply_profiles(struct lab_ld *L, struct lab *lab);
/* The service loaded so far named name, or NULL (hashed: O(1)). */
struct lab_service *lab_ld_find_service(struct lab_ld *L, const char *name);

/* Convert one service (key node, value node) of a file whose directory is
 * absdir. Problems are recorded with lab_ld_diag. */
void lab_ld_service(struct lab_ld *L, const char *absdir, const struct lab_node *key,
		    const struct lab_node *val, struct lab_service *s);
/* ctr.c: a service key that is a container setting (struct lab_ctr_opts)
 * or profiles: read into s, returns 1; any other key: 0. */
int lab_ld_ctr_key(struct lab_ld *L, const char *absdir, const struct lab_node *k, const struct lab_node *v,
		   struct lab_service *s);
/* deploy.resources and deploy.restart_policy of service s (svc: the
 * service's mapping, for the top-level keys they must agree with). */
void lab_ld_deploy_resources(struct lab_ld *L, const struct lab_node *n, struct lab_service *s,
			     const struct lab_node *svc);
void lab_ld_deploy_restart(struct lab_ld *L, const struct lab_node *n, struct lab_service *s);
void lab_ctr_opts_clear(struct lab_ctr_opts *o);
/* Remember where service svc names network net. */
void lab_ld_note_network(struct lab_ld *L, const char *svc, const char *net,
			 const struct lab_mark *m);
/* Report, at its mark, every use of a network that is not "default" and not
 * in declared (network names -> anything). */
struct lab_index;
void lab_ld_check_networks(struct lab_ld *L, const struct lab_index *declared);
/* Cross-service checks on the loaded lab. */
void lab_ld_validate(struct lab_ld *L, struct lab *lab);
/* Free the contents of one service (not the struct itself). */
void lab_service_clear(struct lab_service *s);

#endif
