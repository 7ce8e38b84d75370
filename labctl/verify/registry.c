/* The check registry's table: one row per kind (see registry.h). */
#include <string.h>

#include "registry.h"

extern const struct lab_check_kind lab_check_sql, lab_check_kafka, lab_check_s3, lab_check_http, lab_check_exec,
	lab_check_file, lab_check_log;

const struct lab_check_kind *const lab_check_kinds[] = {
	&lab_check_sql,
	&lab_check_kafka,
	&lab_check_s3,
	&lab_check_http,
	&lab_check_exec,
	&lab_check_file,
	&lab_check_log,
};

const size_t lab_check_n_kinds = sizeof(lab_check_kinds) / sizeof(lab_check_kinds[0]);

const struct lab_check_kind *lab_check_kind_find(const char *name)
{
	for (size_t i = 0; i < lab_check_n_kinds; i++)
		if (strcmp(lab_check_kinds[i]->name, name) == 0)
			return lab_check_kinds[i];
	return NULL;
}

char *lab_check_kind_list(const char *quote)
{
	struct lab_buf b = LAB_BUF_INIT;
	lab_buf_puts(&b, "");
	for (size_t i = 0; i < lab_check_n_kinds; i++)
		lab_buf_printf(&b, "%s%s%s%s", i ? ", " : "", quote, lab_check_kinds[i]->name, quote);
	return lab_buf_detach(&b);
}
