/* Student instances: one lab run once per student on one engine, side by
 * side (`labctl up LAB --student ID`, `labctl class`).
 *
 * An instance is a project of its own, "<lab>-<id>", so everything the
 * project name reaches is its own: containers "<lab>-<id>-<service>-<n>",
 * networks and volumes "<lab>-<id>_<name>", the io.labctl.lab label, the
 * state directory with its credentials and lock (util/state.h). Its
 * params: are evaluated for the id (lab.h, struct lab_param).
 *
 * Host ports: every port the lab publishes on a fixed host port gets a
 * port of its own from the range $LABCTL_PORT_RANGE ("LO-HI", default
 * 20000-29999), allocated once and recorded in the instance's state
 * directory (ports.env, "KEY=PORT" lines), so it stays the same across
 * up and down. KEY is the variable the port came from when the lab file
 * gives the host port by one variable ("${LAB_PG_PORT:-15432}:5432": then
 * the instance's lab is loaded with that variable set, and every other use
 * of it agrees, e.g. the port Kafka advertises), else
 * "<service>:<container port>/<protocol>" (a literal host port: replaced
 * in the loaded lab). A port published on host port 0 stays the
 * engine's pick.
 */
#ifndef LAB_INSTANCE_H
#define LAB_INSTANCE_H

#include "../lab/lab.h"
#include "../util/buf.h"
#include "../util/err.h"

#define LAB_INSTANCE_ID_MAX 32

/* 1 when id is a valid student id: 1 to LAB_INSTANCE_ID_MAX characters,
 * lowercase letters, digits, '_' and '-', starting with a letter or a
 * digit (so "<lab>-<id>" is a valid project name, util/state.h). */
int lab_instance_id_ok(const char *id);

/* Why id is not valid, one phrase ("must start with a lowercase letter or
 * a digit", ...), or NULL when it is. Static string. */
const char *lab_instance_id_problem(const char *id);

/* The project name of student id's instance of the lab named lab:
 * "<lab>-<id>" (new string). */
char *lab_instance_project(const char *lab, const char *id);

/* The range host ports are allocated from: $LABCTL_PORT_RANGE "LO-HI"
 * (1024 <= LO <= HI <= 65535), default 20000-29999. Errors: LAB_EINPUT
 * "invalid LABCTL_PORT_RANGE '...': ..." */
int lab_instance_port_range(int *lo, int *hi, struct lab_err *err);

/* The host ports of project's instance of lab (lab loaded for the
 * instance, any project name: only its services' ports are read), as
 * "KEY=PORT" in *out (see the top of this file for KEY), one per distinct
 * KEY of a port with a fixed host port, in service order.
 * Ports recorded in <state dir of project>/ports.env are kept; without
 * allocate, that is all (a key not recorded yet is left out, nothing is
 * written: for commands that only look at an instance). With allocate,
 * missing ones are allocated under an flock on <state root>/ports.lock (so two
 * instances allocating at once never get the same port): the lowest port
 * of the range that no project's ports.env records and that can be bound
 * on the port's host_ip here (util/hostport.h; a port only the engine of
 * another host would use is not seen), and ports.env is rewritten whole.
 * Errors: LAB_EINPUT for an invalid project name or range; LAB_ERR "no
 * free host port left in LO-HI ..." when the range is used up, or with the
 * path and errno text when the state cannot be read or written. */
int lab_instance_ports(struct lab_strv *out, const char *project, const struct lab *lab, int allocate,
		       struct lab_err *err);

/* Of ports (lab_instance_ports), the entries whose KEY is a variable name,
 * appended to vars as "KEY=PORT": the variables to load the instance's lab
 * with (lab_load_opts.vars). */
void lab_instance_port_vars(struct lab_strv *vars, const struct lab_strv *ports);

/* Give lab's host ports their instance ports from ports: the literal
 * ones (no host_var) get theirs here, those from a variable already have
 * theirs when the lab was loaded with lab_instance_port_vars. A port
 * whose KEY ports lacks (not allocated yet) gets host port 0, so nothing
 * names the lab file's port as the instance's. */
void lab_instance_apply_ports(struct lab *lab, const struct lab_strv *ports);

/* Read a roster: one student id a line; '#' starts a comment, blank lines
 * and surrounding whitespace are ignored. *ids gets the ids in file order.
 * Errors: LAB_EINPUT with one "path:line:col: message" line per bad line
 * (an invalid id, with why; an id given twice, naming the first line), all
 * of them; "roster 'path' names no student" when there is none;
 * LAB_ENOTFOUND / LAB_ERR when the file cannot be read (errno text). */
int lab_roster_read(struct lab_strv *ids, const char *path, struct lab_err *err);

#endif
