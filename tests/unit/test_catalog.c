/* image/catalog.c: images/catalog.yml read with file:line:col errors,
 * references normalized, the first matching entry, ${tag}/${version}. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../labctl/image/catalog.h"

Test(catalog, references_are_normalized_as_docker_does)
{
	static const struct {
		const char *ref, *repo, *tag;
	} cases[] = {
		{"postgres", "postgres", "latest"},
		{"postgres:16", "postgres", "16"},
		{"library/postgres:16", "postgres", "16"},
		{"docker.io/library/postgres:16", "postgres", "16"},
		{"docker.io/postgres", "postgres", "latest"},
		{"index.docker.io/library/postgres:17-alpine", "postgres", "17-alpine"},
		{"registry-1.docker.io/minio/minio:RELEASE.2024", "minio/minio", "RELEASE.2024"},
		{"docker.io/apache/kafka:3.9.0", "apache/kafka", "3.9.0"},
		{"apache/spark:3.5.4-python3", "apache/spark", "3.5.4-python3"},
		{"localhost:5000/postgres:16", "localhost:5000/postgres", "16"},
		{"ghcr.io/library/postgres", "ghcr.io/library/postgres", "latest"},
		{"library/a/b:1", "library/a/b", "1"},
		{"postgres@sha256:abc", "postgres", "sha256:abc"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *repo = NULL, *tag = NULL;
		struct lab_err err = {0};
		cr_assert_eq(lab_image_ref_split(&repo, &tag, cases[i].ref, &err), 0, "%s: %s", cases[i].ref, err.msg);
		cr_expect_str_eq(repo, cases[i].repo, "%s", cases[i].ref);
		cr_expect_str_eq(tag, cases[i].tag, "%s", cases[i].ref);
		free(repo);
		free(tag);
	}
	static const char *const bad[] = {"", "postgres:", ":16", "postgres@"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *repo = NULL, *tag = NULL;
		struct lab_err err = {0};
		cr_expect_eq(lab_image_ref_split(&repo, &tag, bad[i], &err), LAB_EINPUT, "'%s'", bad[i]);
		cr_expect_null(repo);
	}
}

/* A catalog directory with a Dockerfile in each of the named contexts. */
static char *make_dir(const char *yaml, const char *const *contexts)
{
	char tmpl[] = "/tmp/labctl-catalog-XXXXXX";
	char *dir = strdup(mkdtemp(tmpl));
	for (; contexts && *contexts; contexts++) {
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", dir, *contexts);
		mkdir(p, 0755);
		snprintf(p, sizeof(p), "%s/%s/Dockerfile", dir, *contexts);
		FILE *f = fopen(p, "w");
		fputs("FROM debian:bookworm-slim\n", f);
		fclose(f);
	}
	char p[512];
	snprintf(p, sizeof(p), "%s/catalog.yml", dir);
	FILE *f = fopen(p, "w");
	fputs(yaml, f);
	fclose(f);
	return dir;
}

static void remove_dir(char *dir)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
	free(dir);
}

static int load(struct lab_catalog **c, const char *dir, struct lab_err *err)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/catalog.yml", dir);
	return lab_catalog_load(c, p, err);
}

static const char *const ctxs[] = {"pg", "pg15", "kafka", NULL};

Test(catalog, first_matching_entry_wins_with_globs_on_the_tag)
{
	char *dir = make_dir("stand-ins:\n"
			     "  - name: pg-old\n"
			     "    for: [docker.io/library/postgres]\n"
			     "    tags: [\"9.*\", \"10\"]\n"
			     "    context: pg15\n"
			     "  - name: postgres\n"
			     "    for: postgres\n"
			     "    context: pg\n"
			     "  - name: kafka\n"
			     "    for: [apache/kafka, bitnamilegacy/kafka]\n"
			     "    tags: [\"3.*\", latest]\n"
			     "    context: kafka\n"
			     "    dockerfile: Dockerfile\n"
			     "    args: {KAFKA_VERSION: \"${version}\", TAG: \"v${tag}\", PLAIN: \"$x {tag}\"}\n",
			     ctxs);
	struct lab_catalog *c = NULL;
	struct lab_err err = {0};
	cr_assert_eq(load(&c, dir, &err), 0, "%s", err.msg);
	cr_assert_eq(c->n, 3);
	static const struct {
		const char *ref, *entry;
	} cases[] = {
		{"postgres:9.6", "pg-old"},   {"library/postgres:10", "pg-old"}, {"postgres:10.1", "postgres"},
		{"postgres", "postgres"},     {"postgres:16", "postgres"},      {"docker.io/postgres:17-alpine", "postgres"},
		{"apache/kafka", "kafka"},    {"apache/kafka:3.9.0", "kafka"},  {"bitnamilegacy/kafka:3.5", "kafka"},
		{"apache/kafka:4.0.0", NULL}, {"bitnami/kafka", NULL},          {"mysql:8", NULL},
		{"ghcr.io/postgres", NULL},   {"", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct lab_catalog_entry *e = lab_catalog_match(c, cases[i].ref);
		if (cases[i].entry)
			cr_expect(e && !strcmp(e->name, cases[i].entry), "%s: %s, not %s", cases[i].ref, e ? e->name : "none",
				  cases[i].entry);
		else
			cr_expect_null(e, "%s matched %s", cases[i].ref, e ? e->name : "");
	}
	const struct lab_catalog_entry *k = lab_catalog_find(c, "kafka");
	cr_assert_not_null(k);
	cr_expect_eq(k->line, 9);
	cr_expect_eq(k->col, 5);
	char want_ctx[600];
	snprintf(want_ctx, sizeof(want_ctx), "%s/kafka", c->dir);
	cr_expect_str_eq(k->context, want_ctx);
	cr_expect_str_eq(lab_catalog_find(c, "postgres")->tags.v[0], "*", "tags default to *");
	struct lab_strv args = LAB_STRV_INIT;
	lab_catalog_args(&args, k, "docker.io/apache/kafka:3.9.0-rc1");
	cr_assert_eq(args.n, 3);
	cr_expect_str_eq(args.v[0], "KAFKA_VERSION=3.9.0");
	cr_expect_str_eq(args.v[1], "TAG=v3.9.0-rc1");
	cr_expect_str_eq(args.v[2], "PLAIN=$x {tag}");
	lab_strv_free(&args);
	lab_catalog_args(&args, k, "apache/kafka");
	cr_expect_str_eq(args.v[0], "KAFKA_VERSION=", "latest has no version");
	cr_expect_str_eq(args.v[1], "TAG=vlatest");
	lab_strv_free(&args);
	lab_catalog_free(c);
	remove_dir(dir);
}

/* Every problem at once, each at its file:line:col. */
Test(catalog, problems_are_reported_at_line_and_column)
{
	static const struct {
		const char *yaml;
		const char *want[4];
	} cases[] = {
		{"stand-ins:\n  - name: pg\n    for: [postgres]\n    contxt: pg\n",
		 {"catalog.yml:4:5: unknown key 'contxt' in a stand-in (did you mean 'context'?)",
		  "catalog.yml:2:5: stand-in 'pg' needs a 'context'"}},
		{"stand-ins:\n  - name: pg\n    context: pg\n", {"catalog.yml:2:5: stand-in 'pg' needs 'for'"}},
		{"stand-ins:\n  - for: [postgres]\n    context: pg\n", {"catalog.yml:2:5: a stand-in needs a 'name'"}},
		{"stand-ins:\n  - name: pg\n    for: [postgres:16]\n    context: pg\n",
		 {"catalog.yml:3:10: 'for' names repositories without a tag or digest (tags: globs them), not "
		  "'postgres:16'"}},
		{"stand-ins:\n  - name: pg\n    for: [postgres]\n    context: nosuch\n",
		 {"catalog.yml:4:14: stand-in 'pg': no Dockerfile in "}},
		{"stand-ins:\n  - name: pg\n    for: [postgres]\n    context: ../pg\n",
		 {"catalog.yml:4:14: 'context' is a directory below the catalog's"}},
		{"stand-ins:\n  - name: pg\n    for: [postgres]\n    context: pg\n  - name: pg\n    for: [x]\n    context: pg\n",
		 {"catalog.yml:5:5: a second stand-in named 'pg' (the first is at line 2)"}},
		{"stand-ins:\n  - name: pg\n    for: {a: b}\n    context: pg\n    args: [x]\n    tags: []\n",
		 {"catalog.yml:3:10: 'for' must be a list of strings, not a map",
		  "catalog.yml:5:11: 'args' must be a map of build arguments, not a list",
		  "catalog.yml:6:11: 'tags' must list at least one tag glob"}},
		{"stand-ins:\n  - just a string\n", {"catalog.yml:2:5: a stand-in must be a map, not a scalar"}},
		{"stand-ins: {}\n", {"catalog.yml:1:12: 'stand-ins' must be a list, not a map"}},
		{"standins: []\n", {"catalog.yml:1:1: unknown key 'standins' at the top", "catalog.yml:1:1: no 'stand-ins' list"}},
		{"[]\n", {"catalog.yml:1:1: the catalog is a map with 'stand-ins', not a list"}},
		{"", {"catalog.yml:1:1: empty"}},
		{"stand-ins:\n  - name: [\n", {"catalog.yml:3:1: did not find expected node content"}},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *dir = make_dir(cases[i].yaml, ctxs);
		struct lab_catalog *c = (void *)1;
		struct lab_err err = {0};
		cr_expect_eq(load(&c, dir, &err), LAB_EINPUT, "%s", cases[i].yaml);
		cr_expect_null(c);
		for (size_t k = 0; k < 4 && cases[i].want[k]; k++)
			cr_expect(strstr(err.msg, cases[i].want[k]), "case %zu wants '%s' in:\n%s", i, cases[i].want[k], err.msg);
		remove_dir(dir);
	}
	struct lab_catalog *c = NULL;
	struct lab_err err = {0};
	cr_expect_eq(lab_catalog_load(&c, "/nonexistent/catalog.yml", &err), LAB_EINPUT);
	cr_expect_str_eq(err.msg, "the stand-in catalog '/nonexistent/catalog.yml' does not exist");
}

/* The repository's own catalog reads, and says what each entry stands in
 * for. */
Test(catalog, the_repositorys_catalog_reads)
{
	struct lab_catalog *c = NULL;
	struct lab_err err = {0};
	cr_assert_eq(lab_catalog_load(&c, "images/catalog.yml", &err), 0, "%s", err.msg);
	const struct lab_catalog_entry *pg = lab_catalog_match(c, "postgres:16");
	cr_assert_not_null(pg);
	cr_expect_str_eq(pg->name, "postgres");
	/* first match wins: apache/kafka's 3.x tags on Dockerfile.3.9, the rest on Kafka 4 */
	static const char *const want[][2] = {
		{"apache/kafka:3.9.1", "apache-kafka-3"}, {"apache/kafka:3.7.0", "apache-kafka-3"},
		{"apache/kafka", "apache-kafka"},         {"apache/kafka:4.1.0", "apache-kafka"},
		{"minio/minio", "minio"},                 {"quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z", "minio"},
		{"minio/mc", "mc"},                       {"minio/mc:RELEASE.2025-03-12T17-29-24Z", "mc"},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct lab_catalog_entry *e = lab_catalog_match(c, want[i][0]);
		cr_expect(e && strcmp(e->name, want[i][1]) == 0, "%s -> %s, got %s", want[i][0], want[i][1],
			  e ? e->name : "none");
	}
	for (size_t i = 0; i < c->n; i++) {
		cr_expect(c->entries[i].interface && strlen(c->entries[i].interface) > 40, "entry '%s' documents its interface",
			  c->entries[i].name);
		cr_expect(c->entries[i].test, "entry '%s' names its test", c->entries[i].name);
	}
	lab_catalog_free(c);
}

Test(catalog, path_from_the_environment_first)
{
	unsetenv("LABCTL_IMAGES_DIR");
	cr_expect_null(lab_catalog_path(NULL));
	char *p = lab_catalog_path("/x/images");
	cr_expect_str_eq(p, "/x/images/catalog.yml");
	free(p);
	setenv("LABCTL_IMAGES_DIR", "/y", 1);
	p = lab_catalog_path("/x/images");
	cr_expect_str_eq(p, "/y/catalog.yml");
	free(p);
	unsetenv("LABCTL_IMAGES_DIR");
}
