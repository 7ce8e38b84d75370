/* make install PREFIX=...: the binary, its man page, the bash and zsh
 * completions and the labs land under the prefix, and work from there. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

Test(install, into_a_prefix_binary_man_page_completions_labs, .timeout = 300)
{
	char *prefix = it_sh("mktemp -d /tmp/labctl-install-XXXXXX");
	struct it_run r;
	it_run(&r, "make -s -C '%s' install PREFIX='%s'", it_repo(), prefix);
	cr_assert_eq(r.status, 0, "make install: %s%s", r.out, r.err);
	it_run_free(&r);
	const char *files[] = {"bin/labctl", "share/man/man1/labctl.1", "share/bash-completion/completions/labctl",
			       "share/zsh/site-functions/_labctl", "share/labctl/labs/module0/lab.yml",
			       "share/labctl/images/kafka/Dockerfile", "share/labctl/jobs/Makefile",
			       "share/labctl/schema/lab.schema.json"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *ok = it_sh("test -f '%s/%s' && echo yes", prefix, files[i]);
		cr_expect_str_eq(ok, "yes", "%s installed", files[i]);
		free(ok);
	}
	/* the man page renders without warnings and documents exec's options */
	it_run(&r, "groff -man -Tutf8 -ww -z '%s/share/man/man1/labctl.1'", prefix);
	cr_expect_eq(r.status, 0);
	cr_expect_str_eq(r.err, "", "groff warnings: %s", r.err);
	it_run_free(&r);
	char *page = it_sh("MANWIDTH=100 man -l '%s/share/man/man1/labctl.1' 2>/dev/null | col -b", prefix);
	cr_expect(strstr(page, "labctl exec LAB SERVICE") && strstr(page, "--replica N") && strstr(page, "EXIT STATUS"),
		  "%s", page);
	free(page);
	/* the installed labctl finds the installed labs from anywhere */
	it_run(&r, "cd / && env -u LABCTL_LABS_DIR '%s/bin/labctl' labs && env -u LABCTL_LABS_DIR '%s/bin/labctl' validate module0",
	       prefix, prefix);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "module0") && strstr(r.out, "module3"), "%s", r.out);
	it_run_free(&r);
	/* bash: commands, a lab's services, files after -f */
	char *bash = it_sh("cd / && bash -c 'source \"%s/share/bash-completion/completions/labctl\";"
			   " COMP_WORDS=(\"%s/bin/labctl\" exec module0 \"\"); COMP_CWORD=3; _labctl; echo \"${COMPREPLY[*]}\";"
			   " COMP_WORDS=(\"%s/bin/labctl\" sta); COMP_CWORD=1; _labctl; echo \"${COMPREPLY[*]}\";"
			   " COMP_WORDS=(\"%s/bin/labctl\" run module3 \"\"); COMP_CWORD=3; _labctl; echo \"${COMPREPLY[*]}\"'",
			   prefix, prefix, prefix, prefix);
	cr_expect_str_eq(bash, "init compute postgres kafka objectstore\nstatus\nproduce aggregate aggregate-spark");
	free(bash);
	/* zsh, when there is one: compadd and _files stand in for the
	   completion system's */
	char *zsh = it_sh("command -v zsh >/dev/null || { echo no zsh; exit; }; cd / && zsh -c '"
			  "compadd() { [[ $1 == -a ]] && print -l -- \"${(@P)2}\"; }; _files() { print FILES; };"
			  " words=(\"%s/bin/labctl\" logs module1 \"\"); CURRENT=4; source \"%s/share/zsh/site-functions/_labctl\";"
			  " words=(\"%s/bin/labctl\" up --file \"\"); CURRENT=4; source \"%s/share/zsh/site-functions/_labctl\"'",
			  prefix, prefix, prefix, prefix);
	if (strcmp(zsh, "no zsh") != 0)
		cr_expect_str_eq(zsh, "compute\nkafka1\nkafka2\nkafka3\nFILES");
	free(zsh);
	it_run(&r, "rm -rf '%s'", prefix);
	it_run_free(&r);
	free(prefix);
}
