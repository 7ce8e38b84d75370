/* labctl schema: print the JSON Schema of the lab file
 * (schema/lab.schema.json, built into the binary), for editors: a lab's
 * first line "# yaml-language-server: $schema=../../schema/lab.schema.json"
 * points the YAML language server at it. */
#include <stdio.h>

#include "cmd.h"

/* schema/lab.schema.json, NUL-terminated; the Makefile makes this object
 * depend on it. */
__asm__(".section .rodata\n"
	".global lab_schema_json\n"
	".type lab_schema_json, @object\n"
	"lab_schema_json:\n"
	".incbin \"schema/lab.schema.json\"\n"
	".byte 0\n"
	".previous\n");
extern const char lab_schema_json[];

static int cmd_schema(const struct cmd_entry *cmd, struct cmd_args *args);

static const struct cmd_opt schema_opts[] = {
	CMD_OPT_END,
};

const struct cmd_entry cmd_schema_entry = {
	.name = "schema",
	.opts = schema_opts,
	.usage = "",
	.summary = "print the JSON Schema of lab files, for editors",
	.description = "Prints schema/lab.schema.json (JSON Schema 2020-12): the lab file's\n"
		       "sections and keys, Compose's service keys, x-ready probes and checks.\n"
		       "Every lab starts with a yaml-language-server modeline pointing at it.\n"
		       "labctl validate remains the authority: it checks more (references,\n"
		       "interpolation, paths) and says where (file:line:col).",
	.fn = cmd_schema,
};

static int cmd_schema(const struct cmd_entry *cmd, struct cmd_args *args)
{
	if (args->pos.n)
		return cmd_usage_error(cmd, "unexpected argument '%s'", args->pos.v[0]);
	fputs(lab_schema_json, stdout);
	return 0;
}
