/* The commands: one row each, in the order "labctl --help", the man page
 * and the completions list them. A new command is its file in cmd/ and
 * one row here. */
#include "cmd.h"

const struct cmd_entry *const cmd_entries[] = {
	&cmd_labs_entry,
	&cmd_validate_entry,
	&cmd_config_entry,
	&cmd_up_entry,
	&cmd_down_entry,
	&cmd_status_entry,
	&cmd_logs_entry,
	&cmd_exec_entry,
	&cmd_jobs_entry,
	&cmd_run_entry,
	&cmd_env_entry,
	&cmd_open_entry,
	&cmd_export_entry,
	&cmd_verify_entry,
	&cmd_class_entry,
	&cmd_images_entry,
	&cmd_schema_entry,
	&cmd_version_entry,
};

const size_t cmd_n_entries = sizeof(cmd_entries) / sizeof(cmd_entries[0]);
