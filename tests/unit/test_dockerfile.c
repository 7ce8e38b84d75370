/* image/dockerfile.c: the images a Dockerfile is FROM. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../labctl/image/dockerfile.h"

/* bases of text as one line, "a|b|c" */
static char *bases(const char *text, const struct lab_strv *args, int *rc)
{
	struct lab_strv out = LAB_STRV_INIT;
	struct lab_err err = {0};
	*rc = lab_dockerfile_bases(&out, text, args, &err);
	struct lab_buf b = LAB_BUF_INIT;
	for (size_t i = 0; i < out.n; i++)
		lab_buf_printf(&b, "%s%s", i ? "|" : "", out.v[i]);
	if (*rc < 0)
		lab_buf_printf(&b, "!%s", err.msg);
	lab_strv_free(&out);
	char *s = lab_xstrdup(lab_buf_cstr(&b));
	lab_buf_release(&b);
	return s;
}

static void expect(const char *text, const struct lab_strv *args, const char *want)
{
	int rc;
	char *got = bases(text, args, &rc);
	cr_expect_str_eq(got, want, "Dockerfile:\n%s", text);
	free(got);
}

Test(dockerfile, the_images_our_own_dockerfiles_are_from)
{
	/* images/kafka: an ARG before FROM, a stage built FROM another */
	expect("# comment\nARG JRE_IMAGE=labctl/jre:17\n\nFROM ${JRE_IMAGE} AS jre\n"
	       "FROM jre AS build\nARG EXTRA_CA_CERTS=\nRUN set -eux; \\\n\tapt-get update\nFROM jre\n",
	       NULL, "labctl/jre:17");
	/* images/objectstore: two ARGs, two bases */
	expect("ARG BASE_IMAGE=debian:bookworm-slim\nARG JRE_IMAGE=labctl/jre:17\nFROM ${BASE_IMAGE} AS fetch\n"
	       "RUN true\nFROM ${JRE_IMAGE}\n",
	       NULL, "debian:bookworm-slim|labctl/jre:17");
	expect("FROM debian:bookworm-slim\nRUN true\n", NULL, "debian:bookworm-slim");
}

Test(dockerfile, build_args_override_only_declared_args)
{
	struct lab_strv args = LAB_STRV_INIT;
	lab_strv_push(&args, "JRE_IMAGE=my/jre:1");
	lab_strv_push(&args, "OTHER=x/y");
	expect("ARG JRE_IMAGE=labctl/jre:17\nFROM $JRE_IMAGE\nFROM ${OTHER:-z/w}\n", &args, "my/jre:1|z/w");
	lab_strv_free(&args);
}

Test(dockerfile, stages_scratch_flags_case_and_duplicates)
{
	expect("from --platform=$BUILDPLATFORM golang:1 as Builder\nFROM scratch\nCOPY --from=builder /a /a\n"
	       "FROM builder\nFROM golang:1\n",
	       NULL, "golang:1");
	/* a name used before it is a stage is an image */
	expect("FROM base\nFROM debian AS base\nFROM base\n", NULL, "base|debian");
}

Test(dockerfile, continuations_comments_and_the_escape_directive)
{
	expect("FROM \\\n  # a comment inside\n\n  a/b:1 \\\n  AS x\nFROM x\n", NULL, "a/b:1");
	expect("# escape=`\nFROM c:\\base `\n AS s\nRUN dir c:\\\nFROM other\nFROM s\n", NULL, "c:\\base|other");
	/* a # later than the top is a comment, not a directive */
	expect("FROM a\n# escape=`\nFROM b `\n", NULL, "a|b");
	/* no final newline, CRLF line ends */
	expect("ARG V=2\r\nFROM img:${V}\r\nFROM other", NULL, "img:2|other");
}

Test(dockerfile, variable_forms)
{
	expect("ARG A\nARG B=\"q/r\" C='s'\nFROM ${A:-d/e}\nFROM ${B}\nFROM ${C:+t/u}\nFROM x${A}y\n", NULL,
	       "d/e|q/r|t/u|xy");
	/* an ARG after the first FROM is not seen by later FROMs */
	expect("FROM a\nARG L=late\nFROM ${L:-early}\n", NULL, "a|early");
}

Test(dockerfile, errors_name_the_line)
{
	int rc;
	char *got = bases("ARG X=1\nFROM a\n\nFROM\n", NULL, &rc);
	cr_expect_eq(rc, LAB_EINPUT);
	cr_expect_str_eq(got, "a!line 4: FROM without an image");
	free(got);
	got = bases("FROM ${X\n", NULL, &rc);
	cr_expect_eq(rc, LAB_EINPUT);
	cr_expect_str_eq(got, "!line 1: a variable reference is not closed");
	free(got);
}
