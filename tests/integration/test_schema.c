/* The lab file's JSON Schema (schema/lab.schema.json, `labctl schema`):
 * every lab, fragment, good fixture and the authoring guide's example
 * validates; the bad fixtures, which labctl validate refuses for a key or
 * a type, are refused by the schema too; every lab names it in its
 * yaml-language-server modeline. Validation by Python's jsonschema
 * (scripts/check-schema.py): installed from PyPI into build/schema-venv
 * when the system's python has none. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* A python3 with jsonschema and yaml (caller frees). */
static char *python(void)
{
	char *ok = it_sh("python3 -c 'import jsonschema, yaml' 2>/dev/null && echo yes");
	int have = strcmp(ok, "yes") == 0;
	free(ok);
	if (have)
		return strdup("python3");
	struct it_run r;
	it_run(&r, "cd '%s' && { [ -x build/schema-venv/bin/python ] || python3 -m venv build/schema-venv; } &&"
		   " build/schema-venv/bin/pip install -q jsonschema pyyaml",
		   it_repo());
	cr_assert_eq(r.status, 0, "pip install jsonschema pyyaml: %s", r.err);
	it_run_free(&r);
	char *p = NULL;
	cr_assert(asprintf(&p, "'%s/build/schema-venv/bin/python'", it_repo()) > 0);
	return p;
}

Test(schema, labctl_schema_prints_the_committed_file)
{
	struct it_run r;
	it_run(&r, "'%s' schema | cmp - '%s/schema/lab.schema.json' && echo same", it_labctl(), it_repo());
	cr_expect_str_eq(r.out, "same\n", "%s", r.err);
	it_run_free(&r);
}

Test(schema, every_lab_and_fragment_has_the_modeline)
{
	char *missing = it_sh("cd '%s' && for f in labs/*/*.yml; do head -1 \"$f\" | grep -qx '# yaml-language-server: "
			      "$schema=../../schema/lab.schema.json' || echo \"$f\"; done",
			      it_repo());
	cr_expect_str_empty(missing, "without the modeline: %s", missing);
	free(missing);
}

Test(schema, labs_fragments_fixtures_validate_and_bad_ones_are_refused, .timeout = 300)
{
	char *py = python();
	struct it_run r;
	/* the authoring guide's example lab, as the guide writes it */
	char *dir = it_sh("mktemp -d /tmp/labctl-schema-XXXXXX");
	it_run(&r, "'%s/scripts/readme-steps.sh' --files '%s' '%s/docs/AUTHORING.md'", it_repo(), dir, it_repo());
	cr_assert_eq(r.status, 0, "%s", r.err);
	it_run_free(&r);
	it_run(&r, "cd '%s' && %s scripts/check-schema.py schema/lab.schema.json --valid labs/*/*.yml "
		   "tests/fixtures/lab/compose/*.yml '%s/labs/example/lab.yml'",
	       it_repo(), py, dir);
	cr_expect_eq(r.status, 0, "valid files refused by the schema:\n%s%s", r.out, r.err);
	cr_expect_geq(it_lines(r.out), 14, "%s", r.out);
	it_run_free(&r);
	/* the bad fixtures: labctl refuses each (exit 2), and so does the schema */
	it_run(&r, "cd '%s' && for f in tests/fixtures/lab/bad/*.yml; do '%s' validate -f \"$f\" >/dev/null 2>&1;"
		   " [ $? -eq 2 ] || echo \"labctl accepts $f\"; done",
	       it_repo(), it_labctl());
	cr_expect_str_eq(r.out, "", "%s", r.out);
	it_run_free(&r);
	it_run(&r, "cd '%s' && %s scripts/check-schema.py schema/lab.schema.json --invalid tests/fixtures/lab/bad/*.yml",
	       it_repo(), py);
	cr_expect_eq(r.status, 0, "bad files the schema accepts:\n%s%s", r.out, r.err);
	cr_expect_geq(it_lines(r.out), 6, "%s", r.out);
	it_run_free(&r);
	it_run(&r, "rm -rf '%s'", dir);
	it_run_free(&r);
	free(dir);
	free(py);
}
