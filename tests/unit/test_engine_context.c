/* Build context tar (labctl/engine/context.c): .dockerignore matching as a
 * table, and the tar's entries read back with libarchive. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "../../labctl/engine/context.h"

Test(engine_context, ignore_table)
{
	static const struct {
		const char *pats; /* '\n'-separated */
		const char *path;
		int ignored;
	} cases[] = {
		{"", "a", 0},
		{"a", "a", 1},
		{"a", "b", 0},
		{"a", "a/b/c", 1},          /* directory pattern covers what is below */
		{"*.log", "x.log", 1},
		{"*.log", "d/x.log", 0},    /* '*' does not cross '/' */
		{"*/*.log", "d/x.log", 1},
		{"**/*.log", "d/e/x.log", 1},
		{"**/*.log", "x.log", 1},   /* ** matches zero directories */
		{"d/**", "d/e/f", 1},
		{"*.md\n!README.md", "README.md", 0},
		{"*.md\n!README.md", "NOTES.md", 1},
		{"!README.md\n*.md", "README.md", 1}, /* last match wins */
		{"build", "builder", 0},
		{"te?t", "test", 1},
		{"[ab]c", "bc", 1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lab_strv pats = LAB_STRV_INIT;
		char *copy = lab_xstrdup(cases[i].pats);
		for (char *save = NULL, *t = strtok_r(copy, "\n", &save); t; t = strtok_r(NULL, "\n", &save))
			lab_strv_push(&pats, t);
		cr_expect_eq(lab_context_ignored(&pats, cases[i].path), cases[i].ignored, "patterns '%s', path '%s'",
			     cases[i].pats, cases[i].path);
		free(copy);
		lab_strv_free(&pats);
	}
}

static void ctxt_write(const char *dir, const char *rel, const char *text, mode_t mode)
{
	char *p = lab_xasprintf("%s/%s", dir, rel);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f, "%s", p);
	fputs(text, f);
	fclose(f);
	chmod(p, mode);
	free(p);
}

static void ctxt_mkdir(const char *dir, const char *rel)
{
	char *p = lab_xasprintf("%s/%s", dir, rel);
	cr_assert_eq(mkdir(p, 0755), 0, "%s", p);
	free(p);
}

/* "path mode [-> target]" per entry, '\n'-separated, in archive order */
static char *ctxt_list(const struct lab_buf *tar)
{
	struct lab_buf out = LAB_BUF_INIT;
	struct archive *a = archive_read_new();
	struct archive_entry *ent;
	archive_read_support_format_tar(a);
	cr_assert_eq(archive_read_open_memory(a, tar->data, tar->len), ARCHIVE_OK);
	while (archive_read_next_header(a, &ent) == ARCHIVE_OK) {
		lab_buf_printf(&out, "%s %o", archive_entry_pathname(ent), (unsigned)archive_entry_mode(ent) & 07777);
		if (archive_entry_symlink(ent))
			lab_buf_printf(&out, " -> %s", archive_entry_symlink(ent));
		cr_expect_eq(archive_entry_uid(ent), 0);
		lab_buf_puts(&out, "\n");
	}
	archive_read_free(a);
	return lab_buf_detach(&out);
}

Test(engine_context, tar_with_dockerignore)
{
	char dir[] = "/tmp/labctl-ctxt-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	ctxt_write(dir, "Dockerfile", "FROM scratch\n", 0644);
	ctxt_write(dir, ".dockerignore", "# comment\n\n/secret\n*.log\nDockerfile\n.dockerignore\n!keep.log\n", 0644);
	ctxt_mkdir(dir, "secret");
	ctxt_write(dir, "secret/key", "k", 0600);
	ctxt_mkdir(dir, "src");
	ctxt_write(dir, "src/run.sh", "#!/bin/sh\n", 0751);
	ctxt_write(dir, "x.log", "x", 0644);
	ctxt_write(dir, "keep.log", "k", 0644);
	char *link = lab_xasprintf("%s/current", dir);
	cr_assert_eq(symlink("src/run.sh", link), 0);

	struct lab_buf tar = LAB_BUF_INIT;
	struct lab_err err = {0};
	cr_assert_eq(lab_context_tar(&tar, dir, NULL, &err), 0, "%s", err.msg);
	char *list = ctxt_list(&tar);
	cr_expect_str_eq(list, ".dockerignore 644\n"
			       "Dockerfile 644\n"
			       "current 777 -> src/run.sh\n"
			       "keep.log 644\n"
			       "src/ 755\n"
			       "src/run.sh 751\n");
	free(list);

	/* a missing Dockerfile is bad input */
	lab_buf_reset(&tar);
	cr_expect_eq(lab_context_tar(&tar, dir, "other/Dockerfile", &err), LAB_EINPUT);
	cr_expect(strstr(err.msg, "other/Dockerfile") != NULL, "%s", err.msg);
	cr_expect_eq(lab_context_tar(&tar, "/tmp/labctl-no-such-ctx", NULL, &err), LAB_EINPUT);

	/* a Dockerfile inside an ignored directory is still sent */
	ctxt_write(dir, "secret/Dockerfile.sec", "FROM scratch\n", 0644);
	lab_buf_reset(&tar);
	cr_assert_eq(lab_context_tar(&tar, dir, "./secret/Dockerfile.sec", &err), 0, "%s", err.msg);
	list = ctxt_list(&tar);
	cr_expect(strstr(list, "secret/Dockerfile.sec 644\n") != NULL, "%s", list);
	cr_expect(strstr(list, "secret/key") == NULL, "%s", list);
	free(list);

	lab_buf_release(&tar);
	unlink(link);
	free(link);
	char *rm = lab_xasprintf("rm -rf '%s'", dir);
	cr_expect_eq(system(rm), 0);
	free(rm);
}
