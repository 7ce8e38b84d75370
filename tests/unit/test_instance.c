/* instance/instance.c: student ids, rosters, and host ports allocated per
 * instance (recorded, stable, never shared). Each test has its own
 * LABCTL_STATE_DIR. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../labctl/instance/instance.h"
#include "../../labctl/lab/lab.h"
#include "../../labctl/util/buf.h"

static char in_dir[64];

static void in_setup(void)
{
	snprintf(in_dir, sizeof(in_dir), "/tmp/labctl-in-XXXXXX");
	cr_assert_not_null(mkdtemp(in_dir));
	char *st = lab_xasprintf("%s/state", in_dir);
	setenv("LABCTL_STATE_DIR", st, 1);
	free(st);
	unsetenv("LABCTL_PORT_RANGE");
	unsetenv("LAB_PG_PORT");
}

static void in_teardown(void)
{
	char *cmd = lab_xasprintf("rm -rf '%s'", in_dir);
	cr_expect_eq(system(cmd), 0);
	free(cmd);
}

static char *write_file(const char *name, const char *text)
{
	char *path = lab_xasprintf("%s/%s", in_dir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

Test(instance, ids)
{
	static const struct {
		const char *id;
		int ok;
	} cases[] = {
		{"alice", 1}, {"s01", 1}, {"0a", 1}, {"jean_du-pont", 1}, {"a", 1},
		{"", 0}, {"Alice", 0}, {"-a", 0}, {"_a", 0}, {"a.b", 0}, {"a/b", 0}, {"a b", 0}, {"..", 0},
		{"abcdefghijabcdefghijabcdefghij12", 1}, {"abcdefghijabcdefghijabcdefghij123", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(lab_instance_id_ok(cases[i].id), cases[i].ok, "'%s'", cases[i].id);
	char *p = lab_instance_project("module0", "alice");
	cr_expect_str_eq(p, "module0-alice");
	free(p);
}

Test(instance, roster, .init = in_setup, .fini = in_teardown)
{
	char *path = write_file("roster.txt", "# class of 2026\n\nalice\n  bob   # the second\ncarol\n");
	struct lab_strv ids = LAB_STRV_INIT;
	struct lab_err err = {0};
	cr_assert_eq(lab_roster_read(&ids, path, &err), 0, "%s", err.msg);
	cr_assert_eq(ids.n, 3);
	cr_expect_str_eq(ids.v[0], "alice");
	cr_expect_str_eq(ids.v[1], "bob");
	cr_expect_str_eq(ids.v[2], "carol");
	lab_strv_free(&ids);
	free(path);

	/* every bad line, file:line:col, nothing kept */
	path = write_file("bad.txt", "alice\n  Bob\nalice\nx/y\n");
	cr_assert_eq(lab_roster_read(&ids, path, &err), LAB_EINPUT);
	char *want = lab_xasprintf("%s:2:3: invalid student id 'Bob': must start with a lowercase letter or a digit\n"
				   "%s:3:1: student 'alice' is already on line 1\n"
				   "%s:4:1: invalid student id 'x/y': may hold only lowercase letters, digits, '_' and '-'",
				   path, path, path);
	cr_expect_str_eq(err.msg, want);
	free(want);
	lab_strv_free(&ids);
	free(path);

	path = write_file("empty.txt", "# nobody yet\n\n");
	cr_expect_eq(lab_roster_read(&ids, path, &err), LAB_EINPUT);
	cr_expect(strstr(err.msg, "names no student"), "%s", err.msg);
	free(path);
	cr_expect_eq(lab_roster_read(&ids, "/nonexistent/roster", &err), LAB_ENOTFOUND);
}

static const char *two_ports_lab = "lab: { name: t }\n"
				   "services:\n"
				   "  db:\n"
				   "    image: x\n"
				   "    environment: { ADVERTISED: \"${LAB_PG_PORT:-15432}\" }\n"
				   "    ports: [\"${LAB_PG_PORT:-15432}:5432\"]\n"
				   "  web:\n"
				   "    image: x\n"
				   "    ports: [\"18080:80\", {target: 81, published: 0}]\n";

static struct lab *load(const char *path, const struct lab_strv *vars)
{
	struct lab *lab = NULL;
	struct lab_err err = {0};
	struct lab_load_opts o = {.vars = vars};
	cr_assert_eq(lab_load(&lab, path, &o, &err), 0, "%s", err.msg);
	return lab;
}

Test(instance, ports_allocated_once_and_apart, .init = in_setup, .fini = in_teardown)
{
	char *path = write_file("lab.yml", two_ports_lab);
	struct lab *lab = load(path, NULL);
	/* the host port's variable is known; a literal has none */
	cr_expect_str_eq(lab->services[0].ports[0].host_var, "LAB_PG_PORT");
	cr_expect_null(lab->services[1].ports[0].host_var);
	cr_expect_null(lab->services[1].ports[1].host_var);

	setenv("LABCTL_PORT_RANGE", "61100-61103", 1);
	struct lab_strv a = LAB_STRV_INIT, b = LAB_STRV_INIT, a2 = LAB_STRV_INIT, c = LAB_STRV_INIT;
	struct lab_err err = {0};
	/* looking only allocates nothing */
	cr_assert_eq(lab_instance_ports(&a, "t-alice", lab, 0, &err), 0, "%s", err.msg);
	cr_expect_eq(a.n, 0);
	cr_assert_eq(lab_instance_ports(&a, "t-alice", lab, 1, &err), 0, "%s", err.msg);
	cr_assert_eq(a.n, 2, "the port published on 0 gets none");
	cr_assert_eq(lab_instance_ports(&b, "t-bob", lab, 1, &err), 0, "%s", err.msg);
	cr_assert_eq(lab_instance_ports(&a2, "t-alice", lab, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(b.n, 2);
	cr_expect_str_eq(a.v[0], "LAB_PG_PORT=61100");
	cr_expect_str_eq(a.v[1], "web:80/tcp=61101");
	cr_expect_str_eq(b.v[0], "LAB_PG_PORT=61102");
	cr_expect_str_eq(b.v[1], "web:80/tcp=61103");
	/* stable: read back as allocated */
	cr_expect_str_eq(a2.v[0], a.v[0]);
	cr_expect_str_eq(a2.v[1], a.v[1]);
	/* the range is used up */
	cr_expect_eq(lab_instance_ports(&c, "t-carol", lab, 1, &err), LAB_ERR);
	cr_expect(strstr(err.msg, "no free host port left in 61100-61103"), "%s", err.msg);

	/* the instance's lab: the variable's port everywhere, the literal replaced */
	struct lab_strv vars = LAB_STRV_INIT;
	lab_instance_port_vars(&vars, &b);
	cr_assert_eq(vars.n, 1);
	struct lab *inst = load(path, &vars);
	lab_instance_apply_ports(inst, &b);
	cr_expect_eq(inst->services[0].ports[0].host_port, 61102);
	cr_expect_str_eq(inst->services[0].environment.v[0], "ADVERTISED=61102");
	cr_expect_eq(inst->services[1].ports[0].host_port, 61103);
	cr_expect_eq(inst->services[1].ports[1].host_port, 0);
	lab_free(inst);
	/* ports not allocated yet name nothing */
	inst = load(path, NULL);
	lab_instance_apply_ports(inst, &c);
	cr_expect_eq(inst->services[0].ports[0].host_port, 0);
	cr_expect_eq(inst->services[1].ports[0].host_port, 0);
	lab_free(inst);

	setenv("LABCTL_PORT_RANGE", "80-90000", 1);
	cr_expect_eq(lab_instance_ports(&c, "t-carol", lab, 1, &err), LAB_EINPUT);
	cr_expect(strstr(err.msg, "invalid LABCTL_PORT_RANGE"), "%s", err.msg);
	lab_strv_free(&vars);
	lab_strv_free(&a);
	lab_strv_free(&a2);
	lab_strv_free(&b);
	lab_strv_free(&c);
	lab_free(lab);
	free(path);
}
