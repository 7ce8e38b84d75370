/* The man page and the completions come from the command entries: the
 * committed docs/labctl.1 is what `labctl __man` makes now (else `make
 * man`), and names every command and every option of every table. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../labctl/cmd/cmd.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "cannot open %s (unit tests run from the repository root)", path);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	fclose(m);
	return buf;
}

static char *made(void (*fn)(FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	fn(m);
	fclose(m);
	return buf;
}

Test(man, committed_page_is_current)
{
	char *page = slurp("docs/labctl.1"), *now = made(cmd_man_page);
	cr_expect(strcmp(page, now) == 0, "docs/labctl.1 is stale: run `make man`");
	free(page);
	free(now);
}

Test(man, every_command_and_option_is_in_the_page)
{
	char *page = slurp("docs/labctl.1");
	for (size_t i = 0; i < cmd_n_entries; i++) {
		const struct cmd_entry *c = cmd_entries[i];
		char want[200];
		snprintf(want, sizeof(want), ".SS \"labctl %s", c->name);
		cr_expect(strstr(page, want), "command '%s' has no section", c->name);
		/* its options, within its section */
		const char *sec = strstr(page, want);
		const char *end = sec ? strstr(sec + 1, ".SS ") : NULL;
		if (!end && sec)
			end = strstr(sec, ".SH ENVIRONMENT");
		for (size_t k = 0; sec && c->opts && c->opts[k].name; k++) {
			const struct cmd_opt *o = &c->opts[k];
			struct lab_buf b = LAB_BUF_INIT;
			lab_buf_puts(&b, "\\fB\\-\\-");
			for (const char *p = o->name; *p; p++)
				lab_buf_puts(&b, *p == '-' ? "\\-" : (char[]){*p, 0});
			const char *at = strstr(sec, lab_buf_cstr(&b));
			cr_expect(at && at < end, "'%s --%s' is not in its section of the man page", c->name, o->name);
			if (o->short_name) {
				snprintf(want, sizeof(want), "\\fB\\-%c\\fR, %s", o->short_name, lab_buf_cstr(&b));
				at = strstr(sec, want);
				cr_expect(at && at < end, "'%s -%c' is not in the man page", c->name, o->short_name);
			}
			lab_buf_release(&b);
		}
	}
	free(page);
}

static char *complete(int n, const char **words)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	cmd_complete(m, n, (char **)words);
	fclose(m);
	return buf;
}

Test(man, completion_offers_commands_and_each_commands_options)
{
	const char *none[] = {""};
	char *out = complete(1, none);
	for (size_t i = 0; i < cmd_n_entries; i++) {
		char line[64];
		snprintf(line, sizeof(line), "%s\n", cmd_entries[i]->name);
		cr_expect(strstr(out, line), "'%s' offered:\n%s", cmd_entries[i]->name, out);
	}
	free(out);
	for (size_t i = 0; i < cmd_n_entries; i++) {
		const char *words[] = {cmd_entries[i]->name, "-"};
		out = complete(2, words);
		for (size_t k = 0; cmd_entries[i]->opts && cmd_entries[i]->opts[k].name; k++) {
			char line[64];
			snprintf(line, sizeof(line), "--%s\n", cmd_entries[i]->opts[k].name);
			cr_expect(strstr(out, line), "%s: '%s' offered:\n%s", cmd_entries[i]->name, line, out);
		}
		free(out);
	}
	const char *file[] = {"up", "-f", ""};
	out = complete(3, file);
	cr_expect_str_eq(out, "__files__\n");
	free(out);
	const char *fmt[] = {"verify", "module0", "--format", ""};
	out = complete(4, fmt);
	cr_expect_str_eq(out, "human\njson\ntap\njunit\n");
	free(out);
	const char *cfmt[] = {"config", "-f", "compose.yaml", "--format", ""};
	out = complete(5, cfmt);
	cr_expect_str_eq(out, "yaml\njson\n");
	free(out);
}
