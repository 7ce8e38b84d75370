/* The command layer: the only code that prints to the user or picks an
 * exit code. One file per subcommand, each defining its cmd_entry; main.c
 * lists the entries, parses a command's options and calls it. */
#ifndef LAB_CMD_H
#define LAB_CMD_H

#include <stdio.h>

#include "../engine/engine.h"
#include "../image/image.h"
#include "../lab/lab.h"
#include "../util/buf.h"
#include "../util/err.h"

#define LABCTL_VERSION "0.1.0"

/* One option of a command: --name / -s, with an argument named arg
 * (NULL for a flag). help is one line for --help. */
struct cmd_opt {
	const char *name;
	char short_name; /* 0 = none */
	const char *arg;
	const char *help;
};

/* Rows most option tables share, and the end of a table. */
#define CMD_OPT_FILE                                                                               \
	{"file", 'f', "FILE", "use this lab or compose file instead of a lab name (again: merged over it)"}
#define CMD_OPT_PROJECT                                                                            \
	{"project-name", 'p', "NAME", "project name (default: the lab's name, or the file's directory)"}
#define CMD_OPT_STUDENT                                                                            \
	{"student", 0, "ID", "the student's own instance: project <lab>-ID (default: $LAB_STUDENT)"}
#define CMD_OPT_PROFILE                                                                            \
	{"profile", 0, "NAME", "activate a profile: its services are in the lab too (repeatable; default: $COMPOSE_PROFILES)"}
#define CMD_OPT_ENV_FILE                                                                           \
	{"env-file", 0, "PATH", "read variables from PATH instead of the .env beside the file (repeatable)"}
#define CMD_OPT_END {NULL, 0, NULL, NULL}

/* -f and -p only: the table of commands that just name a lab. */
extern const struct cmd_opt cmd_lab_file_opts[];
/* -f, -p and --student: commands that name a lab or a student's instance of it. */
extern const struct cmd_opt cmd_lab_student_opts[];

/* Parsed arguments: vals[i] holds every value given for opts[i] of the
 * entry, in order ("1" for each time a flag is given; empty when absent),
 * n_vals of them; pos the positionals before "--"; rest what follows "--";
 * help set when -h or --help came before anything wrong. */
struct cmd_args {
	struct lab_strv *vals;
	size_t n_vals;
	struct lab_strv pos;
	struct lab_strv rest;
	int help;
};

struct cmd_entry;
/* A command's function: called by main with the options parsed; prints
 * what it has to say and returns the exit code. main frees args after. */
typedef int (*cmd_fn)(const struct cmd_entry *self, struct cmd_args *args);

/* A command, as tmux's cmd_entry: each labctl/cmd/<name>.c defines one,
 * cmd_<name>_entry, and main.c's table lists them (one row each). --help
 * text comes from here. */
struct cmd_entry {
	const char *name;
	const struct cmd_opt *opts;  /* terminated by CMD_OPT_END */
	const char *usage;           /* after "labctl NAME ", e.g. "LAB [--volumes]" */
	const char *summary;         /* one line for "labctl --help" */
	const char *description;     /* paragraph(s) for "labctl NAME --help", or NULL */
	/* 1: cmd_lab_arg loads the lab with every profile active unless
	 * --profile says otherwise (a command on what runs, like open, finds
	 * a service of a profile that was started with --profile). */
	int all_profiles;
	/* When set, makes the help's description (a new string) at run time,
	 * e.g. to name what a registry holds; may use description. */
	char *(*describe)(const struct cmd_entry *self);
	cmd_fn fn;
};

extern const struct cmd_entry cmd_labs_entry, cmd_validate_entry, cmd_up_entry, cmd_down_entry,
	cmd_status_entry, cmd_logs_entry, cmd_exec_entry, cmd_jobs_entry, cmd_run_entry, cmd_env_entry, cmd_open_entry,
	cmd_export_entry, cmd_config_entry, cmd_verify_entry, cmd_class_entry, cmd_images_entry, cmd_schema_entry, cmd_version_entry;

/* labctl config's output for lab (cmd/config.c): format "yaml" or "json"
 * (labctl/export/config.h). Prints to stdout; returns the exit code. */
int cmd_config_print(const struct lab *lab, const char *format);

/* Every command, in the order help lists them (cmd/commands.c). */
extern const struct cmd_entry *const cmd_entries[];
extern const size_t cmd_n_entries;

/* Parse argv for entry (argv[0] is the command's name). Stops at -h or
 * --help with args->help set. 0 on success; LAB_EINPUT with err set
 * ("unknown option '--x'", ...) on a usage error. Free args with
 * cmd_args_free either way. */
int cmd_parse(struct cmd_args *args, const struct cmd_entry *entry, int argc, char **argv,
	      struct lab_err *err);
void cmd_args_free(struct cmd_args *args);
/* The value of option name (the last one given when repeated), or NULL
 * when it was not given. */
const char *cmd_opt(const struct cmd_entry *cmd, const struct cmd_args *args, const char *name);
/* Every value given for option name, in order (--env, --only); empty when
 * it was not given. Never NULL. */
const struct lab_strv *cmd_opt_all(const struct cmd_entry *cmd, const struct cmd_args *args, const char *name);
void cmd_print_help(const struct cmd_entry *cmd, FILE *f);
/* Print "labctl NAME: <message>" and the command's usage line to stderr;
 * returns the exit code for bad usage. */
int cmd_usage_error(const struct cmd_entry *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What main finds out about the terminal before it runs a command (labctl
 * has no global options: what comes before the command is only --help,
 * -h, help or --version). */
struct cmd_global {
	int tty_err;   /* stderr is a terminal */
};
extern struct cmd_global cmd_global;

/* Resolve a lab argument to a lab file path (caller frees):
 * -f FILE wins; a name with '/' or an existing path is used as is (a
 * directory: its lab.yml or compose file); else $LABCTL_LABS_DIR/NAME/lab.yml,
 * ./labs/NAME/lab.yml, then labs/ beside the labctl binary's repo.
 * Returns NULL and prints an error (exit 2) when nothing is found. */
char *cmd_lab_path(const char *name, const char *file);

/* Load the lab at path; with generate != 0 credentials are generated and
 * stored on first use (up), otherwise read if stored or shown as
 * "<generated>". Prints diagnostics and returns the exit code (0 on
 * success, 2 for bad input). */
int cmd_load_lab(struct lab **out, const char *path, const char *project, int generate);

/* The next cmd_load_lab / cmd_load_instance activates every profile ("*"),
 * as `docker compose run SERVICE` enables the profiles of the service it
 * targets: `run` reaches a job's service and the endpoints it needs
 * whatever profile they are in. */
void cmd_load_every_profile(void);
/* Undo cmd_load_every_profile. */
void cmd_load_every_profile_off(void);

/* Load student's instance of the lab at path (labctl/instance): project
 * (-p) or "<lab>-<student>", params for student, the instance's host
 * ports (allocated when generate, else only those recorded) and
 * credentials (generated when generate). A service with container_name
 * is refused (file:line:col, exit 2). Prints diagnostics and returns the
 * exit code; 0 with *out set. */
int cmd_load_instance(struct lab **out, const char *path, const char *project, const char *student, int generate);

/* The student id of a command that has the --student option: its value,
 * else $LAB_STUDENT when set and not empty; NULL for a command without
 * the option or when neither is given. An invalid id (instance.h) is a
 * usage error: printed, its exit code returned. 0 otherwise. */
int cmd_student(const struct cmd_entry *cmd, const struct cmd_args *args, const char **student);

/* For commands that take [LAB] or -f FILE: at most one positional (else a
 * usage error), the lab path resolved (cmd_lab_path) and loaded
 * (cmd_load_lab with -p and generate; for a student, cmd_student, that
 * student's instance: cmd_load_instance). Prints what went wrong and returns
 * the exit code; 0 with *lab set on success. */
int cmd_lab_arg(const struct cmd_entry *cmd, const struct cmd_args *args, int generate, struct lab **lab);

/* The SERVICE of commands that take LAB SERVICE or -f FILE SERVICE (exec,
 * logs): the first positional with -f, else the second; NULL when not
 * given. Returns 0, or prints a usage error for a positional too many and
 * returns its exit code. */
int cmd_service_arg(const struct cmd_entry *cmd, const struct cmd_args *args, const char **service);

/* The project name for commands that act on what runs (down, status,
 * logs, exec): -p wins; else, with a student (cmd_student), the
 * instance's "<lab>-<id>" of what follows; else the lab file's (loaded without generating
 * credentials); when no lab file is found, the lab
 * argument itself, so a lab whose file is gone can still be taken down.
 * A lab file that is found and does not load is bad input: its
 * file:line:col diagnostics are printed and NULL returned (-p NAME acts
 * anyway). Returns NULL (usage error printed) when there is nothing to
 * go on; the exit code is then 2. */
char *cmd_project(const struct cmd_entry *cmd, const struct cmd_args *args);

/* For commands on what runs: the project name (cmd_project), an open
 * engine and the JSON array of the project's containers (GET
 * /containers/json?all=1 filtered by io.labctl.lab). Prints what went
 * wrong and returns the exit code; 0 with all three set on success
 * (caller frees them). */
int cmd_open_lab(const struct cmd_entry *cmd, const struct cmd_args *args, char **project,
		 struct lab_engine **engine, cJSON **containers);

/* cmd_open_lab for commands that change what runs (down): the lab's lock
 * (cmd_lock_lab) is taken before the containers are listed, so the list
 * is not one another labctl is changing. Release *lock with
 * lab_state_unlock. */
struct lab_state_lock;
int cmd_open_lab_locked(const struct cmd_entry *cmd, const struct cmd_args *args, char **project,
			struct lab_engine **engine, cJSON **containers, struct lab_state_lock **lock);

/* Take project's per-lab lock (lab_state_lock: up, down and run of one
 * lab run one after the other). When another labctl holds it, prints
 * "waiting for labctl (pid N) on lab 'NAME'" on stderr and waits. Prints
 * what went wrong and returns the exit code; 0 with *lock set. */
int cmd_lock_lab(const char *project, struct lab_state_lock **lock);

/* The labs directory of the checkout labctl was built in, or of its
 * installation (<prefix>/share/labctl/labs), or NULL (a new string). */
char *cmd_labs_beside_binary(void);

/* The stand-in catalog (labctl/image/catalog.h): $LABCTL_IMAGES_DIR/
 * catalog.yml when that is set, else images/catalog.yml of the checkout
 * labctl was built in or of its installation
 * (<prefix>/share/labctl/images), found as the labs are; NULL when none
 * (a new string). */
char *cmd_catalog_path(void);

/* The names of the labs cmd_lab_path finds (each directory's subdirectories
 * with a lab.yml), appended to out without duplicates. */
void cmd_lab_names(struct lab_strv *out);

/* The services (what 0), jobs (1) or check ids (2) of the lab named name
 * or in file, loaded quietly for names only, appended to out without
 * duplicates; nothing when it does not load. */
void cmd_lab_member_names(const char *name, const char *file, int what, struct lab_strv *out);

/* The man page labctl(1), troff, from the command entries (cmd/man.c). */
void cmd_man_page(FILE *f);
/* Shell completion (cmd/man.c): words are what follows "labctl" on the
 * command line, the last the word being completed (maybe ""). Prints the
 * candidates, one a line: commands, a command's options, lab names, a
 * lab's services, jobs or check ids by position. Prints "__files__"
 * where a file or directory is wanted (-f, -o). */
void cmd_complete(FILE *f, int n, char **words);

/* For commands on what runs, after cmd_open_lab: when the lab was named
 * (no -f, no -p), has no lab file and no containers, prints "labctl: no
 * lab named 'modul0'; did you mean 'module0'? ..." and returns exit code
 * 2; else 0 (a lab whose file is gone is still found by its containers). */
int cmd_check_lab_known(const struct cmd_entry *cmd, const struct cmd_args *args, const cJSON *containers);

/* For exec and logs: service is one of the lab's (its containers' labels,
 * else its lab file's services); else prints "labctl: lab 'X' has no
 * service 'Y'; did you mean 'Z'?" and returns exit code 2. */
int cmd_check_service(const struct cmd_entry *cmd, const struct cmd_args *args, const char *project,
		      const cJSON *containers, const char *service);

/* For exec, after cmd_check_service: replica (1-based) is one of
 * service's (the highest replica label of its containers, else the lab
 * file's deploy.replicas); else prints "labctl: service 'app' of lab 'X'
 * has 1 replica: no replica 5" and returns exit code 2. 0 also when
 * neither says how many there are. */
int cmd_check_replica(const struct cmd_entry *cmd, const struct cmd_args *args, const char *project,
		      const cJSON *containers, const char *service, long replica);

/* Option name as a whole number >= min (dflt when absent) into *out.
 * Returns 0, or prints a usage error ("option '--tail' wants a whole
 * number from 0, not 'x'") and returns its exit code. */
int cmd_opt_long(const struct cmd_entry *cmd, const struct cmd_args *args, const char *name, long min, long dflt,
		 long *out);

/* lab_suggest (lab/lab.h): the name of names closest to name, or NULL. */
const char *cmd_suggest(const char *name, const char *const *names, size_t n);

/* Open the engine; on failure print the error and return the exit code 3. */
int cmd_open_engine(struct lab_engine **out);

/* Print "labctl: <msg>" for err to stderr and return the exit code for it. */
int cmd_fail(const struct lab_err *err);

/* Flush stdout; returns exit code 1 (and prints why) when writing failed
 * (a full disk, a closed pipe), else code. */
int cmd_finish(int code);

/* Render one image event (labctl/image) on stderr, lines prefixed by who:
 * "who | building image 'x' from DIR (why)", build or pull progress (on a
 * terminal the lines between milestones overwrite each other), "who |
 * image 'x' ready in 1.2s". view keeps the terminal's state between
 * calls: zero it before an image's first event. */
struct cmd_image_view {
	int dirty; /* a transient line is on screen */
};
/* Whether a build or pull output line is worth a line of its own when
 * not on a terminal: a build's "Step N/M" and "Successfully ..." lines, a
 * pull's finished layers, and lines that say error (the word, any case;
 * apt's "E: "), but not words that contain it ("mirror"). */
int cmd_image_milestone(const char *line);

void cmd_image_render(struct cmd_image_view *view, const char *who, const struct lab_image_event *ev);

/* Waiting rows: what a command is waiting for, shown while it lasts
 * ("kafka2 | waiting 12s: kafka metadata ... lists 2 of 3 brokers"). On a
 * terminal (tty) the rows are a block under the other output, redrawn in
 * place every 250 ms with their elapsed time; otherwise each row prints
 * one line every 10 s it lasts ($LABCTL_WAIT_PERIOD seconds when set).
 * A ticker thread redraws; every function here may be called from any
 * thread. While a view exists, print to stderr only between
 * cmd_wait_view_begin and cmd_wait_view_end (or with cmd_wait_view_say),
 * so lines land above the block. */
struct cmd_wait_view;
struct cmd_wait_view *cmd_wait_view_new(int tty);
/* Erases the block; accepts NULL. */
void cmd_wait_view_free(struct cmd_wait_view *v);
/* Add or update who's row: "<who> | <verb> <N>s: <detail>" (the first
 * line of detail; detail may be NULL). N counts from when who's row came,
 * or from when its verb last changed. */
void cmd_wait_view_set(struct cmd_wait_view *v, const char *who, const char *verb, const char *detail);
/* Remove who's row (nothing when it has none). */
void cmd_wait_view_done(struct cmd_wait_view *v, const char *who);
void cmd_wait_view_begin(struct cmd_wait_view *v);
void cmd_wait_view_end(struct cmd_wait_view *v);
/* A line (fmt, '\n' added) above the block. */
void cmd_wait_view_say(struct cmd_wait_view *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One row's text, as the view prints it, into out (size n). */
void cmd_wait_line(char *out, size_t n, const char *who, const char *verb, double seconds, const char *detail);

/* lab_parallel (util/parallel.h). */
void cmd_parallel(size_t n, size_t max_threads, void (*fn)(size_t i, void *ud), void *ud);

/* Seconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
double cmd_now(void);

/* --json output: doc printed indented on stdout with a newline, then
 * deleted. */
void cmd_print_json(cJSON *doc);

#endif
