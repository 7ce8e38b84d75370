/* Hostile lab files through the real binary (issue 11): refused with exit
 * 2 before any engine call, nothing written outside the state directory.
 * DOCKER_HOST points at a socket that does not exist, so a run that got as
 * far as the engine would exit 3, not 2. No engine needed. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define NO_ENGINE "DOCKER_HOST=unix:///tmp/labctl-hostile-no-such.sock"

/* Every path under root, sorted, one a line (caller frees). */
static char *tree(const char *root)
{
	return it_sh("cd '%s' && find . | sort", root);
}

Test(hostile, traversal_name_writes_nothing_outside_the_state_dir)
{
	char top[] = "/tmp/labctl-hostile-XXXXXX";
	cr_assert(mkdtemp(top));
	char *setup = it_sh("mkdir -p '%s/st/a/b' '%s/lab' && printf '%%s\\n' "
			    "'lab: {name: ../../escaped-dir}' 'credentials: [PW]' 'services:' '  web:' "
			    "'    image: debian:bookworm-slim' '    environment: [\"P=${PW}\"]' > '%s/lab/lab.yml'",
			    top, top, top);
	free(setup);
	char *before = tree(top);
	static const char *const cmds[] = {"validate -f lab.yml", "up -f lab.yml", "up -f lab.yml -p ../../p",
					   "env -f lab.yml", "export compose -f lab.yml -o out"};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		struct it_run r;
		it_run(&r, "cd '%s/lab' && " NO_ENGINE " LABCTL_STATE_DIR='%s/st/a/b' '%s' %s", top, top, it_labctl(),
		       cmds[i]);
		cr_expect_eq(r.status, 2, "%s: exit %d, stderr: %s", cmds[i], r.status, r.err);
		cr_expect(strstr(r.err, "lab.yml:1:13: invalid lab name '../../escaped-dir'") ||
			  strstr(r.err, "invalid project name '../../p'"),
			  "%s: %s", cmds[i], r.err);
		cr_expect_null(strstr(r.err, "no-such.sock"), "%s reached for the engine: %s", cmds[i], r.err);
		it_run_free(&r);
		char *after = tree(top);
		cr_expect_str_eq(after, before, "%s wrote files", cmds[i]);
		free(after);
	}
	free(before);
	char *rm = it_sh("rm -rf '%s'", top);
	free(rm);
}

Test(hostile, unbounded_reads_refused_quickly)
{
	char top[] = "/tmp/labctl-hostile-XXXXXX";
	cr_assert(mkdtemp(top));
	char *setup = it_sh("cd '%s' && mkfifo fifo.yml && mkdir dir.yml && printf '%%s\\n' "
			    "'include: [/dev/zero, fifo.yml, dir.yml]' 'services:' '  a:' '    image: x' "
			    "'    env_file: [fifo.yml]' > lab.yml",
			    top);
	free(setup);
	struct it_run r;
	/* timeout: before the fix /dev/zero ran out of memory and a FIFO hung */
	it_run(&r, "cd '%s' && " NO_ENGINE " timeout 20 '%s' validate -f lab.yml", top, it_labctl());
	cr_expect_eq(r.status, 2, "exit %d: %s", r.status, r.err);
	cr_expect_str_eq(r.err, "lab.yml:1:11: include file '/dev/zero' is a character device, not a regular file\n"
				"lab.yml:1:22: include file 'fifo.yml' is a FIFO, not a regular file\n"
				"lab.yml:1:32: include file 'dir.yml' is a directory, not a regular file\n"
				"lab.yml:5:16: env file 'fifo.yml' is a FIFO, not a regular file\n");
	it_run_free(&r);
	char *rm = it_sh("rm -rf '%s'", top);
	free(rm);
}
