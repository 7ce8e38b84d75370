/* Helpers shared by the commands: argument parsing, --help, lab lookup,
 * loading with credentials, opening the engine, output discipline. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../instance/instance.h"
#include "../util/parallel.h"
#include "../util/state.h"
#include "../plan/plan.h"
#include "../image/catalog.h"
#include "cmd.h"

static size_t n_opts(const struct cmd_entry *cmd)
{
	size_t n = 0;
	while (cmd->opts && cmd->opts[n].name)
		n++;
	return n;
}

void cmd_print_help(const struct cmd_entry *cmd, FILE *f)
{
	fprintf(f, "usage: labctl %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->summary);
	char *made = cmd->describe ? cmd->describe(cmd) : NULL;
	const char *description = made ? made : cmd->description;
	if (description)
		fprintf(f, "\n%s\n", description);
	free(made);
	fprintf(f, "\noptions:\n");
	for (size_t i = 0; i < n_opts(cmd); i++) {
		const struct cmd_opt *o = &cmd->opts[i];
		char left[64];
		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
				 o->arg ? o->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		fprintf(f, "  %-26s %s\n", left, o->help);
	}
	fprintf(f, "  %-26s %s\n", "-h, --help", "show this help");
}

struct cmd_global cmd_global;

const struct cmd_opt cmd_lab_file_opts[] = {
	CMD_OPT_FILE,
	CMD_OPT_PROJECT,
	CMD_OPT_END,
};

const struct cmd_opt cmd_lab_student_opts[] = {
	CMD_OPT_FILE,
	CMD_OPT_PROJECT,
	CMD_OPT_STUDENT,
	CMD_OPT_END,
};

int cmd_usage_error(const struct cmd_entry *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "labctl %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: labctl %s %s (see 'labctl %s --help')\n", cmd->name, cmd->usage, cmd->name);
	return LAB_EXIT_USAGE;
}

int cmd_parse(struct cmd_args *args, const struct cmd_entry *cmd, int argc, char **argv,
	      struct lab_err *err)
{
	memset(args, 0, sizeof(*args));
	size_t n = n_opts(cmd);
	args->n_vals = n;
	args->vals = lab_xcalloc(n ? n : 1, sizeof(*args->vals));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			for (int j = i + 1; j < argc; j++)
				lab_strv_push(&args->rest, argv[j]);
			break;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			args->help = 1;
			return 0;
		}
		if (a[0] != '-' || a[1] == '\0') {
			lab_strv_push(&args->pos, a);
			continue;
		}
		const char *inline_val = NULL;
		size_t k;
		if (a[1] == '-') {
			const char *nm = a + 2;
			const char *eq = strchr(nm, '=');
			size_t len = eq ? (size_t)(eq - nm) : strlen(nm);
			for (k = 0; k < n; k++)
				if (strlen(cmd->opts[k].name) == len && strncmp(cmd->opts[k].name, nm, len) == 0)
					break;
			if (eq)
				inline_val = eq + 1;
		} else {
			for (k = 0; k < n; k++)
				if (cmd->opts[k].short_name == a[1])
					break;
			if (k < n && a[2])
				inline_val = a + 2;
			/* -F is --follow for logs */
			if (k == n && a[1] == 'F' && !a[2])
				for (k = 0; k < n; k++)
					if (strcmp(cmd->opts[k].name, "follow") == 0)
						break;
		}
		if (k >= n)
			return lab_err_set(err, LAB_EINPUT, "unknown option '%s'", a);
		const struct cmd_opt *o = &cmd->opts[k];
		if (!o->arg) {
			if (inline_val)
				return lab_err_set(err, LAB_EINPUT, "option '--%s' takes no value", o->name);
			lab_strv_push(&args->vals[k], "1");
			continue;
		}
		const char *v = inline_val;
		if (!v) {
			if (i + 1 >= argc)
				return lab_err_set(err, LAB_EINPUT, "option '--%s' needs a value (%s)", o->name, o->arg);
			v = argv[++i];
		}
		lab_strv_push(&args->vals[k], v);
	}
	return 0;
}

void cmd_args_free(struct cmd_args *args)
{
	for (size_t k = 0; k < args->n_vals; k++)
		lab_strv_free(&args->vals[k]);
	free(args->vals);
	args->vals = NULL;
	args->n_vals = 0;
	lab_strv_free(&args->pos);
	lab_strv_free(&args->rest);
}

const struct lab_strv *cmd_opt_all(const struct cmd_entry *cmd, const struct cmd_args *args, const char *name)
{
	static const struct lab_strv none = LAB_STRV_INIT;
	for (size_t k = 0; k < n_opts(cmd) && k < args->n_vals; k++)
		if (strcmp(cmd->opts[k].name, name) == 0)
			return &args->vals[k];
	return &none;
}

const char *cmd_opt(const struct cmd_entry *cmd, const struct cmd_args *args, const char *name)
{
	const struct lab_strv *all = cmd_opt_all(cmd, args, name);
	return all->n ? all->v[all->n - 1] : NULL;
}

static int is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* DIR (labs, images) of the checkout the binary was built in
 * (<repo>/build/labctl or <repo>/build/asan/labctl), or of its
 * installation (`make install`: <prefix>/bin/labctl,
 * <prefix>/share/labctl/DIR); want names a file that must be in it. */
static char *beside_binary(const char *dir, const char *want)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	for (int up = 0; up < 3; up++) {
		char *slash = strrchr(exe, '/');
		if (!slash)
			return NULL;
		*slash = '\0';
		for (int inst = 0; inst < 2; inst++) {
			char *cand = lab_xasprintf(inst ? "%s/share/labctl/%s" : "%s/%s", exe, dir);
			char *probe = want ? lab_xasprintf("%s/%s", cand, want) : NULL;
			if (exists(probe ? probe : cand)) {
				free(probe);
				return cand;
			}
			free(probe);
			free(cand);
		}
	}
	return NULL;
}

char *cmd_labs_beside_binary(void)
{
	return beside_binary("labs", NULL);
}

char *cmd_catalog_path(void)
{
	char *dir = beside_binary("images", "catalog.yml");
	char *path = lab_catalog_path(dir);
	free(dir);
	return path;
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void cmd_lab_names(struct lab_strv *out)
{
	const char *env = getenv("LABCTL_LABS_DIR");
	char *beside = cmd_labs_beside_binary();
	const char *dirs[3] = {env && *env ? env : NULL, "labs", beside};
	for (int i = 0; i < 3; i++) {
		DIR *d = dirs[i] ? opendir(dirs[i]) : NULL;
		if (!d)
			continue;
		struct dirent *de;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.' || lab_strv_find(out, de->d_name) >= 0)
				continue;
			char *p = lab_xasprintf("%s/%s/lab.yml", dirs[i], de->d_name);
			if (is_file(p))
				lab_strv_push(out, de->d_name);
			free(p);
		}
		closedir(d);
	}
	free(beside);
	qsort(out->v, out->n, sizeof(*out->v), by_str);
}

/* "did you mean 'x'?" for name among names, or "" (static buffer). */
static const char *did_you_mean(const char *name, const struct lab_strv *names)
{
	static char buf[300];
	const char *s = lab_suggest(name, (const char *const *)names->v, names->n);
	if (!s)
		return "";
	snprintf(buf, sizeof(buf), "; did you mean '%s'?", s);
	return buf;
}

/* "labctl: no lab named 'modul0'; did you mean 'module0'? (see 'labctl
 * labs')" on stderr. */
static void say_no_lab(const char *name)
{
	struct lab_strv names = LAB_STRV_INIT;
	cmd_lab_names(&names);
	const char *env = getenv("LABCTL_LABS_DIR");
	fprintf(stderr, "labctl: no lab named '%s'%s (looked in %s%s./labs and the labctl checkout; see 'labctl labs')\n",
		name, did_you_mean(name, &names), env && *env ? env : "", env && *env ? ", " : "");
	lab_strv_free(&names);
}

static char *lab_path_lookup(const char *name, const char *file, int quiet)
{
	if (file)
		return lab_xstrdup(file);
	if (!name) {
		if (!quiet)
			fprintf(stderr, "labctl: name a lab (see 'labctl labs') or give -f FILE\n");
		return NULL;
	}
	if (strchr(name, '/') || exists(name))
		return lab_xstrdup(name);
	const char *env = getenv("LABCTL_LABS_DIR");
	char *beside = NULL;
	const char *dirs[3] = {env && *env ? env : NULL, "labs", NULL};
	dirs[2] = beside = cmd_labs_beside_binary();
	for (int i = 0; i < 3; i++) {
		if (!dirs[i])
			continue;
		char *p = lab_xasprintf("%s/%s/lab.yml", dirs[i], name);
		if (is_file(p)) {
			free(beside);
			return p;
		}
		free(p);
	}
	free(beside);
	if (!quiet)
		say_no_lab(name);
	return NULL;
}

char *cmd_lab_path(const char *name, const char *file)
{
	return lab_path_lookup(name, file, 0);
}

static int cmd_opt_has(const struct cmd_entry *cmd, const char *name)
{
	for (size_t k = 0; k < n_opts(cmd); k++)
		if (strcmp(cmd->opts[k].name, name) == 0)
			return 1;
	return 0;
}

/* The compose files of a command, as Compose finds them: every -f; else,
 * with no lab named, $COMPOSE_FILE (split at $COMPOSE_PATH_SEPARATOR,
 * default ':'), else compose.yaml, compose.yml, docker-compose.yml or
 * docker-compose.yaml in the current directory, with the first of
 * compose.override.yml, compose.override.yaml, docker-compose.override.yml,
 * docker-compose.override.yaml there (compose-go cli DefaultFileNames and
 * DefaultOverrideFileNames). Returns 1 when files did not come from -f
 * or a lab name (COMPOSE_PROJECT_NAME then names the project), else 0. */
static int compose_files(const struct cmd_entry *cmd, const struct cmd_args *args, struct lab_strv *files)
{
	const struct lab_strv *f = cmd_opt_all(cmd, args, "file");
	if (f->n) {
		lab_strv_copy(files, f);
		return 0;
	}
	if (args->pos.n || !cmd_opt_has(cmd, "file"))
		return 0;
	const char *env = getenv("COMPOSE_FILE");
	if (env && *env) {
		const char *sep = getenv("COMPOSE_PATH_SEPARATOR");
		char sepc = sep && *sep ? sep[0] : ':';
		const char *p = env;
		for (;;) {
			size_t l = strcspn(p, (char[]){sepc, '\0'});
			if (l)
				lab_strv_pushf(files, "%.*s", (int)l, p);
			if (!p[l])
				break;
			p += l + 1;
		}
		return 1;
	}
	static const char *const names[] = {"compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"};
	static const char *const overrides[] = {"compose.override.yml", "compose.override.yaml",
						"docker-compose.override.yml", "docker-compose.override.yaml"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (is_file(names[i])) {
			lab_strv_push(files, names[i]);
			break;
		}
	if (!files->n)
		return 0;
	for (size_t i = 0; i < sizeof(overrides) / sizeof(overrides[0]); i++)
		if (is_file(overrides[i])) {
			lab_strv_push(files, overrides[i]);
			break;
		}
	return 1;
}

/* -p, else $COMPOSE_PROJECT_NAME when the files are Compose's own
 * (from_env: compose_files returned 1), else NULL (the file says). */
static const char *project_of(const struct cmd_entry *cmd, const struct cmd_args *args, int from_env)
{
	const char *p = cmd_opt(cmd, args, "project-name");
	if (!p && from_env) {
		p = getenv("COMPOSE_PROJECT_NAME");
		if (p && !*p)
			p = NULL;
	}
	return p;
}

struct cred_ctx {
	int generate;
	struct lab_strv values; /* kept until the lab is freed: leaked on purpose at exit */
	struct lab_err err;
	int failed;
};

static const char *credential_cb(const char *project, const char *name, void *ud)
{
	struct cred_ctx *c = ud;
	char *v = NULL;
	int rc = lab_state_credential(&v, project, name, c->generate, &c->err);
	if (rc == LAB_ENOTFOUND)
		return "<generated>";
	if (rc < 0) {
		c->failed = 1;
		return NULL;
	}
	lab_strv_take(&c->values, v);
	return v;
}

static struct cred_ctx cred_ctx;

/* quiet: no diagnostics, and only names are needed (cmd_project).
 * student: for params, NULL for $LAB_STUDENT. */
/* Options of the command line that reach lab_load (set by cmd_lab_arg
 * around its load): --profile, the files after the first -f, --env-file;
 * swarm: up --swarm, whose services get deploy's Swarm-only keys. */
static struct {
	const struct lab_strv *profiles, *overrides, *env_files;
	int swarm;
} load_extra;

static int load_lab_vars(struct lab **out, const char *path, const char *project, const char *student,
			 const struct lab_strv *vars, int generate, int quiet)
{
	struct lab_err err = {0};
	struct lab_load_opts opts = {0};
	opts.vars = vars;
	opts.profiles = load_extra.profiles && load_extra.profiles->n ? load_extra.profiles : NULL;
	opts.overrides = load_extra.overrides && load_extra.overrides->n ? load_extra.overrides : NULL;
	opts.env_files = load_extra.env_files && load_extra.env_files->n ? load_extra.env_files : NULL;
	opts.project = project;
	opts.student = student;
	opts.names_only = quiet;
	opts.credential = credential_cb;
	cred_ctx.generate = generate;
	opts.credential_ud = &cred_ctx;
	int rc = lab_load(out, path, &opts, &err);
	if (cred_ctx.failed) {
		if (!quiet)
			fprintf(stderr, "labctl: %s\n", cred_ctx.err.msg);
		return LAB_EXIT_FAIL;
	}
	if (rc < 0) {
		/* diagnostics are complete lines: path:line:col: message */
		if (!quiet)
			fprintf(stderr, "%s\n", err.msg);
		return LAB_EXIT_USAGE;
	}
	for (size_t i = 0; !quiet && i < (*out)->warnings.n; i++)
		fprintf(stderr, "%s\n", (*out)->warnings.v[i]);
	/* a lab run on Swarm (up --swarm, lab.swarm: true) applies them */
	for (size_t i = 0; !quiet && !load_extra.swarm && !(*out)->swarm && i < (*out)->swarm_warnings.n; i++)
		fprintf(stderr, "%s\n", (*out)->swarm_warnings.v[i]);
	return 0;
}

static int load_lab(struct lab **out, const char *path, const char *project, const char *student, int generate,
		    int quiet)
{
	return load_lab_vars(out, path, project, student, NULL, generate, quiet);
}

/* --profile '*': every profile active (lab/profiles.c) */
static char every_profile_star[] = "*";
static char *every_profile_v[] = {every_profile_star, NULL};
static const struct lab_strv every_profile = {every_profile_v, 1, 2};

void cmd_load_every_profile(void)
{
	load_extra.profiles = &every_profile;
}

void cmd_load_every_profile_off(void)
{
	load_extra.profiles = NULL;
}

int cmd_load_lab(struct lab **out, const char *path, const char *project, int generate)
{
	return load_lab(out, path, project, NULL, generate, 0);
}

/* A name that every student instance of lab would share (container_name,
 * a volume's or network's name:), said as path:line:col; 1 when there is
 * one. Instances are projects of their own (instance/instance.h), and
 * these names are the only ones the project name does not reach: two
 * instances would take the same container, or share one volume's data. */
static int shared_name(const struct lab *lab)
{
	const char *what = NULL, *name = NULL;
	const struct lab_mark *m = NULL;
	for (size_t i = 0; i < lab->n_services && !what; i++)
		if (lab->services[i].container_name)
			what = "service", name = lab->services[i].name, m = &lab->services[i].mark;
	for (size_t i = 0; i < lab->n_volumes && !what; i++)
		if (lab->volumes[i].custom_name)
			what = "volume", name = lab->volumes[i].name, m = &lab->volumes[i].mark;
	for (size_t i = 0; i < lab->n_networks && !what; i++)
		if (lab->networks[i].custom_name)
			what = "network", name = lab->networks[i].name, m = &lab->networks[i].mark;
	if (!what)
		return 0;
	fprintf(stderr,
		"%s:%d:%d: %s '%s' sets %s: every student instance would share it; remove it to run instances\n",
		m->file, m->line, m->col, what, name, strcmp(what, "service") == 0 ? "container_name" : "name");
	return 1;
}

int cmd_load_instance(struct lab **out, const char *path, const char *project, const char *student, int generate)
{
	struct lab_err err = {0};
	struct lab *base = NULL;
	struct lab_strv ports = LAB_STRV_INIT, vars = LAB_STRV_INIT;
	char *proj = NULL;
	int code = 0;
	*out = NULL;
	/* first its names and ports, to know which host ports it needs */
	struct lab_load_opts o = {.project = project, .student = student, .names_only = 1};
	if (lab_load(&base, path, &o, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		code = LAB_EXIT_USAGE;
		goto out;
	}
	if (shared_name(base)) {
		code = LAB_EXIT_USAGE;
		goto out;
	}
	proj = project ? lab_xstrdup(project) : lab_instance_project(base->project, student);
	if (lab_instance_ports(&ports, proj, base, generate, &err) < 0) {
		code = cmd_fail(&err);
		goto out;
	}
	lab_instance_port_vars(&vars, &ports);
	code = load_lab_vars(out, path, proj, student, &vars, generate, 0);
	if (code == 0) {
		lab_instance_apply_ports(*out, &ports);
		(*out)->image_project = lab_xstrdup(base->project);
	}
out:
	lab_strv_free(&ports);
	lab_strv_free(&vars);
	free(proj);
	lab_free(base);
	return code;
}

int cmd_student(const struct cmd_entry *cmd, const struct cmd_args *args, const char **student)
{
	*student = NULL;
	int has = 0;
	for (size_t k = 0; cmd->opts && cmd->opts[k].name; k++)
		has |= strcmp(cmd->opts[k].name, "student") == 0;
	if (!has)
		return 0;
	const char *id = cmd_opt(cmd, args, "student");
	const char *from = "--student";
	if (!id) {
		id = getenv("LAB_STUDENT");
		from = "LAB_STUDENT";
		if (id && !*id)
			id = NULL;
	}
	if (!id)
		return 0;
	const char *why = lab_instance_id_problem(id);
	if (why)
		return cmd_usage_error(cmd, "invalid student id '%s' (%s): %s", id, from, why);
	*student = id;
	return 0;
}

int cmd_open_engine(struct lab_engine **out)
{
	struct lab_err err = {0};
	int rc = lab_engine_open(out, NULL, &err);
	if (rc < 0) {
		fprintf(stderr, "labctl: %s\n", err.msg);
		return rc == LAB_EINPUT ? LAB_EXIT_USAGE : LAB_EXIT_ENGINE;
	}
	return 0;
}

int cmd_fail(const struct lab_err *err)
{
	fprintf(stderr, "labctl: %s\n", err->msg);
	return lab_err_exit_code(err->code ? err->code : LAB_ERR);
}

int cmd_finish(int code)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "labctl: writing output failed: %s\n", strerror(errno));
		return code ? code : LAB_EXIT_FAIL;
	}
	return code;
}

void cmd_parallel(size_t n, size_t max_threads, void (*fn)(size_t i, void *ud), void *ud)
{
	lab_parallel(n, max_threads, fn, ud);
}

double cmd_now(void)
{
	return lab_now();
}

char *cmd_project(const struct cmd_entry *cmd, const struct cmd_args *args)
{
	const char *student = NULL;
	if (cmd_student(cmd, args, &student))
		return NULL;
	struct lab_strv files = LAB_STRV_INIT;
	int from_env = compose_files(cmd, args, &files);
	const char *p = project_of(cmd, args, from_env);
	if (p) {
		lab_strv_free(&files);
		return lab_xstrdup(p);
	}
	const char *name = args->pos.n ? args->pos.v[0] : NULL;
	const char *file = files.n ? files.v[0] : NULL;
	if (!name && !file) {
		lab_strv_free(&files);
		cmd_usage_error(cmd, "name a lab or give -f FILE (or have a compose.yaml here)");
		return NULL;
	}
	/* quiet lookup: a lab that no longer has a file is addressed by name */
	char *path = lab_path_lookup(name, file, 1);
	struct lab *lab = NULL;
	int rc = path ? load_lab(&lab, path, NULL, NULL, 0, 1) : -1;
	char *project = NULL;
	if (rc != 0 && path && (file || exists(path))) {
		/* a lab file given, or one that is there, that does not load is
		   bad input: its file:line:col diagnostics (or that it is not
		   found), not its name taken as the project */
		lab_free(lab);
		lab = NULL;
		load_lab(&lab, path, NULL, NULL, 0, 0);
		fprintf(stderr, "labctl: (to act on what runs of a lab whose file does not load, name it: -p NAME)\n");
		lab_free(lab);
		free(path);
		lab_strv_free(&files);
		return NULL;
	}
	if (rc == 0)
		project = lab_xstrdup(lab->project);
	else
		project = lab_xstrdup(name); /* no -f: name is set */
	lab_free(lab);
	free(path);
	if (project && student) {
		char *inst = lab_instance_project(project, student);
		free(project);
		project = inst;
	}
	lab_strv_free(&files);
	return project;
}

static void say_waiting(long pid, void *ud)
{
	if (pid > 0)
		fprintf(stderr, "waiting for labctl (pid %ld) on lab '%s'\n", pid, (const char *)ud);
	else
		fprintf(stderr, "waiting for another labctl on lab '%s'\n", (const char *)ud);
}

int cmd_lock_lab(const char *project, struct lab_state_lock **lock)
{
	struct lab_err err = {0};
	if (lab_state_lock(lock, project, say_waiting, (void *)project, &err) < 0)
		return cmd_fail(&err);
	return 0;
}

/* cmd_open_lab, with the lab's lock taken first when lock is not NULL. */
static int open_lab(const struct cmd_entry *cmd, const struct cmd_args *args, char **project,
		    struct lab_engine **engine, cJSON **containers, struct lab_state_lock **lock)
{
	struct lab_err err = {0};
	*engine = NULL;
	*containers = NULL;
	*project = cmd_project(cmd, args);
	if (!*project)
		return LAB_EXIT_USAGE;
	int code = lock ? cmd_lock_lab(*project, lock) : 0;
	if (code)
		return code;
	code = cmd_open_engine(engine);
	if (code)
		return code;
	char *filter = lab_plan_container_filter(*project);
	if (lab_engine_containers(*engine, filter, containers, &err) < 0)
		code = cmd_fail(&err);
	free(filter);
	return code;
}

int cmd_open_lab(const struct cmd_entry *cmd, const struct cmd_args *args, char **project,
		 struct lab_engine **engine, cJSON **containers)
{
	return open_lab(cmd, args, project, engine, containers, NULL);
}

int cmd_open_lab_locked(const struct cmd_entry *cmd, const struct cmd_args *args, char **project,
			struct lab_engine **engine, cJSON **containers, struct lab_state_lock **lock)
{
	return open_lab(cmd, args, project, engine, containers, lock);
}

int cmd_lab_arg(const struct cmd_entry *cmd, const struct cmd_args *args, int generate, struct lab **lab)
{
	*lab = NULL;
	if (args->pos.n > 1)
		return cmd_usage_error(cmd, "unexpected argument '%s'", args->pos.v[1]);
	const char *student = NULL;
	int code = cmd_student(cmd, args, &student);
	if (code)
		return code;
	struct lab_strv files = LAB_STRV_INIT, overrides = LAB_STRV_INIT;
	int from_env = compose_files(cmd, args, &files);
	char *path = cmd_lab_path(args->pos.n ? args->pos.v[0] : NULL, files.n ? files.v[0] : NULL);
	if (!path) {
		lab_strv_free(&files);
		return LAB_EXIT_USAGE;
	}
	for (size_t i = 1; i < files.n; i++)
		lab_strv_push(&overrides, files.v[i]);
	load_extra.profiles = cmd_opt_all(cmd, args, "profile");
	if (cmd->all_profiles && (!load_extra.profiles || !load_extra.profiles->n))
		load_extra.profiles = &every_profile;
	load_extra.overrides = &overrides;
	load_extra.env_files = cmd_opt_all(cmd, args, "env-file");
	load_extra.swarm = cmd_opt(cmd, args, "swarm") != NULL;
	if (student)
		code = cmd_load_instance(lab, path, project_of(cmd, args, from_env), student, generate);
	else
		code = load_lab(lab, path, project_of(cmd, args, from_env), NULL, generate, 0);
	memset(&load_extra, 0, sizeof(load_extra));
	free(path);
	lab_strv_free(&files);
	lab_strv_free(&overrides);
	return code;
}

int cmd_service_arg(const struct cmd_entry *cmd, const struct cmd_args *args, const char **service)
{
	size_t at = cmd_opt(cmd, args, "file") ? 0 : 1;
	*service = args->pos.n > at ? args->pos.v[at] : NULL;
	if (args->pos.n > at + 1)
		return cmd_usage_error(cmd, "unexpected argument '%s'", args->pos.v[at + 1]);
	return 0;
}

int cmd_check_lab_known(const struct cmd_entry *cmd, const struct cmd_args *args, const cJSON *containers)
{
	const char *name = args->pos.n ? args->pos.v[0] : NULL;
	if (cJSON_GetArraySize(containers) > 0 || !name || cmd_opt(cmd, args, "file") ||
	    cmd_opt(cmd, args, "project-name"))
		return 0;
	char *path = lab_path_lookup(name, NULL, 1);
	if (path) {
		free(path);
		return 0;
	}
	say_no_lab(name);
	return LAB_EXIT_USAGE;
}

void cmd_lab_member_names(const char *name, const char *file, int what, struct lab_strv *out)
{
	char *path = lab_path_lookup(file ? NULL : name, file, 1);
	struct lab *lab = NULL;
	if (path && load_lab(&lab, path, NULL, NULL, 0, 1) == 0) {
		size_t n = what == 0 ? lab->n_services : what == 1 ? lab->n_jobs : lab->n_checks;
		for (size_t i = 0; i < n; i++) {
			const char *m = what == 0 ? lab->services[i].name : what == 1 ? lab->jobs[i].name : lab->checks[i].id;
			if (lab_strv_find(out, m) < 0)
				lab_strv_push(out, m);
		}
	}
	lab_free(lab);
	free(path);
}

/* The services of the lab whose name or file args give, loaded for
 * names only; nothing when it does not load. */
static void lab_file_services(const struct cmd_entry *cmd, const struct cmd_args *args, struct lab_strv *out)
{
	cmd_lab_member_names(args->pos.n ? args->pos.v[0] : NULL, cmd_opt(cmd, args, "file"), 0, out);
}

int cmd_check_service(const struct cmd_entry *cmd, const struct cmd_args *args, const char *project,
		      const cJSON *containers, const char *service)
{
	struct lab_strv names = LAB_STRV_INIT;
	const cJSON *c;
	cJSON_ArrayForEach(c, containers)
	{
		const char *svc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(c, "Labels"), LAB_LABEL_SERVICE));
		if (svc && lab_strv_find(&names, svc) < 0)
			lab_strv_push(&names, svc);
	}
	int code = 0;
	if (lab_strv_find(&names, service) < 0) {
		lab_file_services(cmd, args, &names);
		if (lab_strv_find(&names, service) < 0) {
			fprintf(stderr, "labctl: lab '%s' has no service '%s'%s\n", project, service,
				did_you_mean(service, &names));
			code = LAB_EXIT_USAGE;
		}
	}
	lab_strv_free(&names);
	return code;
}

const char *cmd_suggest(const char *name, const char *const *names, size_t n)
{
	return lab_suggest(name, names, n);
}

int cmd_check_replica(const struct cmd_entry *cmd, const struct cmd_args *args, const char *project,
		      const cJSON *containers, const char *service, long replica)
{
	long replicas = 0;
	const cJSON *c;
	cJSON_ArrayForEach(c, containers)
	{
		const cJSON *labels = cJSON_GetObjectItemCaseSensitive(c, "Labels");
		const char *svc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, LAB_LABEL_SERVICE));
		char repbuf[16];
		const char *rep = lab_plan_replica_label(labels, repbuf);
		if (svc && rep && strcmp(svc, service) == 0 && atol(rep) > replicas)
			replicas = atol(rep);
	}
	if (replicas == 0) {
		/* no container of it: the lab file's deploy.replicas */
		const char *name = args->pos.n ? args->pos.v[0] : NULL;
		const char *file = cmd_opt(cmd, args, "file");
		char *path = lab_path_lookup(file ? NULL : name, file, 1);
		struct lab *lab = NULL;
		if (path && load_lab(&lab, path, NULL, NULL, 0, 1) == 0)
			for (size_t i = 0; i < lab->n_services; i++)
				if (strcmp(lab->services[i].name, service) == 0)
					replicas = lab->services[i].replicas;
		lab_free(lab);
		free(path);
		if (replicas == 0)
			return 0; /* nothing to go on: what runs decides */
	}
	if (replica <= replicas)
		return 0;
	fprintf(stderr, "labctl: service '%s' of lab '%s' has %ld replica%s: no replica %ld\n", service, project, replicas,
		replicas == 1 ? "" : "s", replica);
	return LAB_EXIT_USAGE;
}

int cmd_opt_long(const struct cmd_entry *cmd, const struct cmd_args *args, const char *name, long min, long dflt,
		 long *out)
{
	const char *v = cmd_opt(cmd, args, name);
	*out = dflt;
	if (!v)
		return 0;
	char *end = NULL;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (!*v || *end || errno || n < min)
		return cmd_usage_error(cmd, "option '--%s' wants a whole number%s, not '%s'", name,
				       min > 0 ? " from 1" : min == 0 ? " from 0" : "", v);
	*out = n;
	return 0;
}

void cmd_print_json(cJSON *doc)
{
	char *text = cJSON_Print(doc);
	printf("%s\n", text ? text : "null");
	free(text);
	cJSON_Delete(doc);
}
