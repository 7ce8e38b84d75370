/* The lab READMEs are tested: the steps each marks with <!-- doc-test -->
 * (scripts/readme-steps.sh extracts them) run in order, in one bash, as a
 * student would type them, against a fresh lab; then `labctl verify` must
 * pass. So the READMEs and the checks cannot drift apart. Steps a student
 * runs in a terminal of their own, or stops with Ctrl-C, are marked so
 * (<!-- doc-test: terminal / wait / ctrl-c -->, docs/AUTHORING.md): they run
 * on a pseudo-terminal in the background, get the Ctrl-C key, and the
 * steps wait for the lines the README says they print.
 *
 * The labs run under their own names and fixed host ports (module0 on
 * 15432/19092/19000, ...), as the READMEs say: a lab that already has
 * containers (someone's) is not touched and the test fails saying so.
 * Datasets: the labs' samples (LABCTL_DATA_DIR unset), so a run stays
 * within minutes. LAB_STUDENT is unset: the lab itself, not a student's
 * instance, with the params of the empty student id. Every lab is taken down with its volumes at the end. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* md: the markdown file, relative to the repository. min_blocks: how many
 * marked blocks at least, min_ctrl_c: how many Ctrl-C markers (<!-- doc-test:
 * ctrl-c ... -->) at least, so removing the markers fails too. example: when set,
 * the files md writes with <!-- file: PATH --> go to a directory of their
 * own, beside links to the repository's labs/common, images and jobs, and
 * labs are looked up there. in_checkout: the steps run from the
 * repository's root (READMEs whose steps name labs/<lab>/ scripts), else
 * from an empty directory of their own. */
static void run_md_in(const char *lab, const char *md, int example, int min_blocks, int min_ctrl_c, int timeout_s,
		      int in_checkout)
{
	char *busy = it_sh("docker ps -aq --filter label=io.labctl.lab=%s | head -1", lab);
	if (*busy && it_reclaim()) {
		/* CI: a run cut off in this test left the lab behind (stop 22:
		   module2's containers from a run the machine's restart ended) */
		char select[100];
		snprintf(select, sizeof(select), "awk '$2 == \"%s\" {print $1}'", lab);
		int n = it_remove_labelled("io.labctl.lab", select);
		fprintf(stderr, "docs: LABCTL_IT_RECLAIM=1: removed %d object(s) of lab '%s' left by an earlier run\n", n,
			lab);
		free(busy);
		busy = it_sh("docker ps -aq --filter label=io.labctl.lab=%s | head -1", lab);
	}
	cr_assert_str_empty(busy,
			    "lab '%s' already has containers (someone's run?): not touching it; take it down with "
			    "`labctl down %s --volumes`, or run with LABCTL_IT_RECLAIM=1 to have the tests remove it",
			    lab, lab);
	free(busy);
	char *dir = it_sh("mktemp -d /tmp/labctl-doc-XXXXXX");
	struct it_run r;
	/* the steps, and how many blocks: removing the markers fails too */
	it_run(&r, "'%s/scripts/readme-steps.sh' '%s/%s' > '%s/steps.sh'", it_repo(), it_repo(), md, dir);
	cr_assert_eq(r.status, 0, "extract: %s", r.err);
	it_run_free(&r);
	char labs[600];
	snprintf(labs, sizeof(labs), "%s/labs", it_repo());
	if (example) {
		it_run(&r,
		       "cd '%s' && '%s/scripts/readme-steps.sh' --files tree '%s/%s' && ln -s '%s/labs/common' tree/labs/common"
		       " && ln -s '%s/images' tree/images && ln -s '%s/jobs' tree/jobs",
		       dir, it_repo(), it_repo(), md, it_repo(), it_repo(), it_repo());
		cr_assert_eq(r.status, 0, "extract the example's files: %s", r.err);
		it_run_free(&r);
		snprintf(labs, sizeof(labs), "%s/tree/labs", dir);
	}
	char *blocks = it_sh("grep -c '^# --- ' '%s/steps.sh'", dir);
	cr_expect_geq(atoi(blocks), min_blocks, "%s: %s marked blocks, expected at least %d", lab, blocks, min_blocks);
	free(blocks);
	char *ctrl_c = it_sh("grep -c '^doctest_ctrl_c ' '%s/steps.sh' || true", dir);
	cr_expect_geq(atoi(ctrl_c), min_ctrl_c, "%s: %s Ctrl-C markers, expected at least %d", lab, ctrl_c, min_ctrl_c);
	free(ctrl_c);
	/* a student's shell: labctl on PATH, their own state */
	it_run(&r, "mkdir -p '%s/bin' '%s/work' && ln -s '%s' '%s/bin/labctl'", dir, dir, it_labctl(), dir);
	it_run_free(&r);
	char *env = NULL;
	cr_assert(asprintf(&env,
			   "env -u LABCTL_DATA_DIR -u LAB_STUDENT PATH='%s/bin':\"$PATH\" LABCTL_STATE_DIR='%s/state' "
			   "LABCTL_LABS_DIR='%s'",
			   dir, dir, labs) > 0);
	char work[600];
	snprintf(work, sizeof(work), "%s/work", dir);
	it_run(&r, "cd '%s' && %s timeout %d bash -euo pipefail -x '%s/steps.sh'", in_checkout ? it_repo() : work, env,
	       timeout_s, dir);
	cr_expect_eq(r.status, 0, "%s: %s steps failed (exit %d)\n--- stdout\n%s\n--- stderr\n%s", lab, md, r.status,
		     r.out, r.err);
	it_run_free(&r);
	it_run(&r, "cd '%s/work' && %s labctl verify %s", dir, env, lab);
	cr_expect_eq(r.status, 0, "verify %s after the steps of %s:\n%s%s", lab, md, r.out, r.err);
	it_run_free(&r);
	it_run(&r, "cd '%s/work' && %s labctl down %s --volumes; rm -rf '%s'", dir, env, lab, dir);
	it_run_free(&r);
	free(env);
	free(dir);
}

static void run_md(const char *lab, const char *md, int example, int min_blocks, int timeout_s)
{
	run_md_in(lab, md, example, min_blocks, 0, timeout_s, 0);
}

Test(docs, module0_readme, .timeout = 600)
{
	run_md("module0", "labs/module0/README.md", 0, 8, 420);
}

Test(docs, module1_readme, .timeout = 600)
{
	run_md_in("module1", "labs/module1/README.md", 0, 10, 2, 420, 0);
}

/* with the Spark section: its cluster, aggregate-spark on the sample and
 * the comparison queries, so verify grades both jobs (none skipped) */
Test(docs, module3_readme, .timeout = 1200)
{
	run_md("module3", "labs/module3/README.md", 0, 8, 1080);
}

Test(docs, module4_readme, .timeout = 600)
{
	run_md("module4", "labs/module4/README.md", 0, 3, 420);
}

Test(docs, module2_readme, .timeout = 600)
{
	run_md_in("module2", "labs/module2/README.md", 0, 8, 0, 540, 1);
}

Test(docs, module6_readme, .timeout = 900)
{
	run_md_in("module6", "labs/module6/README.md", 0, 6, 0, 600, 1);
}

/* The Spark cluster: up, flights-batch on the 20,000-row sample, the
 * notebook copied in, --scale spark-worker=3, back to 2 workers; from the
 * repository's root (docker cp of labs/module5/notebooks). The job's second
 * run, on 3 workers, is left to spark/cluster_scale_batch_job_and_notebook:
 * with it this test took 678 s at a load of 17-52 (the job alone 251 s). */
Test(docs, module5_readme, .timeout = 1200)
{
	run_md_in("module5", "labs/module5/README.md", 0, 4, 0, 1000, 1);
}

/* docs/AUTHORING.md's complete example lab validates, comes up, and its
 * steps make every one of its checks pass. */
Test(docs, authoring_guide_example_lab, .timeout = 600)
{
	run_md("example", "docs/AUTHORING.md", 1, 3, 420);
}

/* The runner of the terminal and Ctrl-C markers, on commands that need no
 * engine (tests/fixtures/docs/): two terminals on pseudo-terminals of
 * 40x120, a wait on each, Ctrl-C to one (its trap runs, the other goes on),
 * a Ctrl-C after a line and after a fixed wait; then what must fail: a line
 * the terminal never prints, a block that ends before its Ctrl-C, and
 * malformed markers (file:line). */
static void run_fixture(struct it_run *r, const char *md)
{
	/* SHELL=/bin/sh as under CI: script(1) runs its command with $SHELL -c,
	   and a dash left between it and the block ended a terminal with 130
	   where the block's trap exits 0 (the CI run of stop 21) */
	it_run(r, "d=$(mktemp -d) && '%s/scripts/readme-steps.sh' '%s/tests/fixtures/docs/%s' > $d/steps.sh && "
		  "SHELL=/bin/sh timeout 60 bash -euo pipefail $d/steps.sh; rc=$?; rm -rf $d; exit $rc",
	       it_repo(), it_repo(), md);
}

/* want is in the runner's stderr; the message ends with it, so a failure's
 * last lines (all CI shows) name what was expected */
static void expect_in_err(const struct it_run *r, const char *want)
{
	cr_expect(strstr(r->err, want), "%s\n(expected: %s)", r->err, want);
}

Test(docs, terminal_markers_run_blocks_on_ptys_and_ctrl_c_them, .timeout = 120)
{
	struct it_run r;
	run_fixture(&r, "terminals.md");
	cr_expect_eq(r.status, 0, "%s\n(expected: the steps exit 0, not %d)", r.err, r.status);
	expect_in_err(&r, "doc-test: first | on a terminal of 40 120 rows and columns\n");
	/* the key reached the block's trap */
	expect_in_err(&r, "doc-test: terminal 'first' ended after its Ctrl-C (exit 0)\n"
			  "doc-test: first | ^Cinterrupted\n");
	expect_in_err(&r, "doc-test: terminal 'second' ended after its Ctrl-C (exit 0)\n");
	expect_in_err(&r, "doc-test: terminal 'block2' ended after its Ctrl-C (exit 130)\n");
	expect_in_err(&r, "doc-test: terminal 'block3' ended after its Ctrl-C (exit 130)\n");
	/* the second terminal's wait after the first one's Ctrl-C saw a new line,
	   not one printed before the Ctrl-C */
	const char *c = strstr(r.err, "first | ^Cinterrupted\ndoc-test: second | tick ");
	cr_expect(c && atoi(c + strlen("first | ^Cinterrupted\ndoc-test: second | tick ")) > 3,
		  "%s\n(expected: right after first's ^Cinterrupted, second | tick N with N > 3)", r.err);
	it_run_free(&r);
}

Test(docs, terminal_markers_fail_as_the_text_would, .timeout = 120)
{
	struct it_run r;
	run_fixture(&r, "never.md");
	cr_expect_neq(r.status, 0);
	cr_expect(strstr(r.err, "doc-test: terminal 't' printed no line matching /^the line the text promises$/ within 3s;"
				" its output:\nt | something else\n"),
		  "%s", r.err);
	it_run_free(&r);
	run_fixture(&r, "ends.md");
	cr_expect_neq(r.status, 0);
	cr_expect(strstr(r.err, "doc-test: terminal 'block1' ended before its Ctrl-C; its output:\n"), "%s", r.err);
	it_run_free(&r);
	it_run(&r, "'%s/scripts/readme-steps.sh' '%s/tests/fixtures/docs/malformed.md'", it_repo(), it_repo());
	cr_expect_eq(r.status, 1);
	cr_expect(strstr(r.err, "malformed.md:1: doc-test: wait NAME \"RE\" [within Ns]\n") &&
			  strstr(r.err, "malformed.md:3: doc-test: ctrl-c after Ns | after \"RE\" [within Ns], before a fence\n"),
		  "%s", r.err);
	it_run_free(&r);
}
